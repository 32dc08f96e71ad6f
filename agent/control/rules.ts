/**
 * The rule engine of the control loop (DESIGN §9), pure: per (rule, subject) a tracker fed samples
 * `{t, value}` (time passed in, no timers), a per-rule cooldown and a global action budget per agent.
 * The caller (the agent's control loop) samples the sensors, feeds them here and carries out the
 * decisions; see README.md for the state table.
 */
import {
  describePolicyAction,
  formatPolicyValue,
  type PolicyAction,
  type PolicyRule,
  type PolicyScope,
} from '../../shared/policy-rules.js';
import { canonicalJson } from '../../shared/spec-hash.js';
import { formatDuration } from '../../shared/durations.js';
import { SignalProfiler, type Profile, type Sample } from './profiler.js';
import { ActionBudget } from './budget.js';

/** PolicyRuleState.state (common.proto). */
export type RuleState = 'armed' | 'pending' | 'firing' | 'cooling-down' | 'cleared';

/** Who a subject is: an instance of a handler, or the host (agent-wide rules: both empty). */
export interface SubjectRef {
  handler: string;
  instance: string;
}

/** A rule changed state for a subject (shaped like common.proto PolicyTransition, plus `subject`, `t`). */
export interface Transition {
  subject: string;
  rule: string;
  handler: string;
  instance: string;
  from: RuleState;
  to: RuleState;
  /** Epoch ms and ISO-8601 of the sample that changed it. */
  t: number;
  at: string;
  value: number;
  forecast: number;
  has_forecast: boolean;
  /** e.g. `rss 412.0 MiB above 400.0 MiB for 2m`. */
  reason: string;
}

/** An action the engine decided (to take, to record as dry-run, or held back by the budget). */
export interface Decision {
  subject: string;
  rule: string;
  handler: string;
  instance: string;
  scope: PolicyScope;
  metric: string;
  action: PolicyAction;
  /** The action in words (`limit_cpu 50%`). */
  action_text: string;
  /** Epoch ms of the sample that fired it. */
  t: number;
  /** The values that fired it: last raw sample, smoothed value, forecast (when the rule asks one). */
  raw: number;
  value: number;
  forecast?: number;
  /** Why, in words (the transition's reason). */
  reason: string;
  /** mode: dry-run: record it, never act. */
  dry_run: boolean;
  /** The agent's budget held it back: do not act; the rule tries again at its next sample. */
  held_back: boolean;
}

/** A rule stopped firing for a subject (crossed back, or removed while firing): revert what its action
 * changed (`limit_cpu` / `limit_memory`). */
export interface Clear {
  subject: string;
  rule: string;
  handler: string;
  instance: string;
  action: PolicyAction;
  dry_run: boolean;
  t: number;
  reason: string;
}

/** What one sample changed. */
export interface ObserveResult {
  transitions: Transition[];
  /** Decisions to carry out (dry_run: record only; held_back: neither). */
  actions: Decision[];
  /** Actions to revert. */
  clears: Clear[];
}

/** One rule for one subject (shaped like common.proto PolicyRuleState, plus `subject`). */
export interface RuleStateRow {
  subject: string;
  rule: string;
  handler: string;
  instance: string;
  metric: string;
  state: RuleState;
  raw: number;
  value: number;
  forecast: number;
  has_forecast: boolean;
  action: string;
  dry_run: boolean;
  last_action: string;
  last_action_at: string;
  last_execution_id: string;
  unavailable: string;
}

/** A row of the PolicyReport (common.proto PolicyRuleState). */
export type ReportRow = Omit<RuleStateRow, 'subject'>;

/**
 * One subject's rules on one metric: what a sample of that metric steps. `channel()` hands it out so that a
 * caller feeding every sample keeps it instead of looking the subject and the metric up each time; it
 * holds until the subject's rules are set again (`setRules`, `removeSubject`): then it is dead (fed, it
 * does nothing) and the caller takes the new one.
 */
