/**
 * One supervised instance (DESIGN §3): its lifecycle state — changed only through `transition`, which
 * checks the table (lifecycle.ts), logs `{from, to}`, records the event, persists and wakes waiters — and
 * everything that drives it: start, stop (with escalation, stop.ts) and restart one at a time; its
 * process's start window and exits under the restart policy (restart-policy.ts); re-attaching after an
 * agent restart (the plan is restore.ts); its health check and what a verdict means; what its sd_notify
 * messages mean (`notify: true`: READY=1 gates `running`, STATUS=, MAINPID=, the watchdog; agent/notify
 * receives them); and the process groups exited processes left behind (leftovers), stopped so they never
 * accumulate across restarts.
 *
 * Seams: the process backend, the clock and the agent's state store. Changes are emitted on the
 * supervisor itself (`state`, `event`, `health`).
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { formatDuration } from '../../shared/durations.js';
import { errorMessage, StateError } from '../../shared/errors.js';
import type { DurableStore } from '../../shared/durable-store.js';
import type { Logger } from '../../shared/logger.js';
import { instanceKey, type HandlerSpec } from '../../shared/spec.js';
import type { TimerHandle } from '../../shared/clock.js';
import type { ExitStatus, Handle, RecoverResult, ShimProcess } from '../process/backend.js';
import type { FreezeOutcome } from '../process/freezer.js';
import type { NotifyMessage } from '../notify/protocol.js';
import type { SenderFacts } from '../notify/sender.js';
import { awaitMain, describePids, recordedMain, withMain } from '../process/main-process.js';
import { cgroupOnlyHandle, isCgroupOnly } from '../process/cgroup-tracking.js';
import { INITIAL_HEALTH, describeCheck, type HealthCounts } from '../health/checks.js';
import { readinessDeadlineMs } from '../../shared/handler-waits.js';
import { HealthMonitor } from '../health/monitor.js';
import { runProbe, type ProbeContext } from '../health/probe.js';
import { temperatureOf } from '../on-demand/policy.js';
import type { SupervisorEmitter } from '../supervisor/events.js';
import type { CompiledOptions } from '../supervisor/options.js';
import type { AgentState, InstanceRecord, LastExit } from '../supervisor/state-store.js';
import { adoptedRecord } from '../supervisor/stray-shims.js';
import { prepareLaunch } from './launch.js';
import {
  appendEvent,
  assertTransition,
  TRANSITIONS,
  type InstanceEvent,
  type InstanceState,
} from './lifecycle.js';
import { instanceExitFile, instanceLogFile } from './paths.js';
import { decideRestart, describeExit, type RestartDecision, type RestartHistory } from './restart-policy.js';
import { planRestore } from './restore.js';
import { notRunningRefusal, sendSignal, SIGNALLABLE } from './signal.js';
import { NO_ACTIVITY, type ActivityStatus, type InstanceStatus, type SampledStatus } from './status.js';
import { followedByCont, groupText, leftAlive, stopGroup, type StopResult } from './stop.js';
import type { BootSlot } from './boot-slots.js';

export type { InstanceStatus, StateChange } from './status.js';

/** What `freeze()` did: frozen; not (busy: not running, or used meanwhile); or the freezer failed (why). */
export type FreezeResult = { kind: 'frozen' } | { kind: 'busy' } | { kind: 'failed'; reason: string };

/** Polling interval while waiting for a stopped process group to empty. */
export const STOP_POLL_MS = 20;
/**
 * A handler's STATUS= changes reach listeners (the master link, status.json) at most once per this: a
 * handler that sends thousands a second costs a few pushes and writes, and its last text always arrives.
 */
export const NOTIFY_STATUS_PUSH_MS = 10;
/**
 * Spawn errors that come from the agent's environment, not from the spec (a missing command or cwd stays
 * fatal at once): the instance's files could not be opened or the process not made, for a moment perhaps.
 */
const ENVIRONMENT_ERRORS: ReadonlySet<string> = new Set([
  'EROFS',
  'EIO',
  'ENOSPC',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'ENOMEM',
]);
/** The least wait before a spawn the environment refused is tried again (a backoff of 0 would spin). */
const MIN_SPAWN_RETRY_MS = 100;

/** How often a main the handler named (MAINPID=) is looked at: once gone, the main is the shim's child again. */
export const NOTIFIED_MAIN_POLL_MS = 1_000;

const ACTIVE: ReadonlySet<InstanceState> = new Set(['starting', 'running']);

export class Instance {
  /** Private to this class: only `transition` changes it. */
  private current: InstanceState = 'stopped';
  handle: Handle | null = null;
  /**
   * True when this process is our own child (exits arrive as events); adopted ones are polled, and so is a
   * daemon (`type: forking`) once its first process exited (its cgroup is what lives).
   */
  owned = false;
  unverified: Handle | null = null;
  desired: 'running' | 'stopped' = 'stopped';
  restarts = 0;
  history: RestartHistory = { failedStarts: 0 };
  lastExit: LastExit | null = null;
  startedAt: number | null = null;
  /**
   * On-demand: when the lease taken by `ensure --hold` ends (epoch ms; null: none). Kept here so that it
   * is part of the record and survives an agent restart; the on-demand controller decides what it means.
   */
  leaseUntil: number | null = null;
  /** An apply removes it (`retire`): recorded, so that an agent dying before the removal is done finishes it. */
  removing = false;
  /** While stopping: when its stop signal was sent (recorded: an agent restarted mid-stop goes on with it). */
  private stoppingSince: number | null = null;
  /** The on-demand activity figures for `status()` (its controller installs the real source). */
  activity: () => ActivityStatus = () => ({ ...NO_ACTIVITY });
  readonly events: InstanceEvent[] = [];
  /** Bumped for every spawned process; callbacks of an older process are ignored. */
  private gen = 0;
  private timer: TimerHandle | null = null;
  private disposed = false;
  private spawning: Promise<void> | null = null;
  /** The write of the latest transition (never rejects). */
  private lastSave: Promise<void> = Promise.resolve();
  private waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  /** The tail of the lifecycle operations queued so far (never rejects); see `exclusive`. */
  private opsTail: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  // Health: the monitor of the current process and its last verdict.
  private healthCounts: HealthCounts = INITIAL_HEALTH;
  private monitor: HealthMonitor | null = null;
  /** The start window (start_seconds) elapsed while the check had not passed yet. */
  private awaitingHealthy = false;
  /** The readiness deadline passed without a healthy verdict: `start()` settles (still `starting`). */
  private notReady = false;
  /**
   * The boot slot a paced restart holds until its new process is ready (boot-slots.ts), and the generation of
   * that process (-1 until it is spawned: the old process's leaving `starting` or verdicts give nothing back).
   */
  private bootSlot: { slot: BootSlot; gen: number } | null = null;
  /** Stops asked for and not yet begun (queued behind the operation under way): a rollout step yields to them. */
  private stopsQueued = 0;

  // sd_notify (`notify: true`): the last STATUS= (kept after an exit, cleared by the next spawn; part of the
  // record), a READY=1 heard while the spawn was still being recorded (its generation), the current
  // process's WATCHDOG_USEC= override (part of the record) and watchdog timer, whether it said STOPPING=1 or
  // RELOADING=1, and the generation whose start timed out (a failed start whatever its duration).
  private notifyStatus = '';
  private readyEarly = -1;
  private watchdogOverrideMs: number | null = null;
  private watchdogTimer: TimerHandle | null = null;
  private stoppingSaid = false;
  private reloading = false;
  private timedOutGen = -1;
  /** When STATUS= was last pushed, and the push due at the end of the current window. */
  private statusPushedAt = -Infinity;
  private statusPush: TimerHandle | null = null;
  private notifiedMainWatch: TimerHandle | null = null;
  /** Epoch ms since when the running process is frozen by the cgroup freezer (`idle_action: freeze`). */
  private frozenAt: number | null = null;
  /** While a freeze is being made: its time, which the record carries before the kernel freezes (freeze). */
  private freezingAt: number | null = null;
  /** Signals sent so far: one sent while a freeze is under way undoes it (the handler must act on it). */
  private signalsSent = 0;

  // Leftovers: groups of exited processes being stopped, by pgid (part of the record).
  private readonly draining = new Map<number, Handle>();
  /** Of those, when each was sent the stop signal (by PGID; part of the record). */
  private readonly drainSignalledAt = new Map<number, number>();
  private readonly drains = new Set<Promise<void>>();

