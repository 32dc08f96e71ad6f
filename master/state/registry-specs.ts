/**
 * Pure helpers for the registry's handler specs: version history bounds and agent assignment
 * (explicit list or label selector). The spec hash is shared/spec-hash.ts (the agent uses it too).
 */
import { ValidationError } from '../../shared/errors.js';
import { labelKeyProblem, labelProblem } from '../../shared/labels.js';
import type { HandlerSpec } from '../../shared/spec.js';
export { specDigest as specHash } from '../../shared/spec-hash.js';
import type { AgentRecord } from './store.js';

/** Versions kept per handler (the current one included), for rollback. */
export const SPEC_HISTORY = 10;

/** Validates an admin's label change (`gov agents label`) by the label rule (shared/labels.ts). */
export function checkLabels(set: Record<string, string>, remove: readonly string[]): void {
  for (const key of remove) {
    const problem = labelKeyProblem(key);
    if (problem) throw new ValidationError(problem);
  }
  for (const [key, value] of Object.entries(set)) {
    const problem = labelProblem(key, typeof value === 'string' ? value : String(value));
    if (problem) throw new ValidationError(problem);
  }
  const both = remove.filter((k) => k in set);
  if (both.length > 0) throw new ValidationError(`label ${both.join(', ')}: both set and removed`);
}

/**
 * True when the agent carries every `selector` label with the same value (an empty selector matches all).
 * Only admin-set labels count: what an agent reports about itself never picks its specs.
 */
export function matchesSelector(
  agent: Pick<AgentRecord, 'labels'>,
  selector: Record<string, string>,
): boolean {
  for (const [key, value] of Object.entries(selector)) {
    if (agent.labels[key] !== value) return false;
  }
  return true;
}

/**
 * Agents a spec is assigned to: its explicit `agents` list when not empty (known or not yet seen, in the
 * order given); otherwise every known, non-revoked agent whose labels match the `selector`, sorted by id.
 * A spec with neither targets every known agent.
 */
export function assignAgents(
  spec: Pick<HandlerSpec, 'agents' | 'selector'>,
  agents: Iterable<AgentRecord>,
): string[] {
  if (spec.agents.length > 0) return [...new Set(spec.agents)];
  const out: string[] = [];
  for (const a of agents) if (!a.revoked && matchesSelector(a, spec.selector)) out.push(a.id);
  return out.sort();
}