export interface Channel {
  readonly subject: string;
  readonly metric: string;
  /** Why the metric's sensor is unavailable for the subject (shown on the rows); '' when it is not. */
  readonly unavailable: string;
  /** False once the subject's rules were set again. */
  readonly live: boolean;
}

interface Feed extends Channel {
  unavailable: string;
  live: boolean;
  /** Its trackers, in rule order. */
  trackers: Tracker[];
}

/** Lifetime counts (common.proto PolicyCounters). */
export interface PolicyCounters {
  actions: number;
  dry_run: number;
  suppressed_cooldown: number;
  suppressed_budget: number;
}

export interface BudgetOptions {
  /** At most this many actions (not dry-run) per `windowMs`, over all rules and subjects. */
  max: number;
  windowMs: number;
}

export interface PolicyEngineOptions {
  budget: BudgetOptions;
}

/** Default budget: 10 actions per agent per minute. */
export const DEFAULT_BUDGET: BudgetOptions = { max: 10, windowMs: 60_000 };

/** One rule for one subject. */
interface Tracker {
  subject: string;
  ref: SubjectRef;
  scope: PolicyScope;
  rule: PolicyRule;
  /** canonicalJson(rule): a changed rule starts over. */
  key: string;
  /** describePolicyAction(rule.do), worded once. */
  actionText: string;
  profiler: SignalProfiler;
  profile: Profile | undefined;
  /** The subject's channel of its metric (its sensor's unavailability). */
  feed: Feed | undefined;
  state: RuleState;
  /** An action was decided in this breach: no other until the value crosses back (hysteresis). */
  latched: boolean;
  /** The decision that latched it (what a clear reverts). */
  fired: Decision | undefined;
  /** The last decision (not held back), also after it cleared: what `onActed` matches. */
  lastDecision: Decision | undefined;
  /** First sample of the current breach; null: not in breach. */
  breachSince: number | null;
  /** Where the last breach ended: `cleared` (crossed back after firing) or `armed` (never fired). */
  rest: 'armed' | 'cleared';
  /** The cooldown runs from here (the last action); null: no action yet. */
  cooldownFrom: number | null;
  /** This breach was already counted as held back (by the cooldown / by the budget). */
  countedCooldown: boolean;
  countedBudget: boolean;
  lastAction: string;
  lastActionAt: number | null;
  /** lastActionAt as ISO-8601 ('' for none), worded once per action. */
  lastActionIso: string;
  lastExecutionId: string;
}

export class PolicyEngine {
  /** subject → rule name → tracker (insertion order: the order of the rules). */
  private readonly subjects = new Map<string, Map<string, Tracker>>();
  /** subject → metric → its trackers on that metric and the sensor's unavailability (built with the rules,
   * not searched at every sample). */
  private readonly feeds = new Map<string, Map<string, Feed>>();
  private readonly budget: ActionBudget;
  private readonly count: PolicyCounters = {
    actions: 0,
    dry_run: 0,
    suppressed_cooldown: 0,
    suppressed_budget: 0,
  };

  constructor(readonly options: PolicyEngineOptions = { budget: DEFAULT_BUDGET }) {
    this.budget = new ActionBudget(options.budget.max, options.budget.windowMs);
  }

