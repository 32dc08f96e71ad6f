/**
 * The agent's local supervisor: owns the instances, the durable state file, the liveness poll of
 * adopted processes, log rotation and metrics. Its API is what the control plane calls. No signal
 * handlers here; `shutdown()` persists and leaves every handler running.
 */
import { EventEmitter } from 'node:events';
import { NotFoundError, StateError, ValidationError, errorMessage } from '../shared/errors.js';
import { observedRefusal } from '../shared/observed.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import type { DurableStore } from '../shared/durable-store.js';
import { instanceKey, parseInstanceKey, type HandlerSpec } from '../shared/spec.js';
import type { ProcessBackend } from './backend.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { Instance, type InstanceStatus, type StateChange } from './instance.js';
import type { InstanceEvent } from './lifecycle.js';
import { LinuxBackend } from './linux-backend.js';
import { rotateIfNeeded } from './log-rotation.js';
import { MetricsSampler } from './metrics.js';
import { DEFAULT_CGROUP_ROOT, type Cgroups } from './cgroups.js';
import { DEFAULT_DISCOVER_INTERVAL_MS, type DiscoverRule } from './discovery.js';
import type { ObservedSet } from './observed.js';
import { wireObserveAndLimits } from './observed-wiring.js';
import type { Probe } from './health-probe.js';
import { OnDemandController, type EnsureResult, type OnDemandTelemetry } from './on-demand.js';
import { chooseToWake } from './on-demand-policy.js';
import { openStateStore, specHash, type AgentState, type LastExit } from './state-store.js';

export type { InstanceStatus, StateChange } from './instance.js';
export type { EnsureResult } from './on-demand.js';

export interface SupervisorOptions {
  dataDir: string;
  backend?: ProcessBackend;
  clock?: Clock;
  logger?: Logger;
  /** Random source for backoff jitter (tests pass a constant). */
  random?: () => number;
  /** How often adopted processes are checked for liveness (own children report exits as events). Default 1s. */
  pollIntervalMs?: number;
  /** How often log sizes are checked for rotation. Default 10s. */
  logCheckIntervalMs?: number;
  /** The expected metrics sampling interval; pidusage history of unsampled PIDs expires after 2× this. Default 5s. */
  metricsIntervalMs?: number;
  /** Health probe override (tests). Default: real tcp/http/exec probes. */
  probe?: Probe;
  /** Advisory limits: the cgroup filesystem root (default /sys/fs/cgroup); unusable → one warning, unlimited. */
  cgroupRoot?: string;
  /** Discovery rules (observe-only) and the scan interval (default 10s). */
  discover?: DiscoverRule[];
  discoverIntervalMs?: number;
}

interface CompiledOptions {
  dataDir: string;
  backend: ProcessBackend;
  clock: Clock;
  logger: Logger;
  random: () => number;
  pollIntervalMs: number;
  logCheckIntervalMs: number;
  metricsIntervalMs: number;
  probe?: Probe;
  cgroupRoot: string;
  discover: DiscoverRule[];
  discoverIntervalMs: number;
}

function compileOptions(o: SupervisorOptions): CompiledOptions {
  return {
    dataDir: o.dataDir,
    backend: o.backend ?? new LinuxBackend(),
    clock: o.clock ?? systemClock,
    logger: (o.logger ?? silentLogger).named('supervisor'),
    random: o.random ?? Math.random,
    pollIntervalMs: o.pollIntervalMs ?? 1000,
    logCheckIntervalMs: o.logCheckIntervalMs ?? 10_000,
    metricsIntervalMs: o.metricsIntervalMs ?? 5_000,
    ...(o.probe ? { probe: o.probe } : {}),
    cgroupRoot: o.cgroupRoot ?? DEFAULT_CGROUP_ROOT,
    discover: o.discover ?? [],
    discoverIntervalMs: o.discoverIntervalMs ?? DEFAULT_DISCOVER_INTERVAL_MS,
  };
}

export interface InstanceMetrics extends OnDemandTelemetry {
  handler: string;
  index: number;
  state: InstanceStatus['state'];
  pid: number | null;
  cpu_percent: number;
  memory_bytes: number;
  processes: number;
  uptime_ms: number;
  restarts: number;
  last_exit: LastExit | null;
  temperature: InstanceStatus['temperature'];
}

export interface SupervisorEvents {
  state: [StateChange];
  event: [{ handler: string; event: InstanceEvent }];
  /** An instance's health verdict changed (`handler` is the instance key). */
  health: [{ handler: string }];
}

