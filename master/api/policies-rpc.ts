/**
 * `Admin.ListPolicies` (DESIGN §9): every rule's state on the agents, as each agent last reported it
 * (fleet/agent-policies.ts), filtered by a target set resolved like the other read RPCs (unknown names
 * refused, nothing done). Which rules a request gets:
 * - handler rules of the instances the set names (no names, no --all, no selector: every handler's);
 * - agent-wide rules when the set names no handler (nothing, or only `--agent`: those agents'), or with
 *   `agent_wide`: those of the agents the set reaches.
 * A disconnected agent is listed with `connected: false` and its last report's time.
 */
import type { AdminHandlers } from '../../proto/generated/governor/v1/Admin.js';
import type { AgentPolicies } from '../../proto/generated/governor/v1/AgentPolicies.js';
import type { ListPoliciesRequest__Output } from '../../proto/generated/governor/v1/ListPoliciesRequest.js';
import type { ListPoliciesResponse } from '../../proto/generated/governor/v1/ListPoliciesResponse.js';
import { isEmptyTarget, requestTargets } from '../../shared/targets.js';
import type { Fleet } from '../fleet/fleet.js';
import { resolveTargets } from '../state/targets.js';
import { unary } from './unary.js';

export function listPolicies(fleet: Fleet, req: ListPoliciesRequest__Output): ListPoliciesResponse {
  const set = requestTargets({ targets: req.targets, handler: '' });
  const resolved = resolveTargets(fleet.registry, set, { empty: 'everything', observed: 'include' });
  const named = !isEmptyTarget(set);
  // The agents whose agent-wide rules are asked for (null: every agent).
  const wideAgents: ReadonlySet<string> | null = named
    ? req.agent_wide
      ? new Set(resolved.instances.map((i) => i.agent))
      : new Set()
    : set.agents.length > 0
      ? new Set(set.agents)
      : null;
  const agents: AgentPolicies[] = [];
  for (const r of fleet.policyReports()) {
    if (set.agents.length > 0 && !set.agents.includes(r.agent)) continue;
    const rules = r.rules.filter((x) =>
      x.handler
        ? resolved.matchesKey(x.handler, x.instance || x.handler, r.agent)
        : wideAgents === null || wideAgents.has(r.agent),
    );
    if (named && rules.length === 0) continue;
    agents.push({
      agent: r.agent,
      connected: r.connected,
      reported_at: r.reported_at,
      rules,
      counters: r.counters,
    });
  }
  return { agents };
}

export function policiesRpcs(fleet: Fleet): Pick<AdminHandlers, 'ListPolicies'> {
  return { ListPolicies: unary(async (req) => listPolicies(fleet, req)) };
}
