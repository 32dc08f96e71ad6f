/**
 * On-demand mode for one instance (DESIGN §3): `ensure` wakes it (cold → warming → hot) with ONE shared
 * start for concurrent callers, measures the cold start, and an idle timer cools it (hot → cooling →
 * cold) after `idle_timeout` without use or activity. Decisions come from `policy.ts`.
 *
 * Idleness from activity: the instance counts as busy while it said `BUSY=1` (`setBusy`, until
 * `IDLE=1`), a lease is held (`hold`, until its end or `release`), its process tree has established TCP
 * connections on a port it listens on (tcp-connections.ts), or the tree used more than `idle_cpu` over
 * the last sampling window (the supervisor's MetricsSampler: each metrics sample is passed in through
 * `noteSample`, and once the idle action is due the idle check takes one more sample of the tree, whose
 * window starts at the last metrics sample). Its idle period runs from the last moment it was used or
 * seen busy (a lease: from its end); only once it is `idle_timeout` long may it cool. The timer looks
 * when the idle action is due and at a lease's end; a busy look starts the idle period again.
 *
 * Behaviour:
 * - Any use through the governor (`ensure`, `start`, `restart`, `logs`) calls `touch()`.
 * - A start that does not end `running` (exited/backoff/fatal, or not ready by its health deadline) is a
 *   failed cold start: every waiter gets the error and the instance is stopped (cold again).
 * - While hot, the restart policy applies to crashes as for always-on; the idle stop is an ordinary stop,
 *   not a failure (no restart, restarts unchanged).
 * - For an always-on instance `ensure` only starts it if it is not active (no idle timer, no cold-start
 *   record), and a failed start is reported without stopping it (its restart policy goes on).
 */
import { performance } from 'node:perf_hooks';
import { formatDuration } from '../../shared/durations.js';
import { GovError, StateError } from '../../shared/errors.js';
import { DEFAULT_IDLE_CPU_PERCENT } from '../../shared/spec.js';
import type { Logger } from '../../shared/logger.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Instance, InstanceStatus } from '../instance/instance.js';
import type { InstanceState } from '../instance/lifecycle.js';
import type { ActivityStatus } from '../instance/status.js';
import { processTree, type MetricsSampler } from '../process/sampler.js';
import {
  activityOf,
  busyReason,
  decideIdle,
  idleSince,
  nextIdleCheck,
  recentColdStarts,
  renewLease,
  temperatureOf,
  type ColdStart,
} from './policy.js';
import { establishedConnections } from './tcp-connections.js';

/** A wake-up that did not make the instance hot. */
export class ColdStartError extends GovError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

export interface EnsureResult {
  status: InstanceStatus;
  /** ensure → hot in ms; 0 when it was already hot. Shared by every caller of one start. */
  cold_start_ms: number;
  /** True when this ensure (or one it joined) had to start the instance. */
  woke: boolean;
}

export interface OnDemandTelemetry {
  cold_starts: number;
  last_cold_start_ms: number;
  last_hot_memory_bytes: number;
  recent_cold_starts_ms: number[];
}

/** What the last look at the process tree found: CPU over its sampling window, connections on its ports. */
interface Measured {
  cpuPercent: number | null;
  connections: ReadonlyMap<number, number>;
}

const NOT_MEASURED: Measured = { cpuPercent: null, connections: new Map() };

export class OnDemandController {
  /** The last moment the instance was used or seen busy (epoch ms): its idle period runs from here. */
  lastUse: number;
  /** `BUSY=1` said and no `IDLE=1` since. */
  private saidBusy = false;
  private measured: Measured = NOT_MEASURED;
  /** Whether the last change announced was to busy (only flips are announced). */
  private announcedBusy = false;
  private coldStarts: ColdStart[] = [];
  private coldStartCount = 0;
  private lastColdStartMs = 0;
  private lastHotRss = 0;
  private pending: Promise<EnsureResult> | null = null;
  private idleTimer: TimerHandle | null = null;
  private disposed = false;
  private readonly log: Logger;

  constructor(
    private readonly inst: Instance,
    private readonly clock: Clock,
    logger: Logger,
    /** Measures the instance's process tree: before an idle stop (its hot RSS), and its CPU when due. */
    private readonly sampler: MetricsSampler,
    /** Tells the instance's listeners its status changed without a state change (busy ↔ idle, lease). */
    private readonly announce: () => void = () => {},
  ) {
    this.lastUse = clock.now();
    this.log = logger.with({ instance: inst.name });
    inst.activity = () => this.activity();
  }

  private get onDemand(): boolean {
    return this.inst.spec.mode === 'on-demand';
  }

  /** Activity: restarts the idle period. */
  touch(): void {
    this.lastUse = this.clock.now();
  }

