/**
 * The agent's control loop (DESIGN §9 Policies): sensors → the rule engine → actuators, on the agent alone,
 * master or no master (rules come from the handler specs the agent runs, persisted with its state, and from
 * its config file).
 *
 * - Instance rules (a handler spec's `policies:`): each instance is a subject (its key, `web#1`), fed at the
 *   metrics interval from the supervisor's metrics sample (one sample serves `gov metrics`, the metrics
 *   push and the rules: the loop samples itself only when nothing else did for an interval).
 * - Agent-wide rules (the config's `policies:`): the subject `host`, fed every `control_interval`.
 * - Decisions are carried out one after the other (actuators.ts), never awaited by a sample; a rule that
 *   clears reverts its limit or freeze. Only the metrics some rule reads are read.
 * - Every rule state change is kept for the next PolicyReport (at most MAX_PENDING_TRANSITIONS, oldest
 *   dropped) and announced (`changed`, once per sample); `report()` hands them out with every rule's row.
 */
import { EventEmitter } from 'node:events';
import type { PolicyReport } from '../../proto/generated/governor/v1/PolicyReport.js';
import type { PolicyTransition } from '../../proto/generated/governor/v1/PolicyTransition.js';
import { steadyTime, systemClock, type Clock, type TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { instanceKey } from '../../shared/spec.js';
import {
  HOST_METRICS,
  INSTANCE_METRICS,
  type HostMetric,
  type InstanceMetric,
  type PolicyRule,
} from '../../shared/policy-rules.js';
import type { AgentCommands } from '../commands.js';
import type { LocalAudit } from '../local/local-audit.js';
import type { InstanceMetrics, Supervisor } from '../supervisor/supervisor.js';
import { Actuators } from './actuators.js';
import { PolicyEngine, type Channel, type Clear, type Decision, type ObserveResult } from './rules.js';
import type { Sample } from './profiler.js';
import {
  instanceInput,
  isPressureMetric,
  isUnavailable,
  NO_CGROUP,
  ProcSensors,
  type InstanceInput,
  type SensorSource,
} from './sensors.js';

/** The subject of agent-wide rules. */
export const HOST_SUBJECT = 'host';
export const DEFAULT_CONTROL_INTERVAL_MS = 1000;
export const DEFAULT_POLICY_BUDGET = 10;
/** Transitions kept for the next report. */
export const MAX_PENDING_TRANSITIONS = 256;

const INSTANCE_SET: ReadonlySet<string> = new Set(INSTANCE_METRICS);
const HOST_SET: ReadonlySet<string> = new Set(HOST_METRICS);

export interface ControlLoopOptions {
  supervisor: Supervisor;
  commands: AgentCommands;
  audit: LocalAudit;
  /** Agent-wide rules (the config's `policies:`, compiled). */
  agentRules: readonly PolicyRule[];
  /** At most this many actions per minute on this agent (dry-run records aside). */
  budgetPerMinute: number;
  /** Host sensors' period. */
  controlIntervalMs: number;
  /** Instance sensors' period (the supervisor's metrics interval). */
  metricsIntervalMs: number;
  logger: Logger;
  clock?: Clock;
  /** The agent's data dir: the limits and freezes in force are kept there across restarts (held-actions.ts);
   * null: not kept (tests and benches that never restart). */
  dataDir: string | null;
  /** Where readings come from (tests inject their own); default: /proc and the instance cgroups. */
  source?: SensorSource;
}

/**
 * A subject with rules, made again whenever its rules are set, and otherwise reused at every sample: what a
 * sample reads and feeds is worked out here once (no lookup, no allocation per sample).
 */
interface Subject {
  rules: readonly PolicyRule[];
  /** The engine's channel of each metric its rules read; the instance metrics' (fed from the metrics
   * sample, in the order of `input.metrics`) and the host metrics' (fed every control interval). */
  instanceChannels: Channel[];
  hostChannels: Channel[];
  /** The host metrics to read (those of hostChannels). */
  hostWanted: ReadonlySet<HostMetric>;
  /** An instance subject's record for the sensors, rewritten at every sample; null: no instance metric. */
  input: InstanceInput | null;
  /** One of its instance metrics is read from its cgroup (its directory is looked up at each sample). */
  pressure: boolean;
  byName: Map<string, PolicyRule>;
}

/** The subject of one entry of the metrics sample (by position, while the sample's order holds). */
interface SampleSlot {
  handler: string;
  index: number;
  subject: Subject | undefined;
}

export class ControlLoop extends EventEmitter<{ changed: [] }> {
  readonly engine: PolicyEngine;
  readonly actuators: Actuators;
  private readonly source: SensorSource;
  private readonly clock: Clock;
  /** The rules' time (samples, cooldowns, the loop's own sampling): the clock's, never going back. */
  private readonly ruleNow: () => number;
  private readonly log: Logger;
  private readonly subjects = new Map<string, Subject>();
  private pending: PolicyTransition[] = [];
  private timers: TimerHandle[] = [];
  /** When the last metrics sample was taken: when the loop started its own, or when another's arrived. */
  private lastInstanceSample = -Infinity;
  /** The loop's own sample is under way. */
  private sampling = false;
  /** The last metrics sample (the most-memory order of `cool` reads its RSS). */
  private lastMetrics: InstanceMetrics[] = [];
  /** Instances or specs changed since the subjects were last synced (supervisor events). */
  private dirty = true;
  /** Per entry of the metrics sample, its subject (emptied whenever the subjects change). */
  private slots: SampleSlot[] = [];
  /** The inputs of one sample for the sensors, and their subjects (same order): refilled at each sample. */
  private readonly batch: InstanceInput[] = [];
  private readonly batchSubjects: Subject[] = [];
  /** What a reading changed, handed on after each one and emptied (one object for all samples). */
  private readonly scratch: ObserveResult = { transitions: [], actions: [], clears: [] };
  /** The sample fed to the engine, rewritten for each reading (the engine keeps none). */
  private readonly sample: Sample = { t: 0, value: 0 };
  private readonly onChange = () => {
    this.dirty = true;
  };
  /** The tail of the actions being carried out, one after the other (never rejects). */
  private acting: Promise<void> = Promise.resolve();
  private running = false;
  private hadRules = false;
  /** A failure here must never fail the metrics sample it listens to (the push, `gov metrics`). */
  private readonly onMetrics = (m: InstanceMetrics[]) => {
    try {
      this.instanceSample(m);
    } catch (err) {
      this.log.error('control loop step failed', { err });
    }
  };

  constructor(private readonly opts: ControlLoopOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.ruleNow = steadyTime(this.clock);
    this.log = opts.logger.named('control');
    this.engine = new PolicyEngine({ budget: { max: opts.budgetPerMinute, windowMs: 60_000 } });
    const sup = opts.supervisor;
    this.source =
      opts.source ??
      new ProcSensors({
        onDemandHot: () =>
          sup.status().filter((s) => s.mode === 'on-demand' && ['hot', 'warming'].includes(s.temperature))
            .length,
      });
    this.actuators = new Actuators(
      sup,
      opts.commands,
      opts.audit,
      opts.logger,
      (k) => this.lastMetrics.find((m) => instanceKey(m.handler, m.index) === k)?.memory_bytes ?? 0,
      () => this.clock.now(),
      opts.dataDir ?? undefined,
    );
  }

  /** Starts the timers and listens to the supervisor's metrics samples (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    // First of all actions: what a previous agent's rules left limited or frozen is put back.
    this.acting = this.acting.then(() =>
      this.actuators
        .restore()
        .catch((err: unknown) => this.log.error('putting back held policy actions failed', { err })),
    );
    const hostRules = this.opts.agentRules.length > 0;
    if (hostRules) this.setSubject(HOST_SUBJECT, this.opts.agentRules, 'agent', '', '');
    this.syncSubjects(
      this.opts.supervisor
        .status()
        .map((s) => ({ handler: s.handler, instance: s.instance, observed: s.mode === 'observed' })),
    );
    this.opts.supervisor.on('metrics', this.onMetrics);
    this.opts.supervisor.on('applied', this.onChange);
    this.opts.supervisor.on('state', this.onChange);
    // Agent-wide rules come from the config alone (fixed for the loop's life): none, no host timer.
    if (hostRules) this.every(this.opts.controlIntervalMs, () => this.hostSample());
    this.every(this.opts.metricsIntervalMs, () => this.fallbackSample());
    this.log.info('control loop running', {
      agent_rules: this.opts.agentRules.length,
      control_interval_ms: this.opts.controlIntervalMs,
      budget_per_minute: this.opts.budgetPerMinute,
    });
  }

  /**
   * Stops sampling; resolves once the actions under way are done. Limits and freezes stay as they are (in
   * the data dir's record, for the next agent to put back).
   */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers.splice(0)) t.cancel();
    this.opts.supervisor.off('metrics', this.onMetrics);
    this.opts.supervisor.off('applied', this.onChange);
    this.opts.supervisor.off('state', this.onChange);
    await this.acting;
    await this.actuators.close();
  }

  /** Resolves once every action decided so far is carried out and recorded (tests, shutdown). */
  settled(): Promise<void> {
    return this.acting;
  }

  /** Every rule's row, the transitions since the last report (handed out now) and the counters. */
  report(): PolicyReport {
    const transitions = this.pending;
    this.pending = [];
    return {
      rules: this.engine.rows(),
      transitions,
      counters: this.engine.counters(),
    };
  }

  /**
   * Whether there is anything to report: rules are set, or were (the master must hear that they are gone).
   * A host that never had any sends nothing.
   */
  get active(): boolean {
    if (this.subjects.size > 0) this.hadRules = true;
    return this.hadRules;
  }

  private every(ms: number, fn: () => void): void {
    const slot = this.timers.length;
    const arm = (): void => {
      this.timers[slot] = this.clock.after(ms, () => {
        if (!this.running) return;
        try {
          fn();
        } catch (err) {
          this.log.error('control loop step failed', { err });
        }
        arm();
      });
    };
    arm();
  }

  private setSubject(
    key: string,
    rules: readonly PolicyRule[],
    scope: 'agent' | 'handler',
    handler: string,
    instance: string,
  ): void {
    const before = this.subjects.get(key);
    if (before?.rules === rules) return;
    const clears = this.engine.setRules(key, rules, scope, { handler, instance });
    this.slots = [];
    if (rules.length === 0) this.subjects.delete(key);
    else {
      const metrics = [...new Set(rules.map((r) => r.when.metric))];
      const channels = (set: ReadonlySet<string>) =>
        metrics.filter((m) => set.has(m)).map((m) => this.engine.channel(key, m)!);
      const instanceChannels = channels(INSTANCE_SET);
      const hostChannels = channels(HOST_SET);
      const instanceMetrics = instanceChannels.map((c) => c.metric as InstanceMetric);
      this.subjects.set(key, {
        rules,
        instanceChannels,
        hostChannels,
        hostWanted: new Set(hostChannels.map((c) => c.metric as HostMetric)),
        input:
          key === HOST_SUBJECT || instanceMetrics.length === 0 ? null : instanceInput(key, instanceMetrics),
        pressure: instanceMetrics.some(isPressureMetric),
        byName: new Map(rules.map((r) => [r.name, r])),
      });
    }
    this.revert(clears);
  }

  /** Instances come and go, and their specs change: each instance of a handler with rules is a subject. */
  private syncSubjects(
    instances: ReadonlyArray<{ handler: string; instance: string; observed: boolean }>,
  ): void {
    const specs = new Map(this.opts.supervisor.specs().map((s) => [s.name, s]));
    const seen = new Set<string>([HOST_SUBJECT]);
    for (const s of instances) {
      if (s.observed) continue;
      const rules = specs.get(s.handler)?.policies ?? [];
      if (rules.length === 0 && !this.subjects.has(s.instance)) continue;
      seen.add(s.instance);
      this.setSubject(s.instance, rules, 'handler', s.handler, s.instance);
    }
    for (const key of [...this.subjects.keys()])
      if (!seen.has(key)) {
        this.subjects.delete(key);
        this.slots = [];
        this.revert(this.engine.removeSubject(key, this.ruleNow()));
      }
  }

  private fallbackSample(): void {
    // Instances or specs changed since the last sample (rules may have come with them), or instance rules.
    const instanceRules = this.subjects.size - (this.subjects.has(HOST_SUBJECT) ? 1 : 0) > 0;
    if (!this.dirty && !instanceRules) return;
    const now = this.ruleNow();
    if (this.sampling || now - this.lastInstanceSample < this.opts.metricsIntervalMs) return;
    // Counted from its start: the next one is due an interval after this one began, not after it ended.
    this.lastInstanceSample = now;
    this.sampling = true;
    // Emits `metrics`, which feeds instanceSample.
    this.opts.supervisor
      .metrics()
      .catch((err: unknown) => this.log.warn('metrics sampling failed', { err }))
      .finally(() => (this.sampling = false));
  }

  private hostSample(): void {
    const host = this.subjects.get(HOST_SUBJECT);
    if (!host) return;
    const now = this.ruleNow();
    const readings = this.source.host(host.hostWanted, now);
    let changed = false;
    for (const c of host.hostChannels) {
      const r = readings.get(c.metric as HostMetric);
      if (r === undefined) continue;
      changed = isUnavailable(r)
        ? this.feed(c, NaN, r.unavailable, now) || changed
        : this.feed(c, r, '', now) || changed;
    }
    this.settle(changed);
  }

  private instanceSample(metrics: InstanceMetrics[]): void {
    if (!this.running) return;
    const now = this.ruleNow();
    if (!this.sampling) this.lastInstanceSample = now; // another's sample (the metrics push, gov metrics)
    const sup = this.opts.supervisor;
    this.lastMetrics = metrics;
    // From the sample alone (no status documents: this runs every sample and must cost next to nothing);
    // the subjects are synced again only once instances or specs changed.
    if (this.dirty) {
      this.dirty = false;
      this.syncSubjects(
        metrics.map((m) => ({
          handler: m.handler,
          instance: instanceKey(m.handler, m.index),
          observed: sup.observed.has(m.handler),
        })),
      );
    }
    if (this.subjects.size === 0) return;
    // Each instance's record, rewritten in place, into the batch for the sensors.
    const { batch, batchSubjects } = this;
    let n = 0;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i]!;
      const subject = this.subjectAt(i, m);
      if (subject === undefined || subject.input === null) continue;
      const input = subject.input;
      input.running = m.state === 'running';
      input.root = m.pid;
      // Only an fds rule reads the tree (no lookup, nothing allocated otherwise).
      input.tree = input.metrics.includes('fds') ? sup.treeRef(input.key) : null;
      input.cpu_percent = m.cpu_percent;
      input.memory_bytes = m.memory_bytes;
      input.restarts = m.restarts;
      input.cgroup = subject.pressure ? sup.pressureDir(input.key) : NO_CGROUP;
      batch[n] = input;
      batchSubjects[n++] = subject;
    }
    if (batch.length !== n) batch.length = batchSubjects.length = n;
    if (n === 0) return;
    this.source.instances(batch, now);
    let changed = false;
    for (let k = 0; k < n; k++) {
      const { instanceChannels, input } = batchSubjects[k]!;
      const { values, unavailable } = input!;
      for (let j = 0; j < instanceChannels.length; j++)
        changed = this.feed(instanceChannels[j]!, values[j]!, unavailable[j]!, now) || changed;
    }
    this.settle(changed);
  }

  /** The subject of entry `i` of a metrics sample (`m`): the one found there last time while the sample's
   * order holds, else looked up by its key. */
  private subjectAt(i: number, m: InstanceMetrics): Subject | undefined {
    const slot = this.slots[i];
    if (slot !== undefined && slot.handler === m.handler && slot.index === m.index) return slot.subject;
    const subject = this.subjects.get(instanceKey(m.handler, m.index));
    this.slots[i] = { handler: m.handler, index: m.index, subject };
    return subject;
  }

  /** One reading of one metric for one subject into the engine: its value, or why it has none ('': it has
   * one); what it changed is handled at once. True when it changed a rule's state (a transition). */
  private feed(channel: Channel, value: number, why: string, now: number): boolean {
    if (channel.unavailable !== why) this.engine.setUnavailable(channel.subject, channel.metric, why);
    if (why !== '') return false;
    const sample = this.sample;
    sample.t = now;
    sample.value = value;
    const res = this.engine.feed(channel, sample, this.scratch);
    if (res.transitions.length === 0 && res.actions.length === 0 && res.clears.length === 0) return false;
    return this.handle(res);
  }

  /** Transitions for the report, decisions and clears to the actuators; empties `res`. True when it held a
   * transition. */
  private handle(res: ObserveResult): boolean {
    for (const t of res.transitions) {
      const { subject: _s, t: _t, ...wire } = t;
      this.pending.push(wire);
    }
    for (const d of res.actions) if (!d.held_back) this.enqueue(d);
    this.revert(res.clears);
    const changed = res.transitions.length > 0;
    res.transitions.length = 0;
    res.actions.length = 0;
    res.clears.length = 0;
    return changed;
  }

  /** After a sample: the transitions kept are bounded, and a change is announced (once). */
  private settle(changed: boolean): void {
    if (this.pending.length > MAX_PENDING_TRANSITIONS)
      this.pending.splice(0, this.pending.length - MAX_PENDING_TRANSITIONS);
    if (changed) this.emit('changed');
  }

  private enqueue(d: Decision): void {
    const rule = this.subjects.get(d.subject)?.byName.get(d.rule);
    if (!rule) return;
    this.acting = this.acting.then(async () => {
      try {
        const out = await this.actuators.act(d, rule);
        this.engine.onActed(d, this.ruleNow(), out.executions[0]?.id);
        this.emit('changed'); // the row shows the execution
      } catch (err) {
        this.log.error('policy action failed', { rule: d.rule, err });
      }
    });
  }

  private revert(clears: readonly Clear[]): void {
    for (const c of clears) {
      this.acting = this.acting.then(() =>
        this.actuators
          .revert(c)
          .catch((err: unknown) => this.log.error('policy revert failed', { rule: c.rule, err })),
      );
    }
  }
}