  /**
   * Sets the rules of a subject (an instance key such as `web#1`, or `host` for agent-wide rules). Trackers
   * of rules that did not change keep their state; a changed rule starts over but keeps its last action (and
   * so its cooldown); a rule removed or changed while firing is cleared
   * (returned, so the caller reverts its action). An empty list removes the subject. `t`: now (epoch ms),
   * for the clears; default the rule's last sample.
   */
  setRules(
    subject: string,
    rules: readonly PolicyRule[],
    scope: PolicyScope,
    ref: SubjectRef = { handler: '', instance: '' },
    t?: number,
  ): Clear[] {
    const old = this.subjects.get(subject) ?? new Map<string, Tracker>();
    const next = new Map<string, Tracker>();
    for (const rule of rules) {
      const key = canonicalJson(rule);
      const kept = old.get(rule.name);
      if (kept && kept.key === key && kept.scope === scope) {
        kept.ref = { ...ref };
        next.set(rule.name, kept);
      } else {
        const tr = newTracker(subject, { ...ref }, scope, rule, key);
        // A changed rule starts over, but its last action stays: its cooldown runs on (an edit never buys
        // a second action inside it) and its row still shows it.
        if (kept && kept.scope === scope) {
          tr.cooldownFrom = kept.cooldownFrom;
          [tr.lastAction, tr.lastActionAt, tr.lastActionIso] = [
            kept.lastAction,
            kept.lastActionAt,
            kept.lastActionIso,
          ];
          tr.lastExecutionId = kept.lastExecutionId;
        }
        next.set(rule.name, tr);
      }
    }
    const clears: Clear[] = [];
    for (const [name, tr] of old) {
      if (next.get(name) !== tr && tr.latched)
        clears.push(clearOf(tr, t ?? tr.profile?.t ?? 0, 'rule changed or removed'));
    }
    const oldFeeds = this.feeds.get(subject);
    for (const f of oldFeeds?.values() ?? []) f.live = false;
    if (next.size > 0) {
      this.subjects.set(subject, next);
      const feeds = new Map<string, Feed>();
      for (const tr of next.values()) {
        const metric = tr.rule.when.metric;
        let f = feeds.get(metric);
        if (!f) {
          // The sensor's unavailability outlives a change of the rules (it is the sensor's, not the rule's).
          const unavailable = oldFeeds?.get(metric)?.unavailable ?? '';
          feeds.set(metric, (f = { subject, metric, unavailable, live: true, trackers: [] }));
        }
        f.trackers.push(tr);
        tr.feed = f;
      }
      this.feeds.set(subject, feeds);
    } else {
      this.subjects.delete(subject);
      this.feeds.delete(subject);
    }
    return clears;
  }

  /** Drops a subject (its instance is gone); returns the clears of its firing rules. */
  removeSubject(subject: string, t: number): Clear[] {
    return this.setRules(subject, [], 'handler', undefined, t);
  }

  /**
   * Feeds one sample of `metric` for `subject` to every rule of that subject on that metric. What it changed
   * is appended to `out` (a caller feeding many samples passes one and empties it itself), which is returned.
   */
  observe(
    subject: string,
    metric: string,
    sample: Sample,
    out: ObserveResult = { transitions: [], actions: [], clears: [] },
  ): ObserveResult {
    const feed = this.feeds.get(subject)?.get(metric);
    return feed ? this.feed(feed, sample, out) : out;
  }

  /** The subject's rules on `metric` (undefined: none), to feed with `feed`. */
  channel(subject: string, metric: string): Channel | undefined {
    return this.feeds.get(subject)?.get(metric);
  }

  /** `observe` through a channel (a dead one is ignored). */
  feed(
    channel: Channel,
    sample: Sample,
    out: ObserveResult = { transitions: [], actions: [], clears: [] },
  ): ObserveResult {
    const f = channel as Feed;
    if (!f.live || !Number.isFinite(sample.value)) return out;
    f.unavailable = '';
    for (const tr of f.trackers) this.step(tr, sample, out);
    return out;
  }

  /**
   * The caller carried out (or recorded, dry-run) `decision` at `t`: the rule's cooldown runs from `t`, and
   * the rule's row shows the execution that recorded it. (The engine already starts the cooldown at the
   * decision; this moves it to when the action was taken.) A held-back decision is ignored.
   */
  onActed(decision: Decision, t: number, executionId?: string): void {
    if (decision.held_back) return;
    const tr = this.subjects.get(decision.subject)?.get(decision.rule);
    if (!tr || tr.lastDecision !== decision) return; // a rule changed since, or a newer decision
    if (tr.cooldownFrom === null || t > tr.cooldownFrom) tr.cooldownFrom = t;
    tr.lastActionAt = t;
    tr.lastActionIso = new Date(t).toISOString();
    if (executionId !== undefined) tr.lastExecutionId = executionId;
  }

