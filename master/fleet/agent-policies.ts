/**
 * The agents' resource policy reports (agent_link PolicyReport, DESIGN §9) as the master keeps them: the
 * last report of each agent, with the time it came. A report replaces the one before (its rule list is the
 * whole current state), so memory is one bounded report per agent; its transitions are handed on once
 * (the watch stream keeps them as `policy` events) and not kept here.
 *
 * An agent is trusted to speak for itself, not to size the master's state (agent-input.ts): a report is
 * cut to `POLICY_LIMITS.rulesPerReport` rules and `transitionsPerReport` transitions, every string is
 * bounded, every number finite, a state outside POLICY_STATES is refused (states become Prometheus
 * labels), a rule or transition about a handler the master does not assign to that agent is refused, and
 * transitions are rate-limited per agent (they become kept events that could otherwise flood the ring).
 * What is refused or cut is returned so the caller logs it (rate-limited).
 *
 * A disconnected agent's last report is kept, marked by its connection state where it is read (`gov
 * policies` says "as last reported at …"): its rules go on running on the agent while it cannot report.
 * A report is forgotten when the registry no longer knows the agent.
 */
import type { PolicyCounters__Output as PolicyCounts } from '../../proto/generated/governor/v1/PolicyCounters.js';
import type { PolicyReport__Output } from '../../proto/generated/governor/v1/PolicyReport.js';
import type { PolicyRuleState } from '../../proto/generated/governor/v1/PolicyRuleState.js';
import type { PolicyTransition } from '../../proto/generated/governor/v1/PolicyTransition.js';
import { instanceKey, parseInstanceKey } from '../../shared/spec.js';
import type { Registry } from '../state/registry.js';
import { AGENT_LIMITS, TokenBucket, bound } from './agent-input.js';

/** The states of a rule for one subject (common.proto PolicyRuleState.state). */
export const POLICY_STATES = ['armed', 'pending', 'firing', 'cooling-down', 'cleared'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];

export const POLICY_LIMITS = {
  /** Rules (rule × subject) kept from one report: 100 instances × 4 rules fit many times over. */
  rulesPerReport: 4_096,
  /** Transitions taken from one report. */
  transitionsPerReport: 512,
  /** Transitions per agent that become events: bucket size (a burst) and refill per second. */
  transitionBurst: 1_000,
  transitionsPerSecond: 100,
} as const;

/** One agent's last report as kept. */
export interface KeptPolicyReport {
  agent: string;
  /** When the master received it (ISO-8601, the master's clock). */
  reported_at: string;
  rules: PolicyRuleState[];
  counters: PolicyCounts;
}

/**
 * Why the master may not keep a rule of `handler`/`instance` from this agent, or null when it may: an
 * agent-wide rule (no handler, no instance) always may; a handler rule only for a handler the master
 * assigns to the agent, on one of its instance keys.
 */
export type SubjectCheck = (handler: string, instance: string) => string | null;

/** What one report gave: the transitions to publish, and what was refused or cut (for a log line). */
export interface PolicyIngest {
  transitions: PolicyTransition[];
  refusals: string[];
}

const finite = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const count = (v: unknown): number => Math.max(0, finite(v));
const short = (v: string | undefined | null): string => bound(v, AGENT_LIMITS.shortString);
const text = (v: string | undefined | null): string => bound(v, AGENT_LIMITS.text);

/** The SubjectCheck of the registry for `agent` (each handler looked up once per check made). */
export function assignedSubjects(registry: Registry, agent: string): SubjectCheck {
  const counts = new Map<string, number | null>();
  const countOf = (handler: string): number | null => {
    if (!counts.has(handler)) {
      const spec = registry.getSpec(handler)?.spec;
      counts.set(handler, spec && registry.agentsFor(spec).includes(agent) ? spec.count : null);
    }
    return counts.get(handler) ?? null;
  };
  return (handler, instance) => {
    if (!handler)
      return instance ? `an agent-wide rule names instance ${JSON.stringify(short(instance))}` : null;
    const n = countOf(handler);
    if (n === null) return `handler ${JSON.stringify(short(handler))} is not assigned to agent ${agent}`;
    const key = instance || handler;
    const { handler: h, index } = parseInstanceKey(key);
    if (h !== handler || instanceKey(h, index) !== key || index >= n)
      return `${JSON.stringify(short(key))} is not an instance key of handler ${handler} (${n} per agent)`;
    return null;
  };
}

const STATES: ReadonlySet<string> = new Set(POLICY_STATES);

