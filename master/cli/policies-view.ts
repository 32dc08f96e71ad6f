/**
 * What `gov policies` prints: the `--json` document and the table, pure functions of the ListPolicies
 * answer and `now`. A value is shown in its metric's unit (MiB for memory, % of a core for cpu, % for
 * pressure stall figures); a disconnected agent's rules are marked `*` and said to be "as last reported at"
 * its report's time (they go on running on the agent, in a state the master cannot see).
 */
import { table } from '../../shared/cli-io.js';
import type { AgentPolicies, ListPoliciesResponse, PolicyRuleState } from './admin-client.js';
import { ago, byHandlerAgentIndex, instanceName, statusCell } from './format.js';

const MIB = 1024 * 1024;

/** A figure without a unit: 4 significant digits, no trailing zeros. */
const plain = (v: number): string => String(Number(v.toPrecision(4)));

/**
 * A metric's value in its unit: `rss` 412.3 MiB, `rss_growth` 2.00 MiB/s, `cpu` 93.0% (of one core),
 * `pressure.*` 12.5% (avg10), `host.load1` 1.25, counts as whole numbers when they are; unknown metrics plain.
 */
export function policyValue(metric: string, v: number): string {
  if (metric === 'rss' || metric === 'host.memory.available') return `${(v / MIB).toFixed(1)} MiB`;
  if (metric === 'rss_growth') return `${(v / MIB).toFixed(2)} MiB/s`;
  if (metric === 'cpu') return `${(v * 100).toFixed(1)}%`;
  if (metric.includes('pressure.')) return `${v.toFixed(1)}%`;
  if (metric === 'host.load1') return v.toFixed(2);
  return plain(v);
}

/** The instance index of a key (`web#2` → 2, `web` → 0). */
function indexOf(key: string): number {
  const m = /#(\d+)$/.exec(key);
  return m ? Number(m[1]) : 0;
}

/** One rule in `--json`. */
export function policyRuleJson(r: PolicyRuleState, agent: string) {
  const instance = r.handler ? r.instance || r.handler : null;
  return {
    agent,
    /** null: an agent-wide rule (the agent's config). */
    handler: r.handler || null,
    instance,
    /** The instance as a TARGET (`web#1@edge-1`), or the agent for an agent-wide rule. */
    key: instance ? instanceName(instance, agent) : agent,
    rule: r.rule,
    metric: r.metric,
    state: r.state,
    raw: r.raw,
    /** Smoothed (the raw value when the rule does not smooth). */
    value: r.value,
    forecast: r.has_forecast ? r.forecast : null,
    action: r.action,
    dry_run: r.dry_run,
    last_action: r.last_action || null,
    last_action_at: r.last_action_at || null,
    last_execution_id: r.last_execution_id || null,
    /** Why the sensor gives no value here (null: it does). */
    unavailable: r.unavailable || null,
  };
}

type RuleJson = ReturnType<typeof policyRuleJson>;

/** Handler rules in `gov ps` order (handler, instance index), then rule name; agent-wide rules last. */
function byRule(a: RuleJson, b: RuleJson): number {
  if ((a.handler === null) !== (b.handler === null)) return a.handler === null ? 1 : -1;
  const order = byHandlerAgentIndex(
    { handler: a.handler ?? '', agent: a.agent, index: indexOf(a.instance ?? '') },
    { handler: b.handler ?? '', agent: b.agent, index: indexOf(b.instance ?? '') },
  );
  return order || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}

function agentJson(a: AgentPolicies) {
  return {
    agent: a.agent,
    connected: a.connected,
    /** Disconnected: the rules below are as it last reported them. */
    stale: !a.connected,
    reported_at: a.reported_at || null,
    counters: a.counters ?? { actions: 0, dry_run: 0, suppressed_cooldown: 0, suppressed_budget: 0 },
    rules: a.rules.map((r) => policyRuleJson(r, a.agent)).sort(byRule),
  };
}

/** `gov policies --json`: `{"agents": [{agent, connected, stale, reported_at, counters, rules: [...]}]}`. */
export function policiesJson(res: ListPoliciesResponse) {
  return {
    agents: res.agents.map(agentJson).sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0)),
  };
}

/** `restart 3m ago (execution ex-7)`, `-` when none yet. */
function lastActionCell(r: RuleJson, now: number): string | null {
  if (!r.last_action) return null;
  const when = r.last_action_at ? ` ${ago(r.last_action_at, now)}` : '';
  const exec = r.last_execution_id ? ` (execution ${r.last_execution_id})` : '';
  return `${r.last_action}${r.dry_run ? ' (dry-run)' : ''}${when}${exec}`;
}

export function policiesTable(res: ListPoliciesResponse, now: number): string {
  const agents = policiesJson(res).agents;
  const rules = agents.flatMap((a) => a.rules.map((r) => ({ r, stale: a.stale })));
  if (rules.length === 0)
    return 'no policy rules reported (rules come from `policies:` in handler specs and agent configs)\n';
  let text = table(
    ['AGENT', 'HANDLER', 'INSTANCE', 'RULE', 'METRIC', 'VALUE', 'FORECAST', 'STATE', 'LAST ACTION'],
    rules.map(({ r, stale }) => [
      r.agent,
      r.handler ?? '(agent-wide)',
      r.handler ? r.instance : null,
      r.rule,
      r.metric,
      r.unavailable ? statusCell(`unavailable: ${r.unavailable}`) : policyValue(r.metric, r.value),
      r.forecast === null || r.unavailable ? null : policyValue(r.metric, r.forecast),
      `${r.state}${r.dry_run ? ' (dry-run)' : ''}${stale ? '*' : ''}`,
      lastActionCell(r, now),
    ]),
  );
  for (const a of agents) {
    const c = a.counters;
    text +=
      `${a.agent}: ${c.actions} action(s), ${c.dry_run} dry-run, held back ${c.suppressed_cooldown} by ` +
      `cooldown and ${c.suppressed_budget} by the budget`;
    text += a.stale
      ? ` — * disconnected: as last reported at ${a.reported_at ?? '-'} (${ago(a.reported_at, now)})\n`
      : '\n';
  }
  return text;
}