  /**
   * The sensor of `metric` is unavailable for `subject` (why; '' when it is back): shown on its rows, and a
   * breach of a rule on it that has not fired yet starts over at the next sample (`for` holds continuously).
   */
  setUnavailable(subject: string, metric: string, reason: string): void {
    const f = this.feeds.get(subject)?.get(metric);
    if (!f) return; // no rule reads it: nothing shows it
    f.unavailable = reason;
    // `for` must hold continuously: unknown for a while (e.g. the process restarting), a breach starts over.
    if (reason) for (const tr of f.trackers) if (!tr.latched) tr.breachSince = null;
  }

  /** The metrics the rules of `subject` read (what the control loop must sample for it). */
  metricsOf(subject: string): string[] {
    const trackers = this.subjects.get(subject);
    return trackers ? [...new Set([...trackers.values()].map((tr) => tr.rule.when.metric))] : [];
  }

  /** The subjects with rules. */
  subjectKeys(): string[] {
    return [...this.subjects.keys()];
  }

  /** Every rule of every subject, with its subject. */
  states(): RuleStateRow[] {
    const rows: RuleStateRow[] = [];
    for (const [subject, trackers] of this.subjects)
      for (const row of rowsOf(trackers, [])) rows.push({ subject, ...row });
    return rows;
  }

  /** Every rule's row as the PolicyReport carries it (no subject: the row names its instance). */
  rows(): ReportRow[] {
    const rows: ReportRow[] = [];
    for (const trackers of this.subjects.values()) rowsOf(trackers, rows);
    return rows;
  }

  counters(): PolicyCounters {
    return { ...this.count };
  }

  /** One sample through one tracker (the table in README.md). Reasons are worded only on a change (`move`
   * gets which one, not a closure: nothing is allocated for a sample that changes nothing). */
  private step(tr: Tracker, sample: Sample, out: ObserveResult): void {
    if (tr.profile !== undefined && !(sample.t > tr.profile.t)) return; // not later than the last sample
    // The profiler's one profile, updated in place (what is kept of it is copied: decisions, transitions).
    const p = tr.profiler.update(sample);
    tr.profile = p;
    const { when, cooldown_ms } = tr.rule;
    const v = when.forecast_ms && p.forecast !== undefined ? p.forecast : p.value;
    const t = p.t;
    const inCooldown = cooldown_ms > 0 && tr.cooldownFrom !== null && t < tr.cooldownFrom + cooldown_ms;
    const breach = when.above !== undefined ? v > when.above : v < (when.below as number);
    if (tr.latched) {
      if (!crossedBack(tr.rule, v)) return this.move(tr, 'firing', p, 'firing', v, out);
      const reason = crossedBackReason(tr.rule, v);
      out.clears.push(clearOf(tr, t, reason));
      tr.latched = false;
      tr.fired = undefined;
      tr.breachSince = null;
      tr.rest = 'cleared';
      return this.move(tr, inCooldown ? 'cooling-down' : 'cleared', p, 'crossed-back', v, out);
    }
    if (!breach) {
      if (tr.breachSince !== null) {
        tr.breachSince = null;
        tr.rest = 'armed';
      }
      tr.countedBudget = false;
      tr.countedCooldown = false;
      if (inCooldown) return this.move(tr, 'cooling-down', p, 'cooldown', v, out);
      return this.move(tr, tr.rest, p, 'not-breach', v, out);
    }
    tr.breachSince ??= t;
    if (t - tr.breachSince < when.for_ms) {
      if (inCooldown) return this.move(tr, 'cooling-down', p, 'cooldown', v, out);
      return this.move(tr, 'pending', p, 'breach', v, out);
    }
    if (inCooldown) {
      if (!tr.countedCooldown) {
        tr.countedCooldown = true;
        this.count.suppressed_cooldown++;
      }
      return this.move(tr, 'cooling-down', p, 'cooldown', v, out);
    }
    if (!tr.rule.dry_run && !this.budget.take(t)) {
      if (!tr.countedBudget) {
        tr.countedBudget = true;
        this.count.suppressed_budget++;
        out.actions.push({ ...decisionOf(tr, p, this.reason('held-back', tr, v)), held_back: true });
      }
      return this.move(tr, 'pending', p, 'held-back', v, out);
    }
    const decision = decisionOf(tr, p, firingReason(tr.rule, v));
    if (tr.rule.dry_run) this.count.dry_run++;
    else this.count.actions++;
    [tr.latched, tr.fired, tr.lastDecision, tr.cooldownFrom] = [true, decision, decision, t];
    tr.countedBudget = false;
    [tr.lastAction, tr.lastActionAt, tr.lastExecutionId] = [decision.action_text, t, ''];
    tr.lastActionIso = new Date(t).toISOString();
    out.actions.push(decision);
    this.move(tr, 'firing', p, 'fired', v, out);
  }