function boundRule(r: PolicyReport__Output['rules'][number]): PolicyRuleState {
  return {
    rule: short(r.rule),
    handler: short(r.handler),
    instance: short(r.instance),
    metric: short(r.metric),
    state: r.state,
    raw: finite(r.raw),
    value: finite(r.value),
    forecast: finite(r.forecast),
    has_forecast: r.has_forecast === true,
    action: short(r.action),
    dry_run: r.dry_run === true,
    last_action: short(r.last_action),
    last_action_at: short(r.last_action_at),
    last_execution_id: short(r.last_execution_id),
    unavailable: text(r.unavailable),
  };
}

function boundTransition(t: PolicyReport__Output['transitions'][number], at: string): PolicyTransition {
  return {
    rule: short(t.rule),
    handler: short(t.handler),
    instance: short(t.instance),
    from: t.from,
    to: t.to,
    at: Number.isNaN(Date.parse(t.at)) ? at : short(t.at),
    value: finite(t.value),
    forecast: finite(t.forecast),
    has_forecast: t.has_forecast === true,
    reason: text(t.reason),
  };
}

export class PolicyBook {
  private readonly reports = new Map<string, KeptPolicyReport>();
  /** Per agent id (not per stream: reconnecting does not refill it). */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Keeps `report` as `agent`'s last (bounded, see the file comment) and returns its transitions that may
   * be published, with what was refused or cut.
   */
  ingest(agent: string, report: PolicyReport__Output, check: SubjectCheck): PolicyIngest {
    const at = new Date(this.now()).toISOString();
    const refusals: string[] = [];
    const refused = new Map<string, number>();
    const note = (why: string): void => void refused.set(why, (refused.get(why) ?? 0) + 1);
    const subjectOk = (what: string, handler: string, instance: string, state: string[]): boolean => {
      for (const s of state)
        if (!STATES.has(s)) {
          note(`${what} with state ${JSON.stringify(short(s))} (states: ${POLICY_STATES.join(', ')})`);
          return false;
        }
      const why = check(handler ?? '', instance ?? '');
      if (why !== null) note(`${what}: ${why}`);
      return why === null;
    };

    const given = report.rules ?? [];
    if (given.length > POLICY_LIMITS.rulesPerReport)
      refusals.push(
        `${given.length} rules in one report: only the first ${POLICY_LIMITS.rulesPerReport} are kept`,
      );
    const rules = given
      .slice(0, POLICY_LIMITS.rulesPerReport)
      .filter((r) => subjectOk('a rule', r.handler, r.instance, [r.state]))
      .map(boundRule);
    const c = report.counters;
    this.reports.set(agent, {
      agent,
      reported_at: at,
      rules,
      counters: {
        actions: count(c?.actions),
        dry_run: count(c?.dry_run),
        suppressed_cooldown: count(c?.suppressed_cooldown),
        suppressed_budget: count(c?.suppressed_budget),
      },
    });

    const sent = report.transitions ?? [];
    if (sent.length > POLICY_LIMITS.transitionsPerReport)
      refusals.push(
        `${sent.length} transitions in one report: only the first ${POLICY_LIMITS.transitionsPerReport} are taken`,
      );
    const bucket = this.bucketOf(agent);
    const transitions: PolicyTransition[] = [];
    let overRate = 0;
    for (const t of sent.slice(0, POLICY_LIMITS.transitionsPerReport)) {
      if (!subjectOk('a transition', t.handler, t.instance, [t.from, t.to])) continue;
      if (!bucket.take()) {
        overRate++;
        continue;
      }
      transitions.push(boundTransition(t, at));
    }
    if (overRate > 0)
      refusals.push(
        `${overRate} transition(s) dropped: more than ${POLICY_LIMITS.transitionsPerSecond} per second ` +
          `(burst ${POLICY_LIMITS.transitionBurst})`,
      );
    for (const [why, n] of refused) refusals.push(n > 1 ? `${n} × ${why}` : why);
    return { transitions, refusals };
  }

  /** `agent`'s last report, or undefined when it sent none (since the master started). */
  get(agent: string): KeptPolicyReport | undefined {
    return this.reports.get(agent);
  }

  /** Every kept report, by agent id. */
  all(): KeptPolicyReport[] {
    return [...this.reports.values()].sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
  }

  /** Forgets an agent (the registry no longer knows it). */
  forget(agent: string): void {
    this.reports.delete(agent);
    this.buckets.delete(agent);
  }

  private bucketOf(agent: string): TokenBucket {
    let b = this.buckets.get(agent);
    if (!b) {
      b = new TokenBucket(POLICY_LIMITS.transitionBurst, POLICY_LIMITS.transitionsPerSecond, this.now);
      this.buckets.set(agent, b);
    }
    return b;
  }
}