  constructor(
    public spec: HandlerSpec,
    public specHash: string,
    /** The supervisor's options; `backend` is the one instances use (limits + observed guard). */
    private readonly opts: CompiledOptions,
    private readonly store: DurableStore<AgentState>,
    /** The supervisor: hears every state change, event and health verdict change. */
    private readonly sup: SupervisorEmitter,
    /** Replica index: several instances of one handler may run on an agent (`count`). */
    readonly index = 0,
  ) {
    this.log = opts.logger.with({ instance: this.name });
  }

  /** The instance key: the handler name, or `name#i` for replica i > 0. Names logs and exit files. */
  get name(): string {
    return instanceKey(this.spec.name, this.index);
  }
  get state(): InstanceState {
    return this.current;
  }

  /**
   * Re-attaches to a persisted record: adopt a verified process, account for one that exited, never signal
   * the rest. `stray`: a live shim of this instance that the dead agent spawned but never recorded
   * (stray-shims.ts decided it is to be adopted instead of the record's handle).
   */
  restore(persisted: InstanceRecord, stray: Handle | null = null): void {
    const rec = stray ? adoptedRecord(this.name, persisted, stray, this.opts.dataDir) : persisted;
    if (stray)
      this.note(
        'ADOPTED_STRAY',
        `ADOPTED_STRAY pid=${stray.pid} spawned by an agent that died before recording it`,
      );
    // Already in the record: not written again now, while this instance does not hold the record's fields
    // yet (that write put a blank record on disk: an agent dying next found the handler stopped for good).
    for (const h of rec.draining ?? [])
      this.drainLeftovers(h, true, rec.draining_signalled_at?.[String(h.pgid)]);
    this.desired = rec.desired;
    this.removing = rec.removing === true;
    this.restarts = rec.restarts;
    this.history = { failedStarts: rec.failed_starts };
    this.lastExit = rec.last_exit;
    this.startedAt = rec.started_at;
    this.leaseUntil = rec.lease_until ?? null;
    this.notifyStatus = rec.notify?.status ?? '';
    this.watchdogOverrideMs = rec.notify?.watchdog_ms ?? null;
    const recovered = rec.handle && this.restoreVerdict(rec);
    // A live shim's main is verified (or found again) before anything reports or signals it.
    const live =
      recovered?.kind === 'alive' && rec.handle ? { ...rec, handle: this.adoptMain(rec.handle) } : rec;
    const plan = planRestore(live, recovered, this.spec, this.opts.clock.now());
    // Adopted mid-stop: the stop (`then` below) goes on from the earlier agent's signal.
    const resumesStop = plan.kind === 'adopt' && plan.then !== null && rec.state === 'stopping';
    this.stoppingSince = resumesStop ? (rec.stopping_since ?? null) : null;
    switch (plan.kind) {
      case 'refuse':
        this.unverified = plan.handle;
        return this.transition('unknown', 'RESTORE_FAILED', plan.message);
      case 'gone':
        this.handle = plan.handle;
        this.gen++;
        this.note('RESTORED', plan.message);
        return this.onGone(plan.exit, plan.stopped, plan.signalledAt);
      case 'adopt':
        this.handle = plan.handle;
        this.gen++;
        // Frozen by the agent before this one: still frozen (the kernel says so), its health check paused.
        if (plan.to === 'running' && this.opts.freezer.isFrozen(this.name, plan.handle))
          this.frozenAt = rec.frozen_at ?? this.opts.clock.now();
        this.transition(plan.to, 'ADOPTED', `${plan.message}${this.frozenAt !== null ? ' (frozen)' : ''}`);
        if (this.frozenAt === null) this.startHealth(this.gen, plan.readyWithinMs);
        if (plan.to === 'starting') this.armStartTimer(this.gen, plan.startLeftMs);
        this.watchNotifiedMain();
        if (plan.then === 'stop') this.background(this.stop());
        if (plan.then === 'restart') this.background(this.restart());
        return;
      case 'settle':
        this.unverified = rec.unverified_handle;
        return this.transition(plan.to, 'RESTORED', plan.message);
      case 'resume': // The agent died between an exit and its restart: the policy decides again.
        this.transition('exited', 'RESTORED', plan.message);
        this.history = plan.decision.history;
        return this.applyDecision(plan.decision);
      case 'rest':
        this.unverified = rec.unverified_handle;
        if (plan.message) this.note('RESTORED', plan.message);
        // What the interrupted restart's stop left in the old group goes before the new process starts.
        if (plan.leftovers) this.drainLeftovers(plan.leftovers, false, plan.signalledAt);
        if (plan.start) this.background(this.start());
    }
  }

  /**
   * Adopts `shim`, a live shim of this new instance that the state file had no record of (stray-shims.ts
   * `unrecorded`: the first spawn of an agent killed before its write, or a state file restored from an older
   * copy): its process becomes this instance's, never a second spawn. One whose command or environment is not
   * what this spec launches ran another spec: it is restarted onto this one, as an apply of a changed spec
   * restarts. Resolves once recorded (a restart: once running, or with `launchOnly` once spawned).
   */
  async adoptUnrecorded(shim: ShimProcess, launchOnly = false): Promise<InstanceStatus> {
    if (isCgroupOnly(shim.handle)) return this.adoptUnrecordedGroup(shim.handle, launchOnly);
    const verdict = this.opts.backend.recover(shim.handle);
    if (verdict.kind !== 'alive') {
      // Gone while it waited for its spec (its PID may be another process's by now): a new instance's start.
      const why = verdict.kind === 'gone' ? 'exited' : verdict.reason;
      this.note('RESTORED', `RESTORED the unrecorded process pid=${shim.handle.pid} is gone (${why})`);
      // What an exited one left in its group goes before this instance's first process starts (as after any
      // exit); one that failed verification is never signalled, nor its group.
      if (verdict.kind === 'gone') this.drainLeftovers(shim.handle);
      return this.begin(launchOnly);
    }
    this.restore({ ...this.toRecord(), desired: 'running' }, shim.handle);
    const other = this.handle?.pid === shim.handle.pid ? this.launchedOtherwise(shim) : '';
    if (!other) {
      await this.persist();
      return this.status();
    }
    this.note('RESPEC', `RESPEC ${other}: restarted onto this spec`);
    await this.exclusive(() => this.restartNow());
    return launchOnly ? this.status() : this.started();
  }

  /**
   * `adoptUnrecorded` of a group with no shim (stray-shims.ts `heldGroups`): a `type: forking` spec adopts
   * the daemon in it (found as on any restore: its PID file, else the group's one process); anything else
   * is what an exited process left, stopped before this new instance starts.
   */
  private async adoptUnrecordedGroup(group: Handle, launchOnly: boolean): Promise<InstanceStatus> {
    const { backend, dataDir } = this.opts;
    const daemon = this.spec.type === 'forking' && backend.findDaemon(group, this.spec.pid_file) !== null;
    if (!daemon) {
      this.drainLeftovers(group);
      return this.begin(launchOnly);
    }
    const handle: Handle = {
      ...group,
      stdout_log: instanceLogFile(dataDir, this.name, 'stdout'),
      stderr_log: instanceLogFile(dataDir, this.name, 'stderr'),
      spec_hash: this.specHash,
    };
    this.note(
      'ADOPTED_STRAY',
      `ADOPTED_STRAY the daemon in cgroup ${group.cgroup} (its first process exited) that the state file had no record of`,
    );
    this.restore({ ...this.toRecord(), desired: 'running', state: 'running', handle });
    await this.persist();
    return this.status();
  }

  /**
   * What a new instance does: starts (resolves once it left `starting`, or with `launchOnly` once spawned),
   * or, on demand, rests cold with its record persisted so that a restarted agent knows it.
   */
  async begin(launchOnly = false): Promise<InstanceStatus> {
    if (this.spec.mode === 'on-demand') {
      await this.persist();
      return this.status();
    }
    return launchOnly ? this.launch() : this.start();
  }

  /** Why `shim` is not what this spec launches: its command, then its environment ('' when it is). */
  private launchedOtherwise(shim: ShimProcess): string {
    let launch;
    try {
      launch = prepareLaunch(this.spec, this.index, this.opts.launch);
    } catch (err) {
      return errorMessage(err);
    }
    const command = [...launch.prefix, ...this.spec.command];
    if (shim.command.length !== command.length || shim.command.some((w, i) => w !== command[i]))
      return `its command ${JSON.stringify(shim.command)} is not this spec's`;
    // Not what the agent's own environment gave it (PATH, TZ, ...): a recorded instance is not restarted when
    // the agent's environment changes either.
    const agents = new Set(launch.inherited);
    const own = (m: Iterable<[string, string]>) => [...m].filter(([k]) => !agents.has(k));
    const env = own(Object.entries(launch.env));
    const was = shim.env && new Map(own(shim.env));
    if (!was || was.size !== env.length || env.some(([k, v]) => was.get(k) !== v))
      return "its environment is not this spec's";
    // Without a `cwd` it runs where the agent was started from: nothing of the spec's to compare.
    if (this.spec.cwd !== undefined && shim.cwd !== realPath(this.spec.cwd))
      return `its working directory ${JSON.stringify(shim.cwd)} is not this spec's ${JSON.stringify(this.spec.cwd)}`;
    return '';
  }