  private move(tr: Tracker, to: RuleState, p: Profile, why: Why, v: number, out: ObserveResult): void {
    if (tr.state === to) return;
    const from = tr.state;
    tr.state = to;
    out.transitions.push({
      subject: tr.subject,
      rule: tr.rule.name,
      handler: tr.ref.handler,
      instance: tr.ref.instance,
      from,
      to,
      t: p.t,
      at: new Date(p.t).toISOString(),
      value: p.value,
      forecast: p.forecast ?? 0,
      has_forecast: (tr.rule.when.forecast_ms ?? 0) > 0,
      reason: this.reason(why, tr, v),
    });
  }

  /** The reason of a move, in words (`v`: the value the rule read). */
  private reason(why: Why, tr: Tracker, v: number): string {
    switch (why) {
      case 'firing':
        return firingReason(tr.rule, v);
      case 'fired':
        return tr.fired!.reason;
      case 'crossed-back':
        return crossedBackReason(tr.rule, v);
      case 'not-breach':
        return notBreachReason(tr.rule, v);
      case 'breach':
        return breachReason(tr.rule, v);
      case 'cooldown':
        return cooldownReason(tr, v);
      case 'held-back':
        return `${firingReason(tr.rule, v)}; held back: ${this.budget.describe()}`;
    }
  }
}

/** Which reason a state change gives (worded by `PolicyEngine.reason`, only when the state changes). */
type Why = 'firing' | 'fired' | 'crossed-back' | 'not-breach' | 'breach' | 'cooldown' | 'held-back';

/** The rows of one subject's rules (`trackers`), appended to `rows`. */
function rowsOf(trackers: Map<string, Tracker>, rows: ReportRow[]): ReportRow[] {
  for (const tr of trackers.values()) {
    const p = tr.profile;
    const forecastAsked = (tr.rule.when.forecast_ms ?? 0) > 0;
    rows.push({
      rule: tr.rule.name,
      handler: tr.ref.handler,
      instance: tr.ref.instance,
      metric: tr.rule.when.metric,
      state: tr.state,
      raw: p?.raw ?? 0,
      value: p?.value ?? 0,
      forecast: p?.forecast ?? 0,
      has_forecast: forecastAsked,
      action: tr.actionText,
      dry_run: tr.rule.dry_run,
      last_action: tr.lastAction,
      last_action_at: tr.lastActionIso,
      last_execution_id: tr.lastExecutionId,
      unavailable: tr.feed?.unavailable ?? '',
    });
  }
  return rows;
}

function newTracker(
  subject: string,
  ref: SubjectRef,
  scope: PolicyScope,
  rule: PolicyRule,
  key: string,
): Tracker {
  return {
    subject,
    ref,
    scope,
    rule,
    key,
    actionText: describePolicyAction(rule.do),
    profiler: new SignalProfiler({
      halfLifeMs: rule.when.smooth_half_life_ms ?? 0,
      forecastMs: rule.when.forecast_ms ?? 0,
    }),
    profile: undefined,
    feed: undefined,
    state: 'armed',
    latched: false,
    fired: undefined,
    lastDecision: undefined,
    breachSince: null,
    rest: 'armed',
    cooldownFrom: null,
    countedCooldown: false,
    countedBudget: false,
    lastAction: '',
    lastActionAt: null,
    lastActionIso: '',
    lastExecutionId: '',
  };
}

