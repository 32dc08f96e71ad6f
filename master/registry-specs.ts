/**
 * Pure helpers for the registry's handler specs: a stable spec hash, version history bounds and
 * agent assignment (explicit list or label selector).
 */
import { createHash } from 'node:crypto';
import type { HandlerSpec } from '../shared/spec.js';
import type { AgentRecord } from './master-store.js';

/** Versions kept per handler (the current one included), for rollback. */
export const SPEC_HISTORY = 10;

/** JSON with object keys sorted at every level and `undefined` members dropped: equal specs, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** sha256 (hex) of the spec's canonical JSON; independent of key order. */
export function specHash(spec: HandlerSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/** True when the agent carries every `selector` label with the same value (an empty selector matches all). */
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
