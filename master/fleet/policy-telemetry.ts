/**
 * The fleet's policy figures (GovernorTelemetry.policies_by_state / policy_actions: `gov metrics`, and the
 * Prometheus families) from the agents' kept reports. Pure.
 *
 * - `policies_by_state`: rules (rule × subject) of connected agents by the state they last reported; the
 *   rules of a disconnected agent are counted under `stale` (they go on running there, in a state the
 *   master cannot know). Every state is listed, 0 included, so a dashboard sees the same keys each time.
 * - `policy_actions`: the agents' own lifetime counts, summed over every agent with a report (a
 *   disconnected agent's counts stay true up to its last report).
 */
import type { GovernorTelemetry } from '../../proto/generated/governor/v1/GovernorTelemetry.js';
import type { PolicyCounters__Output as PolicyCounts } from '../../proto/generated/governor/v1/PolicyCounters.js';
import type { PolicyRuleState } from '../../proto/generated/governor/v1/PolicyRuleState.js';
import { POLICY_STATES } from './agent-policies.js';

/** The key of `policies_by_state` for rules of disconnected agents. */
export const STALE_POLICY_STATE = 'stale';

export interface PolicyReportView {
  agent: string;
  connected: boolean;
  rules: readonly PolicyRuleState[];
  counters: PolicyCounts;
}

export function policyTelemetry(
  reports: readonly PolicyReportView[],
): Required<Pick<GovernorTelemetry, 'policies_by_state' | 'policy_actions'>> {
  const byState: Record<string, number> = {};
  for (const s of [...POLICY_STATES, STALE_POLICY_STATE]) byState[s] = 0;
  const actions: PolicyCounts = {
    actions: 0,
    dry_run: 0,
    suppressed_cooldown: 0,
    suppressed_budget: 0,
  };
  for (const r of reports) {
    for (const rule of r.rules) {
      const key = r.connected ? (rule.state ?? '') : STALE_POLICY_STATE;
      byState[key] = (byState[key] ?? 0) + 1;
    }
    actions.actions += r.counters.actions;
    actions.dry_run += r.counters.dry_run;
    actions.suppressed_cooldown += r.counters.suppressed_cooldown;
    actions.suppressed_budget += r.counters.suppressed_budget;
  }
  return { policies_by_state: byState, policy_actions: actions };
}