  /**
   * Starts the handler; resolves once it left `starting` (running, backoff, exited or fatal) or, with a
   * health check, once its readiness deadline passed unhealthy (then it is still `starting`: not ready).
   * Lifecycle operations run one at a time (`exclusive`); the wait for `starting` to end is outside.
   */
  async start(): Promise<InstanceStatus> {
    await this.exclusive(() => this.startNow());
    return this.started();
  }

  /**
   * Starts the handler as an APPLY does: resolves once it is spawned (`starting`), without waiting for its
   * start window or readiness, which may be minutes (`start_seconds`, `start_timeout`); its status pushes say
   * how the start ends.
   */
  async launch(): Promise<InstanceStatus> {
    await this.exclusive(() => this.startNow());
    return this.status();
  }

  /** Stops the handler (stop_signal to its group, SIGKILL after stop_timeout); resolves when it is stopped. */
  async stop(): Promise<InstanceStatus> {
    let queued = true;
    const begun = (): void => {
      if (queued) this.stopsQueued--;
      queued = false;
    };
    this.stopsQueued++;
    try {
      await this.exclusive(() => {
        begun();
        return this.stopNow();
      });
    } finally {
      begun();
    }
    return this.status();
  }

  /**
   * The stop of an instance an apply removes: the intent is on disk first, so that an agent dying before the
   * removal is done (the record deleted) finishes it at its next start instead of finding an instance an
   * operator stopped (a later count that wants it back would leave it stopped).
   */
  async retire(): Promise<InstanceStatus> {
    this.removing = true;
    await this.persist();
    return this.stop();
  }

  /**
   * Stop then start as one operation: concurrent restarts run one after the other. Whether it is still meant
   * to run is read in its turn — an operator's stop queued before it has set that by then: `onlyIfMeantToRun`
   * (a resource policy's restart, decided on an earlier sample) is refused with a StateError when it is not;
   * `unlessStopped` (a rollout step) leaves it stopped. Neither ever starts what an operator stopped.
   * `paced` (a rollout step): the old process is stopped only once a boot slot is free (boot-slots.ts).
   */
  async restart(
    opts: { onlyIfMeantToRun?: boolean; unlessStopped?: boolean; paced?: boolean } = {},
  ): Promise<InstanceStatus> {
    let yielded = false;
    await this.exclusive(async () => {
      if (this.desired !== 'running') {
        if (opts.onlyIfMeantToRun)
          throw new StateError(
            `${this.name} is ${this.state}: an operator stopped it; a policy restarts only an instance meant to run`,
          );
        if (opts.unlessStopped) return;
      }
      if (opts.paced) await this.takeBootSlot(this.spec);
      if (opts.unlessStopped && this.yieldsToStop(opts.paced)) {
        yielded = true;
        return;
      }
      await this.restartNow(opts.paced);
    });
    // Answered once that stop is done: the step reports the instance stopped (the rollout skips it).
    if (yielded) await this.exclusive(async () => {});
    return yielded ? this.status() : this.started();
  }

  /**
   * A rollout step (`paced`) yields to an operator's stop that came while it waited for its boot slot: it gives
   * the slot back and leaves the instance to that stop, instead of booting a new process only to stop it.
   */
  private yieldsToStop(paced = false): boolean {
    if (!paced || this.stopsQueued === 0) return false;
    this.releaseBootSlot();
    return true;
  }

  /**
   * One operation: stopped, put on `spec`, persisted, and restarted when it is meant to run (read in its
   * turn: an instance an operator stopped only gets the spec stored; a cold on-demand one made always-on
   * is started); resolves once the restart left `starting` (see `start`), or with `launchOnly` once it is
   * spawned (see `launch`). An instance on `spec` by its turn (an earlier apply of the same spec) is left as
   * it is: not restarted twice. `paced` (a rollout step): see `restart`.
   */
  async respec(
    spec: HandlerSpec,
    hash: string,
    opts: { launchOnly?: boolean; paced?: boolean } = {},
  ): Promise<InstanceStatus> {
    let restarted = false;
    await this.exclusive(async () => {
      if (this.specHash === hash) return;
      let wanted =
        this.desired === 'running' || (this.spec.mode === 'on-demand' && spec.mode === 'always-on');
      // Paced by the new spec's readiness signal: the slot is given back when the new process is ready.
      if (wanted && opts.paced) await this.takeBootSlot(spec);
      // Stopped now on the new spec, as the stop queued behind this step would leave it (reported stopped).
      if (this.yieldsToStop(opts.paced)) wanted = false;
      try {
        await this.stopNow(wanted);
        [this.spec, this.specHash] = [spec, hash];
        await this.persist();
        // Not paced again: the slot was taken before the stop (one whose hold ended meanwhile is not waited
        // for a second time, the old process down).
        if (wanted) await this.restartNow();
      } finally {
        // A failed stop (STOP_FAILED) or write never reaches the restart: its slot goes back now, not at the
        // hold's end.
        if (this.state !== 'starting') this.releaseBootSlot();
      }
      restarted = wanted;
    });
    return restarted && !opts.launchOnly ? this.started() : this.status();
  }

  /** Called by the supervisor's poll and by own-child exit events: notices that the process is gone. */
  checkGone(shimExit?: ExitStatus): void {
    const h = this.handle;
    if (!h || this.disposed || this.spawning || this.state === 'stopping') return;
    if (this.alive(h)) return this.findMainLate(h);
    const exit = this.opts.backend.readExit(h) ?? shimExit ?? { code: null, signal: null };
    if (this.spec.type === 'forking') return this.checkDaemon(h, exit);
    this.onGone(exit);
  }

  /**
   * Whether `h`'s process runs. True also when /proc could not be read (the agent out of descriptors): that
   * is no proof it is gone, and the next poll looks again (never a restart beside a live process).
   */
  private alive(h: Handle): boolean {
    try {
      return this.opts.backend.isRunning(h);
    } catch (err) {
      this.log.warn('could not tell whether the process runs; looking again at the next poll', { err });
      return true;
    }
  }

  /** The groups of earlier processes whose leftovers are being stopped (drainLeftovers). */
  drainingHandles(): Handle[] {
    return [...this.draining.values()];
  }

  /** True while the running process is frozen (process/freezer.ts): alive, same PIDs, no CPU. */
  get frozen(): boolean {
    return this.frozenAt !== null;
  }

  /** Epoch ms since when it is frozen; null when it is not. */
  get frozenSince(): number | null {
    return this.frozenAt;
  }

  /** Why this instance's process cannot be frozen now (no freezer, not running, …); null when it can. */
  unfreezable(): string | null {
    if (this.state !== 'running' || !this.handle) return `${this.name} is ${this.state}`;
    return this.opts.freezer.unfreezable(this.name, this.handle);
  }

  /**
   * Pauses the running process with the cgroup freezer (`idle_action: freeze`); it stays `running` (same
   * PIDs, memory kept) and its health check pauses (a frozen process answers nothing). `stillIdle` is asked
   * once it is frozen: false (a use came in meanwhile) thaws it again, and so does a signal sent meanwhile
   * (a frozen process would hold it). A lifecycle operation (`exclusive`).
   */
  freeze(stillIdle: () => boolean): Promise<FreezeResult> {
    return this.exclusive(async (): Promise<FreezeResult> => {
      const h = this.handle;
      if (this.state !== 'running' || !h || this.desired !== 'running') return { kind: 'busy' };
      if (this.frozenAt !== null) return { kind: 'frozen' };
      const signalled = this.signalsSent;
      // The record says since when BEFORE the kernel freezes: a thaw writes nothing, so the record may still
      // carry an earlier freeze's frozen_at, which an agent killed just after this freeze took effect would
      // otherwise adopt (its frozen_timeout counted from that earlier freeze). A record saying frozen while the
      // kernel says thawed is ignored on adoption. Not written: not frozen (tried again at the next idle).
      this.freezingAt = this.opts.clock.now();
      try {
        await this.persist();
      } catch (err) {
        this.freezingAt = null;
        this.log.error('persist failed; not frozen', { err });
        return { kind: 'busy' };
      }
      let r: FreezeOutcome;
      try {
        r = await this.opts.freezer.freeze(this.name, h);
      } finally {
        this.freezingAt = null;
      }
      if (!r.frozen) return { kind: 'failed', reason: r.reason };
      if (this.handle !== h || this.state !== 'running' || !stillIdle() || this.signalsSent !== signalled) {
        await this.opts.freezer.thaw(this.name, h);
        return { kind: 'busy' };
      }
      this.frozenAt = this.opts.clock.now();
      this.pauseHealth();
      this.cancelWatchdog(); // a frozen process cannot ping: the watchdog runs again from the thaw
      this.note('FROZEN', `FROZEN ${describePids(h)}`);
      this.sup.emit('status', { handler: this.name });
      // Not awaited: a wake-up right after never queues behind the disk; the kernel says whether it is
      // frozen, the record only since when (written before the freeze, above; this write has the exact time).
      this.lastSave = this.save();
      return { kind: 'frozen' };
    });
  }

