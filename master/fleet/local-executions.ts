/**
 * Commands an agent carried out for a local user (its control socket, `gov --local`), and the actions of its
 * resource policies (agent/control: kind `policy`, `issued_by` `policy/<rule>`), reported for the execution
 * log (agent_link.proto LocalExecution). An agent speaks only for itself (DESIGN §8): a report is kept only
 * for a handler the master assigns to that agent (a policy report may name no handler: an agent-wide rule's
 * alert), with `issued_by` `local:<uid>` and one of the control kinds, or `policy/<rule>` and kind `policy`,
 * every string bounded (agent-input.ts). Each id is recorded once; the report is acknowledged once its
 * record is on disk (or when it is refused, so it is not sent again).
 *
 * An agent-wide rule lives in the agent's own config, so the master cannot tell a real one from a forged
 * one: what bounds an agent instead is its share of the ring (`LOCAL_LIMITS.ringShare`). Its reports beyond
 * it evict its own oldest reports, never another agent's records or the admins' (a flood from one agent
 * once wiped the whole log). The share is not a rate limit on purpose: an agent re-sends its whole backlog
 * (up to 1,000 local events) after a reconnect, and a refused report is acknowledged, hence lost.
 */
import type { LocalExecution__Output } from '../../proto/generated/governor/v1/LocalExecution.js';
import type { ExecutionLog, ExecutionRecord } from '../state/execution-log.js';
import type { Registry } from '../state/registry.js';
import { CONTROL_ACTIONS } from '../../shared/control-request.js';
import { NAME_RE } from '../../shared/names.js';
import { AGENT_LIMITS, bound } from './agent-input.js';

/** What a local command may be: the control actions (admin.proto ControlRequest.action). */
export const LOCAL_KINDS: ReadonlySet<string> = new Set(CONTROL_ACTIONS);
/** The kind of a resource policy's action (or dry-run decision) on an agent. */
export const POLICY_KIND = 'policy';

export const LOCAL_LIMITS = {
  /** The part of the execution ring one agent's reports may hold (a quarter: 250 of the default 1,000). */
  ringShare: 0.25,
} as const;

const LOCAL_ISSUER = /^local:\d{1,10}$/;
/** `policy/<rule>`: a rule name is a name (shared/names.ts). */
const POLICY_ISSUER = new RegExp(`^policy/${NAME_RE.source.slice(1)}`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a record is one an agent reported (a local command or a policy action) rather than a command. */
function isReported(r: ExecutionRecord): boolean {
  return r.kind === POLICY_KIND || LOCAL_ISSUER.test(r.issued_by);
}

/** Why `agentId`'s report may not be kept, or null when it may. */
export function localExecutionRefusal(
  registry: Registry,
  agentId: string,
  r: LocalExecution__Output,
): string | null {
  if (!UUID.test(r.id)) return `id ${JSON.stringify(bound(r.id))} is not a UUID`;
  if (r.kind === POLICY_KIND) {
    if (!POLICY_ISSUER.test(r.issued_by))
      return `issued_by ${JSON.stringify(bound(r.issued_by))} is not policy/<rule>`;
  } else {
    if (!LOCAL_KINDS.has(r.kind))
      return `kind ${JSON.stringify(bound(r.kind))} is not a control action or policy`;
    if (!LOCAL_ISSUER.test(r.issued_by))
      return `issued_by ${JSON.stringify(bound(r.issued_by))} is not local:<uid>`;
  }
  const agentWide = r.kind === POLICY_KIND && r.handler === '';
  const spec = agentWide ? null : registry.getSpec(r.handler);
  if (!agentWide && (!spec || !registry.agentsFor(spec.spec).includes(agentId)))
    return `handler ${JSON.stringify(bound(r.handler))} is not assigned to agent ${agentId}`;
  if (Number.isNaN(Date.parse(r.started_at)) || Number.isNaN(Date.parse(r.completed_at)))
    return 'started_at and completed_at must be ISO-8601 times';
  return null;
}

/**
 * Records one report (refused ones are not); resolves with the refusal, or null once it is on disk (also
 * when the id was recorded before).
 */
export async function recordLocalExecution(
  registry: Registry,
  executions: ExecutionLog,
  agentId: string,
  r: LocalExecution__Output,
): Promise<string | null> {
  const refusal = localExecutionRefusal(registry, agentId, r);
  if (refusal !== null) return refusal;
  const short = (v: string) => bound(v, AGENT_LIMITS.shortString);
  const started = Date.parse(r.started_at);
  const completed = Math.max(started, Date.parse(r.completed_at));
  const share = {
    holds: (rec: ExecutionRecord) => rec.agent === agentId && isReported(rec),
    max: executions.capacity * LOCAL_LIMITS.ringShare,
  };
  await executions.recordDone(
    {
      id: r.id,
      kind: r.kind,
      handler: r.handler,
      agent: agentId,
      issued_by: r.issued_by,
      started_at: new Date(started).toISOString(),
      completed_at: new Date(completed).toISOString(),
      duration_ms: completed - started,
      status: r.ok ? 'success' : 'error',
      ...(r.result ? { result: bound(r.result, AGENT_LIMITS.text) } : {}),
      ...(r.ok ? {} : { error: bound(r.error || 'failed', AGENT_LIMITS.text) }),
      attempt: 1,
      max_attempts: 1,
      params_summary: short(
        [r.instance && `instance ${r.instance}`, r.params_summary].filter(Boolean).join(', '),
      ),
    },
    share,
  );
  return null;
}