  /**
   * `BUSY=1` (true) / `IDLE=1` (false) from the handler (sd_notify): busy holds it hot until IDLE=1, and
   * its idle period starts then. Both count as activity.
   */
  setBusy(busy: boolean): void {
    this.touch();
    if (busy === this.saidBusy) return;
    this.saidBusy = busy;
    this.changed();
    if (!busy && this.inst.state === 'running') this.armIdle();
  }

  /**
   * `ensure --hold`: takes or renews the lease (its end becomes max(current end, now + holdMs)), persisted
   * with the instance's record. Refused for an always-on instance, which has no idle timer to hold off.
   * Returns the lease's end.
   */
  async hold(holdMs: number): Promise<number> {
    this.refuseLease('--hold');
    const now = this.clock.now();
    this.touch();
    const until = renewLease(this.liveLease(now), holdMs, now);
    this.inst.leaseUntil = until;
    await this.inst.persist();
    this.changed(true);
    if (this.inst.state === 'running') this.armIdle();
    return until;
  }

  /** `gov release`: ends the lease at once (the idle period starts now); false when none was held. */
  async release(): Promise<boolean> {
    this.refuseLease('release');
    const held = this.liveLease(this.clock.now()) !== null;
    this.inst.leaseUntil = null;
    this.touch();
    await this.inst.persist();
    this.changed(true);
    if (this.inst.state === 'running') this.armIdle();
    return held;
  }

  /**
   * Why it is busy now ('' when idle): the live signals (BUSY=1, lease) and, unless `liveOnly`, the last
   * measurement (CPU, connections).
   */
  busyReason(liveOnly = false): string {
    const now = this.clock.now();
    return busyReason(
      {
        saidBusy: this.saidBusy,
        leaseUntil: this.liveLease(now),
        ...(liveOnly ? NOT_MEASURED : this.measured),
        idleCpuPercent: this.inst.spec.idle_cpu_percent ?? DEFAULT_IDLE_CPU_PERCENT,
      },
      now,
    );
  }

  /** Idle for, cools in, busy reason and lease (status.ts): figures only while hot or frozen on-demand. */
  activity(): ActivityStatus {
    const t = temperatureOf(this.inst.spec.mode, this.inst.state);
    const now = this.clock.now();
    if (t === '') return { idle_ms: 0, cools_in_ms: 0, busy_reason: '', lease_until: null };
    const lease = this.liveLease(now);
    if (t !== 'hot' && t !== 'frozen') return { idle_ms: 0, cools_in_ms: 0, busy_reason: '', lease_until: lease };
    return activityOf(this.busyReason(), this.lastUse, lease, this.inst.spec.idle_timeout_ms, now);
  }

  /**
   * A metrics sample of the instance's tree (CPU % over the sampler's window) while hot: measured
   * activity; the tree's connections are looked at with it.
   */
  noteSample(cpuPercent: number): void {
    if (this.onDemand && this.inst.state === 'running') this.measure(cpuPercent);
  }

  private measure(cpuPercent: number): void {
    const pid = this.inst.handle?.pid; // the shim: its tree is the whole handler
    const pids = pid === undefined ? [] : processTree(pid).map((p) => p.pid);
    this.measured = { cpuPercent, connections: establishedConnections(pids) };
    if (this.busyReason()) this.touch();
    this.changed();
  }

  /** The lease's end while it lasts; one that ran out is dropped (idle from its end: `idleSince`). */
  private liveLease(now: number): number | null {
    const until = this.inst.leaseUntil;
    if (until === null || until > now) return until;
    this.lastUse = idleSince(this.lastUse, until, now);
    this.inst.leaseUntil = null;
    this.inst.persist().catch((err: unknown) => this.log.error('persist failed', { err }));
    return null;
  }

  private refuseLease(what: string): void {
    if (this.onDemand) return;
    throw new StateError(
      `${this.inst.name} is ${this.inst.spec.mode}: it has no idle timer, so a lease (${what}) means ` +
        `nothing; leases are for mode: on-demand handlers`,
    );
  }

  /** Announces a flip between busy and idle (and, `always`, a lease change): the master's ps shows it. */
  private changed(always = false): void {
    const busy = this.busyReason() !== '';
    if (busy === this.announcedBusy && !always) return;
    this.announcedBusy = busy;
    this.announce();
  }

  /** Wakes the instance (or joins the wake-up in progress); resolves once it is hot. */
  ensure(): Promise<EnsureResult> {
    this.touch();
    if (this.inst.state === 'running') {
      return Promise.resolve({ status: this.inst.status(), cold_start_ms: 0, woke: false });
    }
    this.pending ??= this.wake().finally(() => (this.pending = null));
    return this.pending;
  }