  /**
   * Thaws a frozen process (ensure, a signal; a stop thaws first by itself); its health check resumes.
   * Nothing to do when it is not frozen.
   */
  async thaw(): Promise<void> {
    await this.exclusive(() => this.thawNow());
  }

  /** Records an event without a state change (e.g. `IDLE` before an on-demand stop). */
  note(type: string, message: string): void {
    const ev: InstanceEvent = { at: this.opts.clock.now(), type, message };
    appendEvent(this.events, ev);
    this.sup.emit('event', { handler: this.name, event: ev });
  }

  /**
   * An sd_notify message from a process of this instance (agent/notify checked that the sender belongs to
   * it, and that `main`, for a MAINPID=, does too; a refused MAINPID= comes as null). BUSY=1 / IDLE=1 are
   * the on-demand controller's (the supervisor passes them on). See agent/notify/README.md for what each
   * key means here.
   */
  onNotify(m: NotifyMessage, sender: number, main: SenderFacts | null): void {
    const h = this.handle;
    if (!h || this.disposed || this.spec.notify !== true) return;
    let changed = false;
    if (main && (main.pid !== h.main_pid || main.startTime !== h.main_start_time)) {
      this.handle = { ...withMain(h, { pid: main.pid, start_time: main.startTime }), main_notified: true };
      this.note('MAIN_CHANGED', `MAIN_CHANGED pid=${main.pid} (MAINPID= sent by pid ${sender})`);
      this.watchNotifiedMain();
      changed = true;
    }
    const statusChanged = m.status !== undefined && m.status !== this.notifyStatus;
    if (m.status !== undefined) this.notifyStatus = m.status;
    if (m.watchdogMs !== undefined) {
      this.watchdogOverrideMs = m.watchdogMs;
      this.note(
        'WATCHDOG_USEC',
        `WATCHDOG_USEC ${m.watchdogMs > 0 ? `watchdog timeout now ${formatDuration(m.watchdogMs)}` : 'watchdog off'}`,
      );
      changed = true;
      this.armWatchdog();
    }
    if (m.reloading && !this.reloading) {
      this.reloading = true;
      this.note('RELOADING', 'RELOADING the handler said RELOADING=1 (READY=1 ends it)');
    }
    if (m.stopping && !this.stoppingSaid) {
      this.stoppingSaid = true;
      this.cancelWatchdog();
      this.note('STOPPING', 'STOPPING the handler said STOPPING=1: its exit is expected (watchdog off)');
    }
    if (m.ready) this.onReady();
    if (m.watchdog === 'ping') this.armWatchdog();
    if (m.watchdog === 'trigger') this.watchdogFailed('WATCHDOG=trigger');
    if (changed) this.pushStatus();
    else if (statusChanged) this.pushStatusThrottled();
  }

  /** Persists the record and tells listeners (a status without a state change). */
  private pushStatus(): void {
    this.statusPush?.cancel();
    this.statusPush = null;
    this.statusPushedAt = this.opts.clock.now();
    this.lastSave = this.save();
    this.sup.emit('status', { handler: this.name });
  }

  /** pushStatus at most once per NOTIFY_STATUS_PUSH_MS; a change inside the window goes at its end. */
  private pushStatusThrottled(): void {
    if (this.statusPush) return;
    const wait = this.statusPushedAt + NOTIFY_STATUS_PUSH_MS - this.opts.clock.now();
    if (wait <= 0) return this.pushStatus();
    this.statusPush = this.opts.clock.after(wait, () => {
      this.statusPush = null;
      if (!this.disposed) this.pushStatus();
    });
  }

  /**
   * Sends `signal` to this instance's process group, or with `main` to its verified main process only
   * (signal.ts). Not a lifecycle operation: the desired state stays. Throws a StateError when it is not
   * running or nothing could be verified; returns what was sent.
   */
  signal(signal: NodeJS.Signals, main: boolean): string {
    const h = this.handle;
    if (!h || !SIGNALLABLE.has(this.state)) throw new StateError(notRunningRefusal(this.name, this.state));
    this.followNotifiedMain();
    if (main && this.handle?.main_pid === undefined) this.findMainLate(this.handle ?? h);
    const sent = sendSignal(this.name, this.handle ?? h, this.opts.backend, signal, main);
    this.signalsSent++;
    this.note('SIGNALLED', `SIGNALLED ${sent}`);
    // A frozen process holds the signal until it runs again: a signal is meant to be acted on.
    if (this.frozenAt !== null) this.background(this.thaw());
    return sent;
  }

  /** Durably writes this instance's spec and record (not once disposed: removed, or the agent shut down). */
  persist(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    return this.store.update((d) => this.writeTo(d));
  }

  /** Puts this instance's spec and record into the agent's state. */
  writeTo(d: AgentState): void {
    d.specs[this.name] = this.spec;
    d.instances[this.name] = this.toRecord();
  }

  /** Stops timers and callbacks without touching processes (agent shutdown, removal). */
  dispose(): void {
    this.disposed = true;
    this.releaseBootSlot();
    this.cancelTimer();
    this.cancelWatchdog();
    this.statusPush?.cancel();
    this.statusPush = null;
    this.notifiedMainWatch?.cancel();
    this.notifiedMainWatch = null;
    this.stopHealth();
  }

  toRecord(): InstanceRecord {
    const draining = [...this.draining.values()];
    const signalled = [...this.drainSignalledAt].map(([pgid, at]) => [String(pgid), at] as const);
    return {
      spec_hash: this.specHash,
      desired: this.desired,
      state: this.current,
      handle: this.handle,
      unverified_handle: this.unverified,
      ...(draining.length > 0 ? { draining } : {}),
      ...(signalled.length > 0 ? { draining_signalled_at: Object.fromEntries(signalled) } : {}),
      restarts: this.restarts,
      failed_starts: this.history.failedStarts,
      last_exit: this.lastExit,
      started_at: this.startedAt,
      ...(this.leaseUntil !== null ? { lease_until: this.leaseUntil } : {}),
      ...(this.spec.notify === true
        ? {
            notify: {
              status: this.notifyStatus,
              ...(this.watchdogOverrideMs !== null ? { watchdog_ms: this.watchdogOverrideMs } : {}),
            },
          }
        : {}),
      ...((this.frozenAt ?? this.freezingAt) !== null
        ? { frozen_at: (this.frozenAt ?? this.freezingAt)! }
        : {}),
      ...(this.removing ? { removing: true } : {}),
      ...(this.stoppingSince !== null ? { stopping_since: this.stoppingSince } : {}),
    };
  }

  /** The fields of status() a metrics sample reads (status.ts), built without copying the events. */
  sampled(): SampledStatus {
    this.followNotifiedMain();
    return {
      handler: this.spec.name,
      index: this.index,
      instance: this.name,
      state: this.current,
      pid: this.handle?.main_pid ?? null,
      shim_pid: this.handle?.pid ?? null,
      mode: this.spec.mode,
      restarts: this.restarts,
      last_exit: this.lastExit,
      started_at: this.startedAt,
      temperature: temperatureOf(this.spec.mode, this.current, this.frozenAt !== null),
    };
  }

  status(): InstanceStatus {
    const h = this.spec.health;
    return {
      ...this.sampled(),
      pgid: this.handle?.pgid ?? null,
      spec_hash: this.specHash,
      events: [...this.events],
      health: h ? this.healthCounts.status : 'none',
      health_reason: h ? this.healthCounts.reason : '',
      notify_status: this.notifyStatus,
      activity: this.activity(),
    };
  }

  // ---- State, waiting, persistence ----

