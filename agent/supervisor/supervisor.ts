/**
 * The agent's local supervisor: owns the instances (instance-registry.ts), the observed set, the durable
 * state file, the periodic chores (housekeeping.ts: liveness poll, log rotation) and metrics; wraps the
 * process backend for limits and the observed guard, and on start adopts or stops stray shims
 * (stray-shims.ts). Its API is what the control plane calls; it is the EventEmitter every instance and
 * observed process reports on. No signal handlers here; `shutdown()` persists and leaves every handler
 * running.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { stopwatch } from '../../shared/clock.js';
import { StateError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { handlerObservedClash, observedRefusal } from '../../shared/observed.js';
import { compareNames } from '../../shared/names.js';
import type { DurableStore } from '../../shared/durable-store.js';
import { parseInstanceKey, type HandlerSpec } from '../../shared/spec.js';
import type { Handle, ProcessBackend } from '../process/backend.js';
import { Cgroups, cgroupScope } from '../process/cgroups.js';
import { LimitedBackend } from '../process/cgroups-backend.js';
import { CgroupTracking, cgroupOnlyHandle, cgroupPids } from '../process/cgroup-tracking.js';
import { CheckedBackend } from '../process/spawn-checks.js';
import { CgroupFreezer, type Freezer } from '../process/freezer.js';
import { CpuAccounting } from '../process/cpu-accounting.js';
import { FULL_READ_INTERVALS, MetricsSampler } from '../process/sampler.js';
import { handleTree, treeMembers, type TreeRef } from '../process/process-tree.js';
import { overrideLimits, type OverrideOutcome } from '../process/limit-override.js';
import { STOP_POLL_MS, type Instance, type InstanceStatus } from '../instance/instance.js';
import type { SampledStatus } from '../instance/status.js';
import { prepareDataDir } from '../instance/paths.js';
import { notRunningRefusal, SIGNALLABLE } from '../instance/signal.js';
import { followedByCont, KILL_DEADLINE_MS, stopGroup } from '../instance/stop.js';
import { GuardedBackend } from '../observed/guard.js';
import { NotifyReceiver } from '../notify/receiver.js';
import { ObservedSet } from '../observed/observed.js';
import type { EnsureResult } from '../on-demand/on-demand.js';
import { chooseToWake } from '../on-demand/policy.js';
import type { SupervisorEvents } from './events.js';
import { execContextOf } from '../exec/exec-context.js';
import type { ExecContext } from '../exec/exec-sessions.js';
import { Housekeeping } from './housekeeping.js';
import { InstanceRegistry } from './instance-registry.js';
import { collectMetrics, type InstanceMetrics } from './metrics-report.js';
import { compileOptions, type CompiledOptions, type SupervisorOptions } from './options.js';
import { reconcile, rolloutStep, wantedSpecs, type ReconcileOptions } from './reconcile.js';
import { STATE_FILE, openStateStore, type AgentState, type InstanceRecord } from './state-store.js';
import {
  heldGroups,
  orphanGroups,
  planStrays,
  runDir,
  unrecordedToStop,
  type StrayPlan,
} from './stray-shims.js';

export type { InstanceStatus, StateChange } from '../instance/instance.js';
export type { EnsureResult } from '../on-demand/on-demand.js';
export type { SupervisorEvents } from './events.js';
export type { InstanceMetrics } from './metrics-report.js';
export type { SupervisorOptions } from './options.js';

/** The stop timeout of a stray whose instance this agent does not know. */
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly registry: InstanceRegistry;
  private readonly sampler: MetricsSampler;
  private readonly housekeeping: Housekeeping;
  private closed = false;
  /** Processes attached by PID or discovered: measured, never signalled. */
  readonly observed: ObservedSet;
  private readonly cgroups: Cgroups;
  /** Each handler's own cgroup (detected once; `layout` null: process groups only, warned once). */
  /** Process tracking by cgroup (read by tests and diagnostics). */
  readonly tracker: CgroupTracking;
  /** The backend instances use (limits + observed guard around the options' one). */
  private readonly backend: ProcessBackend;
  /** Pauses `idle_action: freeze` handlers (v2 tracking group or v1 freezer hierarchy; none: they stop). */
  private readonly freezer: Freezer;
  /** One CPU counter per instance cgroup: a metrics sample skips the /proc reads of a tree that did not run. */
  private readonly accounting: CpuAccounting;

  private constructor(
    private readonly opts: CompiledOptions,
    private readonly store: DurableStore<AgentState>,
    /** The sd_notify socket (agent/notify); its endpoint is in opts.launch. */
    private readonly notify: NotifyReceiver<Instance>,
  ) {
    super();
    // The supervisor's clock: an on-demand idle check's CPU window is measured on the idle timer's clock.
    this.sampler = new MetricsSampler(
      Math.max(1000, opts.metricsIntervalMs * 2),
      opts.clock,
      opts.metricsIntervalMs * FULL_READ_INTERVALS,
    );
    const scope = cgroupScope(opts.dataDir);
    this.tracker = new CgroupTracking({ root: opts.cgroupRoot, scope, logger: opts.logger });
    const own = this.tracker.layout?.version === 2 ? { v2OwnPath: this.tracker.layout.ownPath } : {};
    this.cgroups = new Cgroups({ root: opts.cgroupRoot, scope, logger: opts.logger, ...own });
    const tracking = this.tracker.layout;
    this.freezer = new CgroupFreezer({ root: opts.cgroupRoot, scope, tracking, logger: opts.logger });
    this.accounting = new CpuAccounting({ root: opts.cgroupRoot, scope, tracking, logger: opts.logger });
    this.backend = this.wrapBackend(opts.backend);
    // Instances and the observed set report on this emitter directly.
    const instOpts = { ...opts, backend: this.backend, freezer: this.freezer };
    this.registry = new InstanceRegistry(instOpts, store, this, this.sampler, (key, h) =>
      this.accounting.seconds(key, h),
    );
    this.observed = new ObservedSet(opts, store, this.cgroups, this, this.registry, () =>
      this.tracker.pids(),
    );
    const sweeps = [this.cgroups, this.tracker, this.freezer, this.accounting];
    this.housekeeping = new Housekeeping(
      opts,
      this.registry,
      this.observed,
      sweeps,
      this.accounting.quietWatch(),
    );
    this.on('state', (c) => this.housekeeping.noteState(c.to));
    // Messages reach instances as soon as they exist (adopted ones included).
    notify.attach(
      () => this.registry.values(),
      (inst, msg, sender, main) => {
        inst.onNotify(msg, sender, main);
        if (msg.busy !== undefined && inst.spec.mode === 'on-demand')
          this.registry.demandOf(inst).setBusy(msg.busy);
      },
    );
  }

  /** sd_notify messages ignored since the agent started (HostMetrics.notify_ignored). */
  notifyIgnored(): number {
    return this.notify.ignored;
  }

  /**
   * The backend instances use: the real one wrapped thrice — a missing cwd is named before any spawn
   * (spawn-checks.ts), every instance spawns into its own cgroup (tracking, and advisory limits), and
   * neither a process group nor a cgroup member that is an observed process is signalled (observed/guard.ts).
   */
  private wrapBackend(real: ProcessBackend): ProcessBackend {
    const guardLog = this.opts.logger.named('guard');
    const limited = new LimitedBackend(
      new CheckedBackend(real),
      this.cgroups,
      (key) => this.registry.find(key)?.spec.limits,
      this.tracker.layout ? this.tracker : null,
      (key) => this.registry.find(key)?.spec.type,
      this.freezer,
      (key) => this.registry.find(key)?.spec.idle_action === 'freeze',
      this.accounting,
    );
    const observed = { observedPids: () => this.observed.observedPids() };
    return new GuardedBackend(limited, observed, (h, pid) =>
      guardLog.error('signal refused: the process group holds an observed process', {
        pgid: h.pgid,
        observed_pid: pid,
      }),
    );
  }

  /**
   * How this agent tracks handler processes (DESIGN §9, Hello.tracking): `cgroup` when each handler gets
   * its own cgroup, `pgroup` when none could be created (process groups only; warned once at start).
   */
  tracking(): 'cgroup' | 'pgroup' {
    return this.tracker.layout ? 'cgroup' : 'pgroup';
  }

  /** Opens the state file and re-adopts (or accounts for) every persisted instance. */
  static async create(options: SupervisorOptions): Promise<Supervisor> {
    const opts = compileOptions(options);
    prepareDataDir(opts.dataDir);
    const { store, existed } = await openStateStore(opts.dataDir, opts.logger);
    // Before any instance can spawn: a notify handler's environment names the socket (or its start fails
    // with why there is none).
    const notify = new NotifyReceiver<Instance>({
      dataDir: opts.dataDir,
      scope: cgroupScope(opts.dataDir),
      uid: opts.launch.uid,
      logger: opts.logger,
      clock: opts.clock,
      ...opts.notify,
    });
    opts.launch.notify = notify.endpoint;
    try {
      return await Supervisor.adoptAll(opts, store, existed, notify);
    } catch (err) {
      notify.close(); // a refused start leaves no socket behind
      throw err;
    }
  }

  /** The rest of `create`: strays and orphans first, then every persisted instance re-adopted. */
  private static async adoptAll(
    opts: CompiledOptions,
    store: DurableStore<AgentState>,
    existed: boolean,
    notify: NotifyReceiver<Instance>,
  ): Promise<Supervisor> {
    const sup = new Supervisor(opts, store, notify);
    const strays = sup.findStrays();
    const orphans = sup.findOrphanGroups(strays);
    const found = [
      ...strays.adopt.values(),
      ...[...strays.unrecorded.values(), ...strays.stop.map((s) => s.shim)].map((s) => s.handle),
    ];
    if (!existed && (found.length > 0 || orphans.size > 0)) {
      const pids = [
        ...new Set([
          ...found.map((h) => h.pid),
          ...[...orphans.values()].flatMap((h) => sup.backend.cgroupMembers(h)),
        ]),
      ];
      throw new StateError(
        `${path.join(opts.dataDir, STATE_FILE)} is missing, but ${pids.length} handler process(es) of this data ` +
          `dir are running (PIDs ${pids.join(', ')}): restore the state file, or stop them ` +
          `(kill -TERM -PID) before starting the agent; never started from scratch beside running handlers`,
      );
    }
    // Daemons no record names (stray-shims.ts `heldGroups`): held like unrecorded shims until their spec decides.
    for (const key of heldGroups([...orphans.keys()], store.data.specs, store.data.instances)) {
      const h = orphans.get(key)!;
      opts.logger.warn(
        'processes of an instance the state file has no record of: left running until its spec arrives',
        {
          instance: key,
          cgroup: h.cgroup,
          pids: sup.backend.cgroupMembers(h),
        },
      );
      strays.unrecorded.set(key, { key, handle: h, command: [], env: null, cwd: null });
      orphans.delete(key);
    }
    await sup.observed.restore(); // before any stray is signalled: the guard must know every observed process
    // Before any instance can spawn: its next process joins the same group.
    await sup.reapOrphanGroups(orphans);
    for (const [key, spec] of Object.entries(store.data.specs)) {
      const inst = sup.registry.add({ ...spec, count: spec.count ?? 1 }, parseInstanceKey(key).index);
      const rec = Object.hasOwn(store.data.instances, key) ? store.data.instances[key] : undefined;
      if (rec?.removing) {
        // An apply's removal the last agent did not finish: adopted wanted stopped, then stopped and forgotten.
        inst.restore({ ...rec, desired: 'stopped' }, strays.adopt.get(key) ?? null);
        opts.logger.warn('finishing the removal of an instance an earlier agent did not complete', {
          instance: key,
        });
        inst.background(sup.registry.remove(inst).then(() => sup.emit('applied')));
        continue;
      }
      if (rec) {
        inst.restore(rec, strays.adopt.get(key) ?? null);
        continue;
      }
      // A spec without a record (a state file restored from an older copy): the instance is what an apply
      // of the spec makes of it — its live process adopted, else started (or cold, on demand).
      const stray = strays.unrecorded.get(key);
      strays.unrecorded.delete(key);
      inst.background(stray ? inst.adoptUnrecorded(stray) : inst.begin());
    }
    sup.registry.holdUnrecorded(strays.unrecorded.values());
    void sup.reapStrays(strays.stop);
    for (const dir of sup.tracker.sessionGroups())
      void sup.drainSessionGroup(path.basename(path.dirname(dir)), dir, 0); // sessions that died with an agent
    sup.cgroups.sweep(); // stale groups of an earlier run
    sup.tracker.sweep();
    sup.freezer.sweep();
    sup.accounting.sweep();
    const chores = sup.housekeeping;
    if (sup.observed.discovering) {
      sup.observed.discover();
      chores.every(opts.discoverIntervalMs, () => sup.observed.discover());
    }
    chores.startPoll(opts.pollIntervalMs);
    // A log grows only while a process of its handler runs: while nothing in this agent's groups ran since the
    // last look (cpu-accounting.ts), the logs of the instances in counted groups are not looked at (an idle
    // agent with 100 handlers made 200 lstats every 10 s).
    const quietLogs = sup.accounting.quietWatch();
    chores.every(opts.logCheckIntervalMs, () => chores.rotateLogs(quietLogs() ?? undefined));
    if (opts.backend.spawnUnavailable)
      opts.logger.warn('handlers are spawned through child_process (the agent is forked per start)', {
        reason: opts.backend.spawnUnavailable,
      });
    opts.logger.info('supervisor ready', { instances: sup.registry.size, data_dir: opts.dataDir });
    return sup;
  }

  /**
   * The live shims of this data dir that no persisted handle accounts for, and what to do with each
   * (stray-shims.ts): adopted by their instance, or stopped. Runs before any instance can spawn.
   */
  private findStrays(): StrayPlan {
    const { specs, instances } = this.store.data;
    const records: Record<string, InstanceRecord> = {};
    for (const key of Object.keys(specs)) {
      const rec = Object.hasOwn(instances, key) ? instances[key] : undefined;
      if (rec) records[key] = rec;
    }
    const shims = this.backend.listShims(runDir(this.opts.dataDir));
    const plan = planStrays(shims, records, (key) => {
      const h = records[key]?.handle;
      return !!h && this.backend.recover(h).kind === 'alive';
    });
    const kept = [
      ...[...plan.adopt].map(([key, h]) => [key, h, 'adopting a stray handler'] as const),
      ...[...plan.unrecorded].map(
        ([key, shim]) =>
          [
            key,
            shim.handle,
            'a handler process the state file has no record of: left running until its spec arrives',
          ] as const,
      ),
    ];
    for (const [key, h, what] of kept) {
      // A kept stray is tracked by its instance's group when it is in it (a stray that is stopped is not: the
      // group may hold the instance's verified process too).
      const dir = this.tracker.dirOf(key);
      if (dir !== null && cgroupPids(dir).includes(h.pid)) h.cgroup = dir;
      this.opts.logger.warn(what, { instance: key, pid: h.pid });
    }
    return plan;
  }

  /** Groups holding processes no record accounts for (stray-shims.ts `orphanGroups`), as cgroup-only handles. */
  private findOrphanGroups(strays: StrayPlan): Map<string, Handle> {
    const groups = this.tracker.groups().map((key) => {
      const h = cgroupOnlyHandle(this.tracker.dirOf(key)!);
      return { key, h, members: this.backend.cgroupMembers(h) };
    });
    const kept = new Set([...strays.adopt.keys(), ...strays.unrecorded.keys()]);
    const keys = orphanGroups(groups, this.store.data.instances, kept);
    return new Map(groups.filter((g) => keys.includes(g.key)).map((g) => [g.key, g.h]));
  }

  /**
   * Stops every process of each orphan group: its instance's stop signal (SIGTERM when unknown), SIGKILL
   * after its stop_timeout, repeated until the group is empty or KILL_DEADLINE_MS passed (then logged).
   * Only cgroup members are signalled (never a process group), observed processes spared by the guard.
   */
  private async reapOrphanGroups(orphans: ReadonlyMap<string, Handle>): Promise<void> {
    await Promise.all(
      [...orphans].map(async ([key, h]) => {
        const spec = Object.hasOwn(this.store.data.specs, key) ? this.store.data.specs[key] : undefined;
        const log = this.opts.logger.with({ instance: key, cgroup: h.cgroup });
        log.warn('stopping processes no record names in an instance cgroup', {
          pids: this.backend.cgroupMembers(h),
        });
        await this.freezer.thaw(key, h); // a frozen process would hold its stop signal forever
        await this.drainCgroup(
          h,
          spec?.stop_signal ?? 'SIGTERM',
          spec?.stop_timeout_ms ?? DEFAULT_STOP_TIMEOUT_MS,
          log,
        );
      }),
    );
  }

  /**
   * Empties a group that only its cgroup names: `signal` to every member (then SIGCONT, as a stop does: a
   * stopped member runs its handler), SIGKILL once `timeoutMs` passed, repeated until it is empty or
   * KILL_DEADLINE_MS more passed (then logged). Observed processes are spared by the backend's guard. True
   * when it emptied.
   */
  private async drainCgroup(
    h: Handle,
    signal: NodeJS.Signals,
    timeoutMs: number,
    log: Logger,
  ): Promise<boolean> {
    const { clock } = this.opts;
    const elapsed = stopwatch(clock); // not the wall clock: a step of it must not stretch or cut the wait
    this.backend.signalCgroup(h, signal);
    if (followedByCont(signal)) this.backend.signalCgroup(h, 'SIGCONT');
    while (this.backend.cgroupPopulated(h)) {
      if (elapsed() >= timeoutMs + KILL_DEADLINE_MS) {
        log.error('processes not stopped', { pids: this.backend.cgroupMembers(h) });
        return false;
      }
      if (elapsed() >= timeoutMs) this.backend.signalCgroup(h, 'SIGKILL');
      await new Promise<void>((r) => clock.after(STOP_POLL_MS, r));
    }
    return true;
  }

  /**
   * An exec session ended (or died with an earlier agent): what its program left in the session's group
   * (a setsid daemon, say) gets SIGHUP, as from a hung-up terminal, and SIGKILL after `graceMs`; then the
   * group goes.
   */
  private drainSessionGroup(key: string, dir: string, graceMs: number): Promise<void> {
    let draining = this.drainingSessions.get(dir);
    if (!draining) {
      draining = this.drainSessionGroupNow(key, dir, graceMs).finally(() =>
        this.drainingSessions.delete(dir),
      );
      this.drainingSessions.set(dir, draining);
    }
    return draining;
  }

  private readonly drainingSessions = new Map<string, Promise<void>>();

  private async drainSessionGroupNow(key: string, dir: string, graceMs: number): Promise<void> {
    if (!existsSync(dir)) return;
    const h = cgroupOnlyHandle(dir);
    const log = this.opts.logger.with({ instance: key, cgroup: dir });
    if (this.backend.cgroupPopulated(h))
      log.info('ending what an exec session left running', { pids: this.backend.cgroupMembers(h) });
    if (await this.drainCgroup(h, 'SIGHUP', graceMs, log)) {
      // The kernel may take a moment to let go of the last exited member.
      const elapsed = stopwatch(this.opts.clock);
      while (!this.tracker.remove(dir) && existsSync(dir) && elapsed() < KILL_DEADLINE_MS)
        await new Promise<void>((r) => this.opts.clock.after(STOP_POLL_MS, r));
    }
  }

  /**
   * Stops each stray's whole group (stop signal, SIGKILL after stop_timeout: its `spec`'s, else its instance's,
   * else SIGTERM and the default).
   */
  private async reapStrays(
    stop: ReadonlyArray<StrayPlan['stop'][number] & { spec?: HandlerSpec }>,
  ): Promise<void> {
    await Promise.all(
      stop.map(async ({ shim, reason, spec: given }) => {
        const spec = given ?? this.registry.find(shim.key)?.spec;
        const log = this.opts.logger.with({ instance: shim.key, pid: shim.handle.pid });
        log.warn('stopping a stray handler process group', { reason });
        try {
          await this.freezer.thaw(shim.key, shim.handle);
          const res = await stopGroup(shim.handle, {
            backend: this.backend,
            clock: this.opts.clock,
            signal: spec?.stop_signal ?? 'SIGTERM',
            timeoutMs: spec?.stop_timeout_ms ?? DEFAULT_STOP_TIMEOUT_MS,
            pollMs: STOP_POLL_MS,
            cancelled: () => this.closed,
            note: (_type, message) => log.info(message),
          });
          if (res.kind === 'refused' || res.kind === 'stuck')
            log.error('stray not stopped', { reason: res.reason });
        } catch (err) {
          log.error('stopping a stray failed', { err });
        }
      }),
    );
  }

  /** Instance keys of a handler (`web`, `web#1`, ...) in index order, or the key itself when given one. */
  keysOf(nameOrKey: string): string[] {
    return this.registry.keysOf(nameOrKey);
  }

  /**
   * Reconciles with the wanted specs: starts new handlers, stops removed ones, restarts those whose
   * spec changed and leaves matching ones alone. Resolves when every change is done. Existing instances
   * of a `hold` handler (under a rolling update) keep their spec: rollouts move them with `updateInstance`.
   */
  async applySpecs(
    specs: HandlerSpec[],
    hold: ReadonlySet<string> = new Set(),
    opts: ReconcileOptions = {},
  ): Promise<InstanceStatus[]> {
    // One namespace per agent (the agent is the authority, whatever the master believes): refused whole,
    // before anything changes, when a handler would take an observed process's name. No await between
    // this check and reconcile adding the instances, so discovery cannot slip a name in between.
    for (const s of specs) {
      const clash = this.observed.status(s.name);
      if (clash) throw new StateError(handlerObservedClash(s.name, clash.pid ?? 0));
    }
    // Unrecorded strays (stray-shims.ts) of removed handlers or above their count: stopped once the apply is taken.
    const wanted = wantedSpecs(specs);
    const doomed = unrecordedToStop(this.registry.unrecordedKeys(), wanted, opts.remove);
    await reconcile(this.registry, specs, hold, opts);
    await this.reapStrays(
      doomed.flatMap(({ key, reason }) => {
        const shim = this.registry.takeUnrecorded(key);
        return shim ? [{ shim, reason, spec: wanted.get(parseInstanceKey(key).handler) }] : [];
      }),
    );
    this.emit('applied'); // removed instances change no state: listeners that show the set refresh here
    return this.status();
  }

  /**
   * A rollout step (UPDATE): puts one instance on `spec` and restarts it, also when the spec is the same
   * (rolling restart). An instance an operator stopped only gets the spec stored.
   */
  updateInstance(key: string, spec: HandlerSpec): Promise<InstanceStatus> {
    return rolloutStep(this.registry, key, spec);
  }

  /** Starts an instance; an on-demand one is woken as by `ensure` (a failed wake-up throws, it stays cold). */
  async start(name: string): Promise<InstanceStatus> {
    const inst = this.registry.get(name);
    if (inst.spec.mode === 'on-demand') return (await this.registry.demandOf(inst).ensure()).status;
    this.registry.demandOf(inst).touch();
    return inst.start();
  }

  /**
   * ENSURE: wakes one on-demand instance (the key given; for a handler name a hot one, else a warming
   * one, else the first) and resolves once it is hot, with the cold-start time; concurrent calls share
   * one start. Always-on instances are started if not active. A failed start throws ColdStartError.
   * `holdMs` > 0 (`ensure --hold`) also takes or renews a lease on the instance it wakes: it counts as
   * busy until the lease ends (refused for always-on handlers, before anything starts).
   */
  async ensure(nameOrKey: string, holdMs = 0): Promise<EnsureResult[]> {
    if (this.observed.has(nameOrKey)) throw new StateError(observedRefusal(nameOrKey));
    const insts = this.keysOf(nameOrKey).map((k) => this.registry.get(k));
    const first = insts[0]!;
    const targets =
      first.spec.mode === 'on-demand' ? [insts[chooseToWake(insts.map((i) => i.state))] ?? first] : insts;
    const demand = targets.map((i) => this.registry.demandOf(i));
    if (holdMs > 0) for (const d of demand) await d.hold(holdMs);
    return Promise.all(demand.map((d) => d.ensure()));
  }

  /**
   * RELEASE: ends the leases held on a handler's instances (or the one instance key) at once; their idle
   * period starts now. Refused for observed processes and always-on handlers (they hold no lease).
   */
  async release(nameOrKey: string): Promise<Array<{ status: InstanceStatus; held: boolean }>> {
    if (this.observed.has(nameOrKey)) throw new StateError(observedRefusal(nameOrKey));
    const insts = this.keysOf(nameOrKey).map((k) => this.registry.get(k));
    const out = [];
    for (const i of insts) out.push({ held: await this.registry.demandOf(i).release(), status: i.status() });
    return out;
  }

  /** sd_notify `BUSY=1` (true) / `IDLE=1` (false) from an instance's process: see OnDemandController.setBusy. */
  setBusy(key: string, busy: boolean): void {
    this.registry.demandAt(key)?.setBusy(busy);
  }

  /** Marks use of a handler's instances (any command through the governor): restarts their idle timers. */
  touch(nameOrKey: string): void {
    for (const k of this.keysOf(nameOrKey)) this.registry.demandAt(k)?.touch();
  }

  stop(name: string): Promise<InstanceStatus> {
    if (this.observed.has(name)) return Promise.reject(new StateError(observedRefusal(name)));
    return this.registry.get(name).stop();
  }

  /** `onlyIfMeantToRun`: see Instance.restart (a resource policy's restart). */
  restart(name: string, opts: { onlyIfMeantToRun?: boolean } = {}): Promise<InstanceStatus> {
    if (this.observed.has(name)) return Promise.reject(new StateError(observedRefusal(name)));
    const inst = this.registry.get(name);
    this.registry.demandOf(inst).touch();
    return inst.restart(opts);
  }

  /**
   * SIGNAL: sends `signal` to every instance of a handler (or the one instance key), to each one's process
   * group or with `main` its main process only (instance/signal.ts). Refused whole, nothing sent, for an
   * observed process and when any targeted instance is not running; returns what was sent per instance.
   */
  signal(
    nameOrKey: string,
    signal: NodeJS.Signals,
    main: boolean,
  ): Array<{ status: InstanceStatus; sent: string }> {
    if (this.observed.has(nameOrKey)) throw new StateError(observedRefusal(nameOrKey));
    const insts = this.keysOf(nameOrKey).map((k) => this.registry.get(k));
    const idle = insts.filter((i) => !SIGNALLABLE.has(i.state) || !i.handle);
    if (idle.length > 0) throw new StateError(idle.map((i) => notRunningRefusal(i.name, i.state)).join('; '));
    return insts.map((i) => {
      const sent = i.signal(signal, main);
      return { status: i.status(), sent };
    });
  }

  /**
   * Freezes a running instance with the cgroup freezer (a resource policy's `freeze`): same PIDs, no CPU,
   * until `thaw` (or ensure, a signal, a stop). Refused (StateError, nothing done) for an observed process
   * and where it cannot be frozen, with why.
   */
  async freeze(key: string): Promise<InstanceStatus> {
    if (this.observed.has(key)) throw new StateError(observedRefusal(key));
    const inst = this.registry.get(key);
    const cannot = inst.unfreezable();
    if (cannot !== null) throw new StateError(`${key} cannot be frozen: ${cannot}`);
    const r = await inst.freeze(() => true);
    if (r.kind === 'failed') throw new StateError(`${key} cannot be frozen: ${r.reason}`);
    if (r.kind === 'busy') throw new StateError(`${key} cannot be frozen: it is ${inst.state}`);
    return inst.status();
  }

  /** Thaws a frozen instance (nothing when it is not frozen). */
  async thaw(key: string): Promise<InstanceStatus> {
    const inst = this.registry.get(key);
    await inst.thaw();
    return inst.status();
  }

  /**
   * Changes the cgroup limit of a running instance on top of its spec's limits (a resource policy's
   * `limit_cpu` / `limit_memory`), or with `null` puts the spec's limits back (process/limit-override.ts).
   * Refused for observed processes and instances that are not running; never throws for a cgroup that
   * cannot be written (the outcome says why).
   */
  overrideLimits(
    key: string,
    override: { cpu_percent?: number; memory_bytes?: number } | null,
  ): OverrideOutcome {
    if (this.observed.has(key)) return { ok: false, reason: observedRefusal(key) };
    const inst = this.registry.get(key);
    const h = inst.handle;
    if (override !== null && (inst.state !== 'running' || !h))
      return { ok: false, reason: `${key} is ${inst.state}` };
    const pids = h ? treeMembers(handleTree(key, h)).map((p) => p.pid) : [];
    return overrideLimits(this.cgroups, key, inst.spec.limits, override, pids);
  }

  /** Where instance `key`'s cgroup v2 pressure files are, or why it has none. */
  pressureDir(key: string): { dir: string } | { unavailable: string } {
    const layout = this.tracker.layout;
    if (!layout)
      return { unavailable: `no cgroup for this instance (tracking: pgroup: ${this.tracker.reason})` };
    if (layout.version !== 2) return { unavailable: 'cgroup v1 has no per-cgroup pressure files (v2 only)' };
    const dir = this.registry.find(key)?.handle?.cgroup;
    return dir ? { dir } : { unavailable: 'not in its cgroup' };
  }

  /** Status of the instance (or observed process) `key`, if there is one: no list of the others is built. */
  statusOf(key: string): InstanceStatus | null {
    return this.registry.find(key)?.status() ?? this.observed.status(key);
  }

  /** Status of every instance, of one handler's instances, or of one instance key. */
  status(name?: string): InstanceStatus[] {
    const observed = name !== undefined ? this.observed.status(name) : null;
    if (observed) return [observed];
    if (name !== undefined) return this.keysOf(name).map((k) => this.registry.get(k).status());
    return [...this.registry.values()]
      .map((i) => i.status())
      .concat(this.observed.statuses())
      .sort((a, b) => compareNames(a.handler, b.handler) || a.index - b.index);
  }

  /** Where and how `command` runs in instance `key`'s context (gov exec: agent/exec/exec-context.ts). */
  execContext(key: string, command: string[], session: string): ExecContext {
    const { group, ...ctx } = execContextOf(
      key,
      this.registry.find(key),
      this.observed.status(key) !== null,
      {
        launch: this.opts.launch,
        dataDir: this.opts.dataDir,
        tracking: this.tracker.layout ? this.tracker : null,
        cgroups: this.cgroups,
        accounting: this.accounting,
        freezing: (k) => {
          const h = this.registry.find(k)?.handle;
          return h ? this.freezer.isFrozen(k, h) : false;
        },
      },
      command,
      session,
    );
    return {
      ...ctx,
      busy: () => this.registry.demandAt(key)?.execSession() ?? (() => {}),
      ...(group ? { release: (graceMs: number) => void this.drainSessionGroup(key, group, graceMs) } : {}),
    };
  }

  /** The handler specs in force (one per handler, whatever its count). */
  specs(): HandlerSpec[] {
    const byName = new Map<string, HandlerSpec>();
    // Not an instance being removed: its spec may be older than the one its handler runs (a lowered count).
    for (const i of this.registry.values()) if (!i.removing) byName.set(i.spec.name, i.spec);
    return [...byName.values()];
  }

  /**
   * CPU %, RSS (summed over each handler's process tree), uptime, restarts, last exit and on-demand
   * figures per instance. The RSS of a hot on-demand instance is remembered for the savings estimate.
   * Listeners of `metrics` hear every sample (the control loop's rules read it).
   */
  async metrics(): Promise<InstanceMetrics[]> {
    const m = await collectMetrics(
      this.sampled(),
      this.sampler,
      this.opts.clock,
      this.observed,
      this.registry,
      (s) => this.treeRef(s.instance, s.mode === 'observed'),
      this.cpuCounters(),
    );
    this.emit('metrics', m);
    return m;
  }

  /** What a metrics sample reads of every instance and observed process, in status()'s order. */
  private sampled(): SampledStatus[] {
    return [...this.registry.values()]
      .map((i): SampledStatus => i.sampled())
      .concat(this.observed.statuses())
      .sort((a, b) => compareNames(a.handler, b.handler) || a.index - b.index);
  }

  /**
   * The process tree of an instance key or an observed process (process-tree.ts): what its metrics sum over
   * and its policy sensors read; null when it has none (not running).
   */
  treeRef(key: string, observed = this.observed.has(key)): TreeRef | null {
    if (observed) return this.observed.tree(key);
    const h = this.registry.find(key)?.handle;
    return h ? handleTree(key, h) : null;
  }

  /** One sample's CPU counters of the instances' own cgroups (cpu-accounting.ts). */
  private cpuCounters(): (s: SampledStatus) => number | null {
    const read = this.accounting.round();
    return (s) => {
      const h = s.mode === 'observed' ? null : this.registry.find(s.instance)?.handle;
      return h ? read(s.instance, h) : null;
    };
  }

  /** Copy-truncate rotation of every instance's logs past its `log.max_bytes`. */
  rotateLogs(): void {
    this.housekeeping.rotateLogs();
  }

  /** Persists state and stops supervising. Handlers keep running; a new supervisor re-adopts them. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.registry.saveAll();
    this.closed = true;
    this.notify.close();
    this.housekeeping.stop();
    this.registry.close();
    // Groups of handlers that ended go; those of handlers left running stay (busy).
    this.cgroups.sweep();
    this.tracker.sweep();
    this.freezer.sweep();
    this.freezer.close();
    this.accounting.sweep();
    await this.store.close();
    this.opts.logger.info('supervisor shut down; handlers left running', { instances: this.registry.size });
  }
}