const NO_DEMAND: OnDemandTelemetry = {
  cold_starts: 0,
  last_cold_start_ms: 0,
  last_hot_memory_bytes: 0,
  recent_cold_starts_ms: [],
};

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly instances = new Map<string, Instance>();
  /** On-demand bookkeeping per instance key (idle timer, shared wake-up, cold starts). */
  private readonly demand = new Map<string, OnDemandController>();
  private readonly sampler: MetricsSampler;
  private readonly timers = new Map<string, TimerHandle>();
  private closed = false;
  /** Processes attached by PID or discovered: measured, never signalled. */
  readonly observed: ObservedSet;
  private readonly cgroups: Cgroups;
  private sweepPending = true;

  private constructor(
    private readonly opts: CompiledOptions,
    private readonly store: DurableStore<AgentState>,
  ) {
    super();
    this.sampler = new MetricsSampler(Math.max(1000, opts.metricsIntervalMs * 2));
    const parts = wireObserveAndLimits(opts, {
      store,
      instances: () => this.instances.values(),
      emitState: (c) => this.emit('state', c),
      emitEvent: (handler, event) => this.emit('event', { handler, event }),
    });
    // Every instance spawns into its cgroup and can never signal a group holding an observed process.
    opts.backend = parts.backend;
    this.observed = parts.observed;
    this.cgroups = parts.cgroups;
    this.on('state', (c) => {
      if (c.to !== 'running' && c.to !== 'starting') this.sweepPending = true;
    });
  }

  /** Opens the state file and re-adopts (or accounts for) every persisted instance. */
  static async create(options: SupervisorOptions): Promise<Supervisor> {
    const opts = compileOptions(options);
    const store = await openStateStore(opts.dataDir);
    const sup = new Supervisor(opts, store);
    for (const [key, spec] of Object.entries(store.data.specs)) {
      const inst = sup.newInstance({ ...spec, count: spec.count ?? 1 }, parseInstanceKey(key).index);
      const rec = store.data.instances[key];
      if (rec) inst.restore(rec);
    }
    await sup.observed.restore();
    sup.cgroups.sweep(); // stale groups of an earlier run
    if (sup.observed.discovering) {
      sup.observed.discover();
      sup.every(opts.discoverIntervalMs, () => sup.observed.discover());
    }
    sup.every(opts.pollIntervalMs, () => sup.poll());
    sup.every(opts.logCheckIntervalMs, () => sup.rotateLogs());
    opts.logger.info('supervisor ready', { instances: sup.instances.size, data_dir: opts.dataDir });
    return sup;
  }

  /** The number of durable state writes so far (benchmarks). */
  get stateWrites(): number {
    return this.store.writes;
  }

  private every(ms: number, fn: () => void): void {
    const key = `task${this.timers.size}`;
    const tick = (): void => {
      if (this.closed) return;
      try {
        fn();
      } catch (err) {
        this.opts.logger.error('periodic task failed', { err: errorMessage(err) });
      }
      this.timers.set(key, this.opts.clock.after(ms, tick));
    };
    this.timers.set(key, this.opts.clock.after(ms, tick));
  }

  private newInstance(spec: HandlerSpec, index = 0): Instance {
    const inst = new Instance(
      spec,
      specHash(spec),
      {
        backend: this.opts.backend,
        clock: this.opts.clock,
        logger: this.opts.logger,
        random: this.opts.random,
        dataDir: this.opts.dataDir,
        stopPollMs: 20,
        persist: (i) => this.persist(i),
        onState: (c) => {
          this.demand.get(c.handler)?.onState(c.to);
          this.emit('state', c);
        },
        onEvent: (handler, event) => this.emit('event', { handler, event }),
        onHealth: (handler) => this.emit('health', { handler }),
        ...(this.opts.probe ? { probe: this.opts.probe } : {}),
      },
      index,
    );
    this.instances.set(inst.name, inst);
    this.demand.get(inst.name)?.dispose();
    this.demand.set(
      inst.name,
      new OnDemandController(inst, {
        clock: this.opts.clock,
        logger: this.opts.logger,
        sampleRss: async (pid) => (await this.sampler.sample([pid])).get(pid)?.memory_bytes ?? 0,
      }),
    );
    return inst;
  }

  private demandOf(inst: Instance): OnDemandController {
    const d = this.demand.get(inst.name);
    if (!d) throw new NotFoundError(`no handler named ${JSON.stringify(inst.name)} on this agent`);
    return d;
  }

  private persist(inst: Instance): Promise<void> {
    if (this.closed || this.instances.get(inst.name) !== inst) return Promise.resolve();
    return this.store.update((d) => {
      d.specs[inst.name] = inst.spec;
      d.instances[inst.name] = inst.toRecord();
    });
  }

  private get(name: string): Instance {
    const inst = this.instances.get(name);
    if (!inst) throw new NotFoundError(`no handler named ${JSON.stringify(name)} on this agent`);
    return inst;
  }

  /** Instance keys of a handler (`web`, `web#1`, ...) in index order, or the key itself when given one. */
  keysOf(nameOrKey: string): string[] {
    if (nameOrKey.includes('#')) return [this.get(nameOrKey).name];
    const keys = [...this.instances.values()]
      .filter((i) => i.spec.name === nameOrKey)
      .sort((a, b) => a.index - b.index)
      .map((i) => i.name);
    if (keys.length === 0)
      throw new NotFoundError(`no handler named ${JSON.stringify(nameOrKey)} on this agent`);
    return keys;
  }

  /**
   * Reconciles with the wanted specs: starts new handlers, stops removed ones, restarts those whose
   * spec changed and leaves matching ones alone. Resolves when every change is done. Existing instances
   * of a `hold` handler (under a rolling update) keep their spec: rollouts move them with `updateInstance`.
   */
  async applySpecs(specs: HandlerSpec[], hold: ReadonlySet<string> = new Set()): Promise<InstanceStatus[]> {
    const wanted = new Map<string, HandlerSpec>();
    for (const s of specs) {
      if (wanted.has(s.name)) throw new ValidationError(`duplicate handler name ${JSON.stringify(s.name)}`);
      wanted.set(s.name, s);
    }
    const work: Array<Promise<unknown>> = [];
    for (const inst of this.instances.values()) {
      const spec = wanted.get(inst.spec.name);
      if (!spec || inst.index >= (spec.count ?? 1)) work.push(this.remove(inst));
    }
    for (const spec of wanted.values()) {
      const hash = specHash(spec);
      for (let index = 0; index < (spec.count ?? 1); index++) {
        const inst = this.instances.get(instanceKey(spec.name, index));
        if (!inst) {
          const created = this.newInstance(spec, index);
          // On-demand instances rest cold until an ensure; persisted so a restarted agent knows them.
          work.push(spec.mode === 'on-demand' ? this.persist(created) : created.start());
        } else if (inst.specHash !== hash && !hold.has(spec.name)) {
          work.push(this.replaceSpec(inst, spec, hash));
        }
      }
    }
    await Promise.all(work);
    return this.status();
  }

  /**
   * A rollout step (UPDATE): puts one instance on `spec` and restarts it, also when the spec is the same
   * (rolling restart). An instance an operator stopped only gets the spec stored.
   */
  async updateInstance(key: string, spec: HandlerSpec): Promise<InstanceStatus> {
    const inst = this.get(key);
    if (spec.name !== inst.spec.name)
      throw new ValidationError(`instance ${key} belongs to ${inst.spec.name}, not ${spec.name}`);
    const hash = specHash(spec);
    if (inst.specHash !== hash) await this.replaceSpec(inst, spec, hash);
    else if (inst.desired === 'running') await inst.restart();
    return inst.status();
  }

  private async replaceSpec(inst: Instance, spec: HandlerSpec, hash: string): Promise<void> {
    // A cold on-demand instance switched to always-on is wanted running (an operator's stop is not).
    const wasWanted =
      inst.desired === 'running' || (inst.spec.mode === 'on-demand' && spec.mode === 'always-on');
    await inst.stop();
    inst.spec = spec;
    inst.specHash = hash;
    await this.persist(inst);
    if (wasWanted) await inst.restart();
  }

  private async remove(inst: Instance): Promise<void> {
    await inst.stop();
    inst.dispose();
    this.demand.get(inst.name)?.dispose();
    this.demand.delete(inst.name);
    this.instances.delete(inst.name);
    await this.store.update((d) => {
      delete d.specs[inst.name];
      delete d.instances[inst.name];
    });
  }

  /** Starts an instance; an on-demand one is woken as by `ensure` (a failed wake-up throws, it stays cold). */
  async start(name: string): Promise<InstanceStatus> {
    const inst = this.get(name);
    if (inst.spec.mode === 'on-demand') return (await this.demandOf(inst).ensure()).status;
    this.demandOf(inst).touch();
    return inst.start();
  }

  /**
   * ENSURE: wakes one on-demand instance (the key given; for a handler name a hot one, else a warming
   * one, else the first) and resolves once it is hot, with the cold-start time; concurrent calls share
   * one start. Always-on instances are started if not active. A failed start throws ColdStartError.
   */
  async ensure(nameOrKey: string): Promise<EnsureResult[]> {
    const insts = this.keysOf(nameOrKey).map((k) => this.get(k));
    const first = insts[0]!;
    const targets =
      first.spec.mode === 'on-demand' ? [insts[chooseToWake(insts.map((i) => i.state))] ?? first] : insts;
    return Promise.all(targets.map((i) => this.demandOf(i).ensure()));
  }

  /** Marks use of a handler's instances (any command through the governor): restarts their idle timers. */
  touch(nameOrKey: string): void {
    for (const k of this.keysOf(nameOrKey)) this.demand.get(k)?.touch();
  }

  stop(name: string): Promise<InstanceStatus> {
    if (this.observed.has(name)) return Promise.reject(new StateError(observedRefusal(name)));
    return this.get(name).stop();
  }

  restart(name: string): Promise<InstanceStatus> {
    if (this.observed.has(name)) return Promise.reject(new StateError(observedRefusal(name)));
    const inst = this.get(name);
    this.demandOf(inst).touch();
    return inst.restart();
  }

  /** Status of every instance, of one handler's instances, or of one instance key. */
  status(name?: string): InstanceStatus[] {
    const observed = name !== undefined ? this.observed.status(name) : null;
    if (observed) return [observed];
    if (name !== undefined) return this.keysOf(name).map((k) => this.get(k).status());
    return [...this.instances.values()]
      .map((i) => i.status())
      .concat(this.observed.statuses())
      .sort((a, b) => a.handler.localeCompare(b.handler) || a.index - b.index);
  }

  /** The handler specs in force (one per handler, whatever its count). */
  specs(): HandlerSpec[] {
    const byName = new Map<string, HandlerSpec>();
    for (const i of this.instances.values()) byName.set(i.spec.name, i.spec);
    return [...byName.values()];
  }

  /**
   * CPU %, RSS (summed over each handler's process tree), uptime, restarts, last exit and on-demand
   * figures per instance. The RSS of a hot on-demand instance is remembered for the savings estimate.
   */
  async metrics(): Promise<InstanceMetrics[]> {
    const list = this.status();
    const roots = list.map((s) => s.pid).filter((p): p is number => p !== null);
    const usage = await this.sampler.sample(roots);
    this.observed.noteUsage(usage);
    const now = this.opts.clock.now();
    return list.map((s) => {
      const u = s.pid !== null ? usage.get(s.pid) : undefined;
      const d = this.demand.get(s.instance);
      if (u && s.temperature === 'hot') d?.recordHotRss(u.memory_bytes);
      return {
        ...(d?.telemetry() ?? NO_DEMAND),
        handler: s.handler,
        index: s.index,
        state: s.state,
        pid: s.pid,
        cpu_percent: u ? Math.round(u.cpu_percent * 10) / 10 : 0,
        memory_bytes: u?.memory_bytes ?? 0,
        processes: u?.processes ?? 0,
        uptime_ms: s.pid !== null && s.started_at !== null ? now - s.started_at : 0,
        restarts: s.restarts,
        last_exit: s.last_exit,
        temperature: s.temperature,
      };
    });
  }

  private pollTicks = 0;
  /** Adopted processes are polled every tick; own children report exits as events, checked every 10th tick. */
  private poll(): void {
    const all = ++this.pollTicks % 10 === 0;
    for (const inst of this.instances.values()) if (all || !inst.owned) inst.checkGone();
    this.observed.check();
    // Instance cgroups go once their processes are gone (a busy group is retried on later ticks).
    if (this.sweepPending || all) {
      this.sweepPending = false;
      this.cgroups.sweep();
    }
  }

  /** Copy-truncate rotation of every instance's logs past its `log.max_bytes`. */
  rotateLogs(): void {
    for (const inst of this.instances.values()) {
      const h = inst.handle;
      if (!h) continue;
      for (const f of [h.stdout_log, h.stderr_log]) {
        if (rotateIfNeeded(f, inst.spec.log.max_bytes, inst.spec.log.keep)) {
          this.opts.logger.info('log rotated', { instance: inst.name, file: f });
        }
      }
    }
  }

  /** Persists state and stops supervising. Handlers keep running; a new supervisor re-adopts them. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.store.update((d) => {
      for (const inst of this.instances.values()) {
        d.specs[inst.name] = inst.spec;
        d.instances[inst.name] = inst.toRecord();
      }
    });
    this.closed = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const inst of this.instances.values()) inst.dispose();
    for (const d of this.demand.values()) d.dispose();
    await this.store.close();
    this.opts.logger.info('supervisor shut down; handlers left running', { instances: this.instances.size });
  }
}