  /** The one place the state changes: checks the table, logs `{from, to}`, records the event, persists. */
  private transition(to: InstanceState, type: string, message: string): void {
    const from = this.current;
    assertTransition(this.name, from, to);
    this.current = to;
    if (from === 'starting') this.releaseBootSlot(this.gen);
    const at = this.opts.clock.now();
    this.log.info('state', {
      from,
      to,
      event: message,
      pid: this.handle?.main_pid,
      shim_pid: this.handle?.pid,
    });
    this.note(type, message);
    // The watchdog runs exactly while the instance is running (from READY=1, or from a re-adoption).
    if (to === 'running') this.armWatchdog();
    else this.cancelWatchdog();
    this.sup.emit('state', { handler: this.name, from, to, at });
    this.lastSave = this.save();
    this.wakeWaiters();
  }

  /**
   * Runs a lifecycle operation (start, stop, restart, re-spec) after every one queued before it, so
   * concurrent callers never interleave (no duplicate spawn). A failed step does not block the next.
   * Steps must not await another `exclusive` operation (that would deadlock); internal restarts of the
   * restart policy do not go through here.
   */
  private exclusive<T>(step: () => Promise<T>): Promise<T> {
    const run = this.opsTail.then(step);
    this.opsTail = run.catch(() => {});
    return run;
  }

