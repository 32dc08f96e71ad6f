/**
 * The rule engine of the control loop (DESIGN §9), pure: per (rule, subject) a tracker fed samples
 * `{t, value}` (time passed in, no timers), a per-rule cooldown and a global action budget per agent.
 * The caller (the agent's control loop) samples the sensors, feeds them here and carries out the
 * decisions; see README.md for the state table.
 */
import type { PolicyAction, PolicyRule, PolicyScope } from '../../shared/policy-rules.js';
import type { Sample } from './profiler.js';

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

export class PolicyEngine {
  constructor(readonly options: PolicyEngineOptions = { budget: DEFAULT_BUDGET }) {}

  /**
   * Sets the rules of a subject (an instance key such as `web#1`, or `host` for agent-wide rules). Trackers
   * of rules that did not change keep their state; a rule removed or changed while firing is cleared
   * (returned, so the caller reverts its action). An empty list removes the subject.
   */
  setRules(subject: string, rules: readonly PolicyRule[], scope: PolicyScope, ref?: SubjectRef): Clear[] {
    void subject;
    void rules;
    void scope;
    void ref;
    throw new Error('not implemented yet');
  }

  /** Drops a subject (its instance is gone); returns the clears of its firing rules. */
  removeSubject(subject: string, t: number): Clear[] {
    void subject;
    void t;
    throw new Error('not implemented yet');
  }

  /** Feeds one sample of `metric` for `subject` to every rule of that subject on that metric. */
  observe(subject: string, metric: string, sample: Sample): ObserveResult {
    void subject;
    void metric;
    void sample;
    throw new Error('not implemented yet');
  }

  /**
   * The caller carried out (or recorded, dry-run) `decision` at `t`: the rule's cooldown runs from `t`, and
   * the rule's row shows the execution that recorded it. (The engine already starts the cooldown at the
   * decision; this moves it to when the action was taken.)
   */
  onActed(decision: Decision, t: number, executionId?: string): void {
    void decision;
    void t;
    void executionId;
    throw new Error('not implemented yet');
  }

  /** The sensor of `metric` is unavailable for `subject` (why; '' when it is back): shown on its rows. */
  setUnavailable(subject: string, metric: string, reason: string): void {
    void subject;
    void metric;
    void reason;
    throw new Error('not implemented yet');
  }

  /** The metrics the rules of `subject` read (what the control loop must sample for it). */
  metricsOf(subject: string): string[] {
    void subject;
    throw new Error('not implemented yet');
  }

  /** Every rule of every subject, for the PolicyReport. */
  states(): RuleStateRow[] {
    throw new Error('not implemented yet');
  }

  counters(): PolicyCounters {
    throw new Error('not implemented yet');
  }
}