  private async wake(): Promise<EnsureResult> {
    const t0 = performance.now();
    const status = await this.inst.start();
    const ms = performance.now() - t0;
    if (status.state !== 'running') {
      const why = notHotReason(status);
      if (this.onDemand) {
        await this.inst.stop();
        throw new ColdStartError(`${this.inst.name} did not become hot (${why}); it is cold again`);
      }
      throw new ColdStartError(`${this.inst.name} did not start (${why})`);
    }
    this.touch();
    if (this.onDemand) {
      const now = this.clock.now();
      this.coldStarts = recentColdStarts(this.coldStarts, now, { at: now, ms });
      this.coldStartCount++;
      this.lastColdStartMs = ms;
      this.log.info('hot', { cold_start_ms: Math.round(ms * 10) / 10, pid: status.pid });
      this.armIdle();
    }
    return { status, cold_start_ms: ms, woke: true };
  }

  /** Hooked to the instance's state changes: a hot on-demand instance gets an idle timer. */
  onState(to: InstanceState): void {
    if (to === 'running') {
      this.measured = NOT_MEASURED; // a new process: nothing measured of it yet
      // Its CPU window starts now that it is hot (its start-up belongs to warming, not to activity).
      const pid = this.inst.handle?.pid;
      if (this.onDemand && pid !== undefined) void this.sampler.sample([pid]);
      this.armIdle();
    }
  }

  /** The last RSS measured while hot (from metrics sampling or just before an idle stop). */
  recordHotRss(bytes: number): void {
    if (bytes > 0) this.lastHotRss = bytes;
  }

  telemetry(): OnDemandTelemetry {
    this.coldStarts = recentColdStarts(this.coldStarts, this.clock.now());
    return {
      cold_starts: this.coldStartCount,
      last_cold_start_ms: this.lastColdStartMs,
      last_hot_memory_bytes: this.lastHotRss,
      recent_cold_starts_ms: this.coldStarts.map((c) => c.ms),
    };
  }

  dispose(): void {
    this.disposed = true;
    this.idleTimer?.cancel();
    this.idleTimer = null;
  }

  /** The next look of the idle timer: when the idle action is due, or at the lease's end if sooner. */
  private armIdle(): void {
    this.idleTimer?.cancel();
    this.idleTimer = null;
    if (this.disposed || !this.onDemand) return;
    const now = this.clock.now();
    const delay = nextIdleCheck(this.lastUse, this.liveLease(now), this.inst.spec.idle_timeout_ms, now);
    this.idleTimer = this.clock.after(delay, () => this.idleCheck());
  }

  private get mayCool(): boolean {
    return !this.disposed && this.onDemand && this.inst.desired === 'running' && !this.pending;
  }

  private idleCheck(): void {
    this.idleTimer = null;
    if (!this.mayCool) return;
    this.look().catch((err: unknown) => this.log.error('idle check failed', { err }));
  }

  /**
   * The idle timer's look. Once the idle action is due and nothing live holds it, the tree is measured
   * (CPU since the last sample, connections); busy, its idle period starts again, else it cools.
   */
  private async look(): Promise<void> {
    const now = this.clock.now();
    this.liveLease(now); // one that ran out: idle from its end
    const due = decideIdle(this.lastUse, this.inst.spec.idle_timeout_ms, now).action === 'cool';
    const pid = this.inst.handle?.pid; // the shim: its tree is the whole handler
    if (due && !this.busyReason(true) && pid !== undefined && this.inst.state === 'running') {
      const u = (await this.sampler.sample([pid])).get(pid);
      if (u) this.measure(u.cpu_percent);
      if (!this.mayCool) return;
    }
    this.changed();
    if (this.busyReason(true)) this.touch(); // a measurement seen busy touched it when it was taken
    const d = decideIdle(this.lastUse, this.inst.spec.idle_timeout_ms, this.clock.now());
    if (d.action === 'wait') return this.armIdle();
    this.cool(d.idleMs).catch((err: unknown) => this.log.error('idle stop failed', { err }));
  }

  private async cool(idleMs: number): Promise<void> {
    const pid = this.inst.handle?.pid; // the shim: its tree is the whole handler
    if (pid !== undefined && this.inst.state === 'running') {
      this.recordHotRss((await this.sampler.sample([pid])).get(pid)?.memory_bytes ?? 0);
    }
    // A use may have come in while sampling: then it is not idle any more.
    const again = decideIdle(this.lastUse, this.inst.spec.idle_timeout_ms, this.clock.now());
    if (this.disposed || this.pending || this.inst.desired !== 'running') return;
    if (again.action === 'wait') return this.armIdle();
    this.inst.note('IDLE', `IDLE no use for ${formatDuration(idleMs)}; cooling`);
    await this.inst.stop();
  }
}

/** Why a start did not end hot: not ready (health), or the last exit / fatal event. */
function notHotReason(s: InstanceStatus): string {
  if (s.state === 'starting' && s.health === 'unhealthy') {
    return `not ready: health check failing: ${s.health_reason || 'unhealthy'}`;
  }
  const ev = [...s.events].reverse().find((e) => /^(EXITED|FATAL|SPAWN_FAILED)/.test(e.type));
  return ev ? `${s.state}: ${ev.message}` : s.state;
}