  /** Resolves once `pred` holds; checked again after every transition and `wakeWaiters()`. */
  private waitUntil(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  private wakeWaiters(): void {
    for (const w of this.waiters.filter((x) => x.pred())) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  /** Persists the record; the promise never rejects (a failure is logged). */
  private save(): Promise<void> {
    return this.persist().catch((err: unknown) => {
      this.log.error('persist failed', { err });
    });
  }

  /** Runs a lifecycle step nobody awaits; a failure is logged and recorded, never lost. */
  background(p: Promise<unknown>): void {
    p.catch((err: unknown) => {
      this.log.error('lifecycle step failed', { err });
      this.note('ERROR', `ERROR ${errorMessage(err)}`);
    });
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  // ---- Start, stop, exits ----

  /** `paced`: waits for a boot slot first (a rollout step; boot-slots.ts). */
  private async restartNow(paced = false): Promise<void> {
    if (paced) await this.takeBootSlot(this.spec);
    try {
      await this.stopNow(true);
      this.restarts++;
      await this.startNow();
    } finally {
      // Held on only while the new process boots (spawnNow); its readiness, failure or end gives it back.
      if (this.state !== 'starting') this.releaseBootSlot();
    }
  }

  /**
   * Waits for a boot slot before a restart stops the old process (boot-slots.ts), where `spec` tells when
   * the new one is ready (a health check, sd_notify); kept when this restart holds one already.
   */
  private async takeBootSlot(spec: HandlerSpec): Promise<void> {
    if (this.bootSlot || !(spec.health || spec.notify === true)) return;
    // A hold that ends before the new process is ready leaves it holding nothing: its next step waits again.
    const slot = await this.opts.bootSlots.acquire(() => {
      if (this.bootSlot?.slot === slot) this.bootSlot = null;
    });
    // Disposed meanwhile (the agent shut down, or the instance was removed; a shutdown's releases hand the
    // slots on at once): the step ends here, its handler left running as every handler is at a shutdown.
    if (this.disposed) {
      slot.release();
      throw new StateError(`${this.name}: the agent stopped supervising it before its rollout step began`);
    }
    this.bootSlot = { slot, gen: -1 };
  }

  /** Gives the boot slot back; with `gen`, only when it waits for that process (its readiness, its end). */
  private releaseBootSlot(gen?: number): void {
    const slot = this.bootSlot;
    if (!slot || (gen !== undefined && slot.gen !== gen)) return;
    this.bootSlot = null;
    slot.slot.release();
  }

  private async started(): Promise<InstanceStatus> {
    await this.waitUntil(() => this.state !== 'starting' || this.notReady);
    return this.status();
  }

  /** The start (and below, the stop) itself; only inside `exclusive`. */
  private async startNow(): Promise<void> {
    this.desired = 'running';
    await this.spawning;
    if (this.state === 'stopping') await this.waitUntil(() => this.state === 'stopped');
    if (!ACTIVE.has(this.state)) {
      this.history = { failedStarts: 0 };
      this.unverified = null;
      await this.spawnNow(false);
    }
  }

  /**
   * `restarting`: a start follows at once, so the `stopped` record need not be on disk first: the start's own
   * write (the new handle, before the start is reported) carries it, and 50 restarts at once do not each wait
   * for the writes the others queued.
   */
  private async stopNow(restarting = false): Promise<void> {
    // A restart's stop leaves it wanted running: an agent that dies before the new spawn is recorded finds
    // the record still wanted running and finishes the restart (restore.ts), never leaves it stopped.
    if (!restarting) this.desired = 'stopped';
    await this.spawning;
    this.cancelTimer();
    if (ACTIVE.has(this.state) && this.handle) {
      await this.stopProcess(this.handle, !restarting);
    } else if (this.state === 'stopping') {
      await this.waitUntil(() => this.state === 'stopped');
    } else if (this.state !== 'stopped') {
      // An unverified process (`unknown`) is never signalled itself; what is in its recorded cgroup is the
      // handler's by where it is, and is stopped with it: the instance stops, or restarts, with nothing left.
      const left = this.unverified?.cgroup;
      this.unverified = null;
      this.transition('stopped', 'STOPPED', 'STOPPED');
      if (left !== undefined) this.drainLeftovers(cgroupOnlyHandle(left));
    }
    // Stopped means nothing of the handler is left: also what earlier processes left in their groups.
    while (this.drains.size > 0) await Promise.all([...this.drains]);
  }

  private async spawnNow(isRestart: boolean): Promise<void> {
    this.cancelTimer();
    let done!: () => void;
    this.spawning = new Promise((r) => (done = r));
    // One spawn at a time (process/spawn-pacer.ts). The wait for the turn is part of `spawning`, so a stop or
    // start that comes meanwhile waits for it; a stop wins: nothing is spawned then.
    // A new process never meets what an earlier one left (its port, its files): those are stopped first.
    while (this.drains.size > 0) await Promise.all([...this.drains]);
    await this.opts.spawnPacer.turn();
    if (this.disposed || this.desired === 'stopped') {
      this.spawning = null;
      done();
      return;
    }
    const gen = ++this.gen;
    const { dataDir, backend, clock } = this.opts;
    const now = clock.now();
    try {
      // Only the handler's own environment, as its user: a refused user/group is a SPAWN_FAILED.
      const launch = prepareLaunch(this.spec, this.index, this.opts.launch);
      const sp = backend.spawn({
        name: this.name,
        command: [...launch.prefix, ...this.spec.command],
        cwd: this.spec.cwd,
        env: launch.env,
        stdoutLog: instanceLogFile(dataDir, this.name, 'stdout'),
        stderrLog: instanceLogFile(dataDir, this.name, 'stderr'),
        exitFile: instanceExitFile(dataDir, this.name),
        specHash: this.specHash,
        now,
      });
      this.handle = sp.handle;
      this.owned = true;
      this.startedAt = now;
      // A paced restart's slot now waits for this process, and its hold counts from here (boot-slots.ts).
      if (this.bootSlot) {
        this.bootSlot.gen = gen;
        this.bootSlot.slot.booting();
      }
      this.resetNotify();
      if (isRestart) this.restarts++;
      sp.onExit((st) => {
        if (gen === this.gen) this.checkGone(st);
      });
      // The handle (the shim: the identity that adoption proves) is on disk before anyone hears of the
      // start; its write runs while the main is looked for, not after. The start is reported with the
      // handler's own PID: the shim forks it within a few ms (or the handler is gone already, then the exit
      // is accounted for below). A main found after the write started is written by the transition's save;
      // an agent that dies in between finds it again on adoption (adoptMain), as for any unrecorded main.
      const written = this.persist();
      written.catch(() => {}); // awaited below: never an unhandled rejection while the main is looked for
      const main = await awaitMain(backend, sp.handle);
      if (gen === this.gen && this.handle === sp.handle) this.handle = withMain(sp.handle, main);
      await written;
    } catch (err) {
      this.spawning = null;
      done();
      this.handle = null;
      const msg = `SPAWN_FAILED ${errorMessage(err)}`;
      if (this.state === 'fatal') this.note('SPAWN_FAILED', msg);
      else if (ENVIRONMENT_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) this.retrySpawn(msg, now);
      else this.transition('fatal', 'SPAWN_FAILED', msg);
      return;
    }
    this.spawning = null;
    done();
    if (gen !== this.gen || this.disposed) return;
    this.transition('starting', 'STARTED', `STARTED ${describePids(this.handle)}`);
    // The start window and the readiness deadline count from the spawn, as for an adopted instance
    // (restore.ts): the process has run since then. The handle's write and the main's lookup delay the
    // report of the start (0.3-0.7 s for 50 restarts at once on a busy disk), not the handler's proof.
    const ran = clock.now() - now;
    this.startHealth(gen, readinessDeadlineMs(this.spec) - ran);
    this.armStartTimer(gen, this.spec.start_seconds * 1000 - ran);
    // An exit during the persist was ignored above; look again now.
    this.checkGone();
  }

  /**
   * The backend's identity verdict on a persisted handle; a `type: forking` handler whose first process
   * exited (after it started) is alive while its recorded cgroup has a process of its own (an exec session's
   * below it is not the daemon: findDaemon), whether the first process's PID is free or since taken by
   * another process (that one is never signalled: it is not the handle's).
   */
  private restoreVerdict(rec: InstanceRecord): RecoverResult | null {
    const h = rec.handle;
    if (!h) return null;
    const verdict = this.opts.backend.recover(h);
    const daemonUp =
      this.spec.type === 'forking' &&
      h.cgroup !== undefined &&
      verdict.kind !== 'alive' &&
      (rec.state === 'running' ||
        rec.state === 'stopping' ||
        (rec.state === 'starting' && this.opts.backend.readExit(h)?.code === 0)) &&
      this.opts.backend.findDaemon(h, this.spec.pid_file) !== null;
    return daemonUp ? { kind: 'alive' } : verdict;
  }

  /**
   * An adopted handle with its main verified now (process/main-process.ts): the recorded main when it is
   * still the shim's child with its start time, else the shim's live child (handles of older agents and
   * stray shims record none); for a daemon whose first process exited, the process left in its cgroup. A
   * recorded main that fails is dropped, never signalled.
   */
  private adoptMain(h: Handle): Handle {
    const recorded = recordedMain(h);
    const { backend } = this.opts;
    const daemon = this.spec.type === 'forking' && !backend.isRunning(h);
    const main = daemon ? backend.findDaemon(h, this.spec.pid_file) : backend.findMain(h);
    if (daemon) {
      if (main) this.owned = false;
      return withMain(h, main);
    }
    if (recorded && main?.pid !== recorded.pid) {
      this.note(
        'MAIN_UNVERIFIED',
        `MAIN_UNVERIFIED recorded main pid ${recorded.pid} is not the shim's child with its recorded start ` +
          `time: never signalled${main ? `; the shim's child is pid ${main.pid}` : ''}`,
      );
    }
    // A main the handler named (MAINPID=) stays one: the backend verified it by its cgroup or session.
    const kept = withMain(h, main);
    return h.main_notified === true && main?.pid === recorded?.pid ? { ...kept, main_notified: true } : kept;
  }

  /**
   * A main the handler named (MAINPID=) that is no longer alive with its start time: the main is the shim's
   * child again (or unknown), never a dead PID or one since reused by another process.
   */
  private followNotifiedMain(): void {
    const h = this.handle;
    if (!h || h.main_notified !== true || !ACTIVE.has(this.state)) return;
    const named = recordedMain(h);
    if (named && this.opts.backend.processLives(named)) return;
    const main = this.opts.backend.findMain(h);
    this.handle = withMain(h, main);
    this.note(
      'MAIN_CHANGED',
      `MAIN_CHANGED the main named by MAINPID= (pid ${h.main_pid}) is gone; ` +
        (main ? `the main is the shim's child, pid ${main.pid}` : 'no main process is known'),
    );
    this.pushStatus();
  }

  /** Looks at a main the handler named every NOTIFIED_MAIN_POLL_MS, while it is the main (followNotifiedMain). */
  private watchNotifiedMain(): void {
    if (this.notifiedMainWatch || this.disposed || this.handle?.main_notified !== true) return;
    const tick = (): void => {
      this.notifiedMainWatch = null;
      if (this.disposed) return;
      this.followNotifiedMain();
      this.watchNotifiedMain();
    };
    this.notifiedMainWatch = this.opts.clock.after(NOTIFIED_MAIN_POLL_MS, tick);
  }

  /** A running handle whose main is not recorded yet (slow fork, older state): found and recorded now. */
  private findMainLate(h: Handle): void {
    if (h.main_pid !== undefined || this.handle !== h) return;
    const main = this.opts.backend.findMain(h);
    if (!main) return;
    this.handle = withMain(h, main);
    this.lastSave = this.save();
    this.sup.emit('status', { handler: this.name });
  }

  /**
   * `type: forking` once its first process (the shim's child) exited with `exit`: while starting, exit 0
   * with a process left in the cgroup is the start (`running`, the main being the daemon: pid_file or the
   * process started first), anything else a failed start; while running, the instance lives while its own
   * cgroup has a process (the main followed if it changed) and exits, code unknown, once it has none: an
   * exec session's program left in the group below is stopped with the leftovers (drainLeftovers).
   */
  private checkDaemon(h: Handle, exit: ExitStatus): void {
    const main = this.opts.backend.findDaemon(h, this.spec.pid_file);
    if (this.state === 'starting') {
      if (exit.code !== 0 || !main) return this.onGone(exit);
      this.handle = withMain(h, main);
      this.owned = false; // no child of ours to hear from any more: the cgroup is polled
      this.transition('running', 'RUNNING', `RUNNING daemon pid=${main.pid} (first process exited 0)`);
      return;
    }
    if (!main) return this.onGone({ code: null, signal: null });
    if (main.pid !== h.main_pid || main.start_time !== h.main_start_time) {
      this.handle = withMain(h, main);
      this.note('MAIN_CHANGED', `MAIN_CHANGED daemon pid=${main.pid}`);
      this.lastSave = this.save();
      this.sup.emit('status', { handler: this.name });
    }
  }

  /** `ms`: what is left of the start window (≤ 0: it has passed: running now, or once healthy). */
  private armStartTimer(gen: number, ms: number): void {
    const promote = (): void => {
      if (gen !== this.gen || this.state !== 'starting' || this.disposed) return;
      if (this.handle && !this.alive(this.handle)) return this.checkGone();
      // A daemon is running once its first process exited 0 (checkDaemon), not after a window.
      if (this.spec.type === 'forking') return;
      // With a health check, `running` waits for the first healthy verdict (onHealthChange).
      if (this.spec.health && this.healthCounts.status !== 'healthy') {
        this.awaitingHealthy = true;
        return;
      }
      this.transition(
        'running',
        'RUNNING',
        `RUNNING after ${formatDuration(this.spec.start_seconds * 1000)}`,
      );
    };
    if (this.spec.type === 'forking' || this.spec.notify === true) this.armStartTimeout(gen);
    // `notify: true`: READY=1 (onReady), not a window, makes it running; maybe it came already.
    if (this.spec.notify === true) {
      if (this.readyEarly === gen) this.promoteReady(gen);
      return;
    }
    if (ms <= 0) promote();
    else this.timer = this.opts.clock.after(ms, promote);
  }

  /**
   * The start timeout (spec `start_timeout`, default the agent's startTimeoutMs = systemd's TimeoutStartSec,
   * counted from the spawn: an agent restarted meanwhile re-arms it for what is left): a `notify: true`
   * handler that did not say READY=1, or a `type: forking` one whose first process still runs, has failed
   * its start: its group gets the stop signal, SIGKILL after stop_timeout, and its exit is a failed start
   * whatever its duration (restart policy, start_retries: onGone); a daemon's cgroup is drained.
   */
  private armStartTimeout(gen: number): void {
    const limit = this.spec.start_timeout_ms ?? this.opts.startTimeoutMs;
    const stillStarting = (): Handle | null =>
      gen === this.gen && this.state === 'starting' && !this.disposed ? this.handle : null;
    const left = Math.max(
      0,
      limit - (this.opts.clock.now() - (this.handle?.spawned_at ?? this.opts.clock.now())),
    );
    this.opts.clock.after(left, () => {
      const h = stillStarting();
      if (!h || !this.alive(h)) return;
      this.timedOutGen = gen;
      const what =
        this.spec.notify === true
          ? `no READY=1 within ${formatDuration(limit)}`
          : `type: forking: the first process did not exit within ${formatDuration(limit)}`;
      this.note('START_TIMEOUT', `START_TIMEOUT ${what}; ${this.spec.stop_signal} to group ${h.pgid}`);
      this.opts.backend.signalGroup(h, this.spec.stop_signal);
      if (followedByCont(this.spec.stop_signal)) this.opts.backend.signalGroup(h, 'SIGCONT'); // as any stop
      this.opts.clock.after(this.spec.stop_timeout_ms, () => {
        const still = stillStarting();
        if (still && this.alive(still)) this.opts.backend.signalGroup(still, 'SIGKILL');
      });
    });
  }

  // ---- sd_notify: readiness and the watchdog ----

  /** A new process: nothing it said yet (the previous one's STATUS= goes). */
  private resetNotify(): void {
    this.notifyStatus = '';
    this.watchdogOverrideMs = null;
    this.stoppingSaid = false;
    this.reloading = false;
  }

  /** READY=1: the start is confirmed (or a reload done); heard during the spawn's write, it waits for it. */
  private onReady(): void {
    this.releaseBootSlot(this.gen); // booted: the next restart may begin (boot-slots.ts)
    if (this.state === 'starting') return this.promoteReady(this.gen);
    if (this.spawning) {
      this.readyEarly = this.gen;
      return;
    }
    if (this.state === 'running' && this.reloading) {
      this.reloading = false;
      this.note('RELOADED', 'RELOADED the handler said READY=1 after RELOADING=1');
    }
  }

  /** `running` after READY=1, or with a health check at its first healthy verdict (onHealthChange). */
  private promoteReady(gen: number): void {
    if (gen !== this.gen || this.state !== 'starting' || this.disposed) return;
    if (this.spec.health && this.healthCounts.status !== 'healthy') {
      this.awaitingHealthy = true;
      return;
    }
    const since = this.handle
      ? ` ${formatDuration(this.opts.clock.now() - this.handle.spawned_at)} after the spawn`
      : '';
    this.transition('running', 'RUNNING', `RUNNING READY=1${since}`);
  }

  /** (Re)arms the watchdog of a running notify handler with `watchdog:` (or its WATCHDOG_USEC=). */
  private armWatchdog(): void {
    this.cancelWatchdog();
    const ms = this.watchdogOverrideMs ?? this.spec.watchdog_ms;
    if (this.spec.notify !== true || !ms || this.state !== 'running' || this.stoppingSaid || this.disposed)
      return;
    if (this.frozenAt !== null) return; // frozen: no ping can come; armed again by the thaw
    const gen = this.gen;
    this.watchdogTimer = this.opts.clock.after(ms, () => {
      this.watchdogTimer = null;
      if (gen === this.gen) this.watchdogFailed(`no WATCHDOG=1 within ${formatDuration(ms)}`);
    });
  }

  private cancelWatchdog(): void {
    this.watchdogTimer?.cancel();
    this.watchdogTimer = null;
  }

  /**
   * The watchdog expired (or WATCHDOG=trigger, also while starting): recorded, then one restart, as
   * systemd's WatchdogSec. It does not run while the process is frozen (`idle_action: freeze`).
   */
  private watchdogFailed(why: string): void {
    this.cancelWatchdog();
    if (!ACTIVE.has(this.state) || this.disposed || this.desired !== 'running') return;
    this.note('WATCHDOG', `WATCHDOG ${why}: restarting`);
    this.background(this.restart());
  }

  /**
   * The process is gone (not by our stop): record the exit and apply the restart policy; `stopped`: it ended
   * while a stop the agent before this one began was under way — the stop is done.
   */
  private onGone(exit: ExitStatus, stopped = false, signalledAt?: number): void {
    const h = this.handle;
    if (!h) return;
    this.handle = null;
    // Killed while frozen (v2 lets SIGKILL through; or while no agent ran): its group stays frozen, and the
    // next process would join it frozen (never ready, never answering). Thawed now (the write is
    // synchronous, before any respawn or drain); the kernel's state decides, so nothing when it is thawed.
    this.frozenAt = null;
    this.background(this.opts.freezer.thaw(this.name, h));
    this.cancelTimer();
    this.stopHealth();
    // Children the main left in its group are stopped, never carried into the next process's lifetime.
    this.drainLeftovers(h, false, signalledAt);
    const now = this.opts.clock.now();
    this.lastExit = { code: exit.code, signal: exit.signal, at: now };
    const exitMsg = `EXITED ${describeExit(exit)}${this.stoppingSaid ? ' after STOPPING=1' : ''}`;
    if (stopped) {
      // Only on restore, where an instance begins `stopped`: its record (no handle, the exit) written as is.
      this.note('EXITED', exitMsg);
      this.note('STOPPED', 'STOPPED');
      return this.background(this.persist());
    }
    const d = decideRestart(
      this.spec,
      this.history,
      {
        ...exit,
        spawnedAt: h.spawned_at,
        unconfirmed: this.timedOutGen === this.gen,
        beforeHealthy: this.state === 'starting' && this.spec.health !== undefined,
      },
      now,
      this.opts.random,
    );
    this.history = d.history;
    this.log.info('exit', { pid: h.main_pid, shim_pid: h.pid, ...exit, action: d.action, reason: d.reason });
    if (d.action === 'none' || this.state === 'running' || !d.failedStart) {
      this.transition('exited', 'EXITED', exitMsg);
    } else {
      this.note('EXITED', exitMsg);
    }
    this.applyDecision(d);
  }

  /** Carries out the restart policy's decision after an exit (the instance is `exited`, or still `starting`). */
  private applyDecision(d: RestartDecision): void {
    if (d.action === 'fatal') return this.transition('fatal', 'FATAL', `FATAL ${d.reason}`);
    if (d.action === 'none' || this.desired === 'stopped') return;
    if (d.delayMs > 0) {
      this.transition('backoff', 'BACKOFF', `BACKOFF ${formatDuration(d.delayMs)}`);
      this.respawnAfter(d.delayMs);
    } else {
      this.background(this.spawnNow(true));
    }
  }

  /** The next spawn, `delayMs` from now, while the instance is still in `backoff`. */
  private respawnAfter(delayMs: number): void {
    const gen = this.gen;
    this.timer = this.opts.clock.after(delayMs, () => {
      if (gen === this.gen && this.state === 'backoff' && !this.disposed)
        this.background(this.spawnNow(true));
    });
  }

  /**
   * A spawn the environment refused (ENVIRONMENT_ERRORS: the data dir read-only or full for a moment, no
   * descriptors left) is a failed start, as supervisord's spawn errors are: `backoff`, then `fatal` after
   * `start_retries`. Made fatal at once, one brief I/O error left a `restart: always` handler down for good.
   */
  private retrySpawn(msg: string, now: number): void {
    const d = decideRestart(
      this.spec,
      this.history,
      { code: null, signal: null, spawnedAt: now, unconfirmed: true },
      now,
      this.opts.random,
    );
    this.history = d.history;
    const canWait = this.state === 'backoff' || TRANSITIONS[this.state].includes('backoff');
    if (d.action !== 'restart' || this.desired === 'stopped' || !canWait)
      return this.transition('fatal', 'SPAWN_FAILED', d.action === 'fatal' ? `${msg}; ${d.reason}` : msg);
    this.note('SPAWN_FAILED', msg);
    const delayMs = Math.max(d.delayMs, MIN_SPAWN_RETRY_MS);
    if (this.state !== 'backoff') this.transition('backoff', 'BACKOFF', `BACKOFF ${formatDuration(delayMs)}`);
    this.respawnAfter(delayMs);
  }

  /** `stopping` while the group is stopped with escalation (stop.ts); `stopped` once it is empty. */
  private async stopProcess(h: Handle, durable: boolean): Promise<void> {
    const signal = this.spec.stop_signal;
    // A frozen process would hold the stop signal until SIGKILL (v1: forever): thawed first.
    await this.thawNow();
    this.stopHealth();
    // Set before the transition: its write carries it (and the signal is sent before any write lands).
    const resumed = this.stoppingSince;
    this.stoppingSince = resumed ?? this.opts.clock.now();
    this.transition(
      'stopping',
      'STOPPING',
      resumed === null
        ? `STOPPING ${signal} to ${groupText(h, false)}`
        : `STOPPING resumed: ${signal} was sent to ${groupText(h, false)} by the agent before this one`,
    );
    const res = await this.stopGroup(h, signal, this.spec.stop_timeout_ms, resumed ?? undefined);
    if (res.kind === 'cancelled') return;
    this.stoppingSince = null;
    this.handle = null;
    this.gen++;
    if (res.kind === 'refused' || res.kind === 'stuck') {
      // Never signalled again: kept as unverified until an admin decides (like a failed restore).
      this.unverified = h;
      this.transition('unknown', 'STOP_FAILED', `STOP_FAILED ${res.reason}; not signalled further`);
      await this.lastSave;
      throw new StateError(`cannot stop ${this.name}: ${res.reason}; it is unknown now`);
    }
    this.lastExit = { ...res.exit, at: this.opts.clock.now() };
    this.note('EXITED', `EXITED ${describeExit(res.exit)}`);
    // stop() resolves once `stopped` is on disk (`durable`), so a following start pays for one write only.
    this.transition('stopped', 'STOPPED', 'STOPPED');
    if (durable) await this.lastSave;
  }

  /** Stops `h`'s group with escalation; waiting ends (processes left alone) once the instance is disposed. */
  private stopGroup(
    h: Handle,
    signal: NodeJS.Signals,
    timeoutMs: number,
    signalledAt?: number,
  ): Promise<StopResult> {
    return stopGroup(h, {
      signalledAt,
      backend: this.opts.backend,
      clock: this.opts.clock,
      signal,
      timeoutMs,
      pollMs: STOP_POLL_MS,
      cancelled: () => this.disposed,
      note: (type, message) => this.note(type, message),
    });
  }

  /**
   * The thaw itself; only inside `exclusive`. Emits THAWED, which re-arms the on-demand idle timer. Nothing
   * here competes with the wake-up's first request (the thaw → answering latency): the paused health check
   * resumes at its cadence with the verdict it had when frozen (an adopted frozen one has none: probed now), and
   * the record is not written — its `frozen_at` only says since when, and only while the kernel says the
   * group is frozen (an agent started after this finds it thawed and ignores it); the next write (a stop, a
   * STATUS=, the next freeze: before the kernel freezes, so that freeze is never dated by this one) carries it.
   */
  private async thawNow(): Promise<void> {
    const h = this.handle;
    const since = this.frozenAt;
    if (since === null || !h) return;
    await this.opts.freezer.thaw(this.name, h);
    this.frozenAt = null;
    this.note('THAWED', `THAWED after ${formatDuration(this.opts.clock.now() - since)} frozen`);
    if (this.state === 'running' && this.handle === h) {
      this.resumeHealth();
      this.armWatchdog();
    }
    this.sup.emit('status', { handler: this.name });
  }

  // ---- Leftovers: what exited processes left in their groups ----

  /**
   * Stops what is left in `h`'s group (nothing when it is empty or not provably ours): when the main
   * process (and with it the shim) exits, children it started in its group may live on. They are stopped
   * like a stop would, so they never accumulate across restarts (DESIGN §8 item 11). The groups being
   * drained are part of the record, so an agent that dies meanwhile hands them to the next one (§8 item 8).
   * `signalledAt`: the group was sent the stop signal then already (by a stop, or a drain, of the agent
   * before this one): not sent again, SIGKILL at it + stop_timeout.
   */
  private drainLeftovers(h: Handle, recorded = false, signalledAt?: number): void {
    if (this.draining.has(h.pgid) || !leftAlive(this.opts.backend, h)) return;
    this.draining.set(h.pgid, h);
    this.note(
      'LEFTOVERS',
      `LEFTOVERS ${groupText(h)} still has processes after its main exited; stopping them`,
    );
    const run = this.runDrain(h, this.spec.stop_signal, this.spec.stop_timeout_ms, recorded, signalledAt);
    this.drains.add(run);
    void run.finally(() => this.drains.delete(run));
  }

  /** `recorded`: the record on disk already lists `h` as draining (restore): not written first. */
  private async runDrain(
    h: Handle,
    signal: NodeJS.Signals,
    timeoutMs: number,
    recorded: boolean,
    signalledAt: number | undefined,
  ): Promise<void> {
    try {
      if (!recorded) await this.save();
      // The stop signal goes out in stopGroup's first, synchronous step; its time is written after it (an
      // agent dying in between signals again: never SIGKILL without the stop signal first). A drain restored
      // from the record is not written from here (restore() is still taking the record's fields): the next
      // write carries its time.
      this.drainSignalledAt.set(h.pgid, signalledAt ?? this.opts.clock.now());
      const stopping = this.stopGroup(h, signal, timeoutMs, signalledAt);
      if (!recorded) void this.save();
      const res = await stopping;
      if (res.kind === 'cancelled') return;
      if (res.kind === 'refused' || res.kind === 'stuck') {
        this.note('STOP_FAILED', `STOP_FAILED leftovers of ${groupText(h, false)}: ${res.reason}`);
      }
      this.draining.delete(h.pgid);
      this.drainSignalledAt.delete(h.pgid);
      await this.save();
    } catch (err) {
      this.log.error('stopping leftovers failed', { pgid: h.pgid, err });
    }
  }

  // ---- Health ----

  /**
   * Starts the health check of process generation `gen`, if the spec has one; `readyWithinMs` ≤ 0: no
   * grace. Only this monitor's verdicts, of this process, reach `onHealthChange`.
   */
  private startHealth(gen: number, readyWithinMs: number): void {
    this.stopHealth();
    this.awaitingHealthy = false;
    this.notReady = false;
    const h = this.spec.health;
    if (!h) return;
    this.healthCounts = { ...INITIAL_HEALTH, reason: this.healthCounts.reason };
    const monitor = new HealthMonitor(h, this.probeContext(), {
      clock: this.opts.clock,
      probe: this.opts.probe ?? runProbe,
      onChange: (next, prev, deadline) => {
        if (this.monitor === monitor && gen === this.gen && !this.disposed)
          this.onHealthChange(next, prev, deadline);
      },
    });
    this.monitor = monitor;
    monitor.start(Math.max(0, readyWithinMs));
  }

  /** Frozen: probing pauses (the process answers nothing) and the verdict shows unknown meanwhile. */
  private pauseHealth(): void {
    if (!this.monitor) return;
    this.monitor.pause();
    this.healthCounts = { ...INITIAL_HEALTH, reason: this.healthCounts.reason };
  }

  /** Thawed: the paused check goes on with its verdict from before; none paused (adopted frozen): a new one. */
  private resumeHealth(): void {
    if (!this.monitor) return this.startHealth(this.gen, 0);
    this.healthCounts = this.monitor.state;
    this.monitor.resume();
  }

  /** Stops probing (the process is stopping or gone); the verdict becomes unknown, the last reason stays. */
  private stopHealth(): void {
    if (!this.monitor) return;
    this.monitor.stop();
    this.monitor = null;
    this.healthCounts = { ...INITIAL_HEALTH, reason: this.healthCounts.reason };
  }

  /** An exec check runs like the handler: its environment, its user (or fails with why it cannot). */
  private probeContext(): ProbeContext {
    try {
      const { env, prefix } = prepareLaunch(this.spec, this.index, this.opts.launch);
      return { cwd: this.spec.cwd, env, prefix };
    } catch (err) {
      return { cwd: this.spec.cwd, env: {}, refused: errorMessage(err) };
    }
  }

  /** What a verdict change means: maybe `running` (the start window waited for it), events, a restart. */
  private onHealthChange(next: HealthCounts, prev: HealthCounts, deadline: boolean): void {
    const h = this.spec.health;
    if (!h) return;
    this.healthCounts = next;
    // `reason` is the last failure's, kept after a pass: on a pass it is history, not why.
    const why = next.status === 'healthy' ? 'last_failure' : 'reason';
    this.log.info('health', { from: prev.status, to: next.status, [why]: next.reason || undefined });
    if (next.status === 'healthy') {
      this.notReady = false;
      this.releaseBootSlot(this.gen); // booted: the next restart may begin (boot-slots.ts)
      if (this.state === 'starting' && this.awaitingHealthy) {
        this.awaitingHealthy = false;
        this.transition('running', 'RUNNING', `RUNNING healthy (${describeCheck(h)})`);
      } else if (prev.status === 'unhealthy') {
        this.note('HEALTHY', `HEALTHY ${describeCheck(h)}`);
      }
    } else if (next.status === 'unhealthy') {
      if (this.state === 'starting' && deadline) {
        this.notReady = true;
        this.note('NOT_READY', `NOT_READY not healthy by its deadline: ${next.reason}`);
      } else if (this.state === 'running' && prev.status !== 'unhealthy') {
        this.note('UNHEALTHY', `UNHEALTHY ${next.reason}`);
        if (h.restart_on_unhealthy && this.desired === 'running') {
          this.note('RESTARTING', 'RESTARTING restart_on_unhealthy');
          this.background(this.restart());
        }
      }
    }
    this.sup.emit('health', { handler: this.name });
    this.wakeWaiters();
  }
}

/** `dir` as /proc shows a working directory: absolute, symbolic links resolved (as given when it cannot be). */
function realPath(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}