/** Past the clear level: `clear_below` / `clear_above`, or back on the safe side of the threshold. */
function crossedBack(rule: PolicyRule, v: number): boolean {
  const w = rule.when;
  if (w.above !== undefined) return w.clear_below !== undefined ? v < w.clear_below : v <= w.above;
  return w.clear_above !== undefined ? v > w.clear_above : v >= (w.below as number);
}

/** `rss (ema 30s)` / `cpu (forecast 1m)`: which value of the metric the rule reads. */
function signalName(rule: PolicyRule): string {
  const w = rule.when;
  if (w.forecast_ms) return `${w.metric} (forecast ${formatDuration(w.forecast_ms)})`;
  if (w.smooth_half_life_ms) return `${w.metric} (ema ${formatDuration(w.smooth_half_life_ms)})`;
  return w.metric;
}

function breachReason(rule: PolicyRule, v: number): string {
  const w = rule.when;
  const side = w.above !== undefined ? 'above' : 'below';
  const limit = (w.above ?? w.below) as number;
  return `${signalName(rule)} ${formatPolicyValue(w.metric, v)} ${side} ${formatPolicyValue(w.metric, limit)}`;
}

function firingReason(rule: PolicyRule, v: number): string {
  const f = rule.when.for_ms;
  return `${breachReason(rule, v)}${f > 0 ? ` for ${formatDuration(f)}` : ''}`;
}

function notBreachReason(rule: PolicyRule, v: number): string {
  const w = rule.when;
  const side = w.above !== undefined ? 'not above' : 'not below';
  const limit = (w.above ?? w.below) as number;
  return `${signalName(rule)} ${formatPolicyValue(w.metric, v)} ${side} ${formatPolicyValue(w.metric, limit)}`;
}

function crossedBackReason(rule: PolicyRule, v: number): string {
  const w = rule.when;
  const [side, level] =
    w.above !== undefined
      ? ['below', w.clear_below ?? w.above]
      : ['above', (w.clear_above ?? w.below) as number];
  const past =
    w.above !== undefined && w.clear_below === undefined
      ? 'not above'
      : w.below !== undefined && w.clear_above === undefined
        ? 'not below'
        : side;
  return `${signalName(rule)} ${formatPolicyValue(w.metric, v)} ${past} ${formatPolicyValue(w.metric, level)}`;
}

function cooldownReason(tr: Tracker, v: number): string {
  const until = (tr.cooldownFrom ?? 0) + tr.rule.cooldown_ms;
  return `${signalName(tr.rule)} ${formatPolicyValue(tr.rule.when.metric, v)}; cooldown ${formatDuration(tr.rule.cooldown_ms)} after the last action, until ${new Date(until).toISOString()}`;
}

function decisionOf(tr: Tracker, p: Profile, reason: string): Decision {
  const d: Decision = {
    subject: tr.subject,
    rule: tr.rule.name,
    handler: tr.ref.handler,
    instance: tr.ref.instance,
    scope: tr.scope,
    metric: tr.rule.when.metric,
    action: tr.rule.do,
    action_text: tr.actionText,
    t: p.t,
    raw: p.raw,
    value: p.value,
    reason,
    dry_run: tr.rule.dry_run,
    held_back: false,
  };
  if (p.forecast !== undefined) d.forecast = p.forecast;
  return d;
}

function clearOf(tr: Tracker, t: number, reason: string): Clear {
  return {
    subject: tr.subject,
    rule: tr.rule.name,
    handler: tr.ref.handler,
    instance: tr.ref.instance,
    action: tr.rule.do,
    dry_run: tr.rule.dry_run,
    t,
    reason,
  };
}
