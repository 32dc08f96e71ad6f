/**
 * On-demand mode for one instance (DESIGN §3): `ensure` wakes it (cold → warming → hot) with ONE shared
 * start for concurrent callers, measures the cold start, and an idle timer cools it (hot → cooling →
 * cold) after `idle_timeout` without use or activity — or, with `idle_action: freeze`, freezes it (hot →
 * frozen: same PIDs, memory kept, no CPU), which `ensure` thaws; a frozen instance is stopped after
 * `frozen_timeout`. Where no freezer is usable the idle action is a stop, with ONE warning per instance.
 * Decisions come from `policy.ts`.
 *
 * Idleness from activity (activity.ts): busy while it said `BUSY=1`, holds a lease, has client
 * connections, or uses more than `idle_cpu`; the idle period runs from the last use or busy moment. The
 * idle timer looks when the idle action is due and at a lease's end. When due and nothing live (BUSY=1, a
 * lease) holds it, it measures the tree's CPU (the supervisor's MetricsSampler's CPU counter of the tree) over
 * the window since its last look, or since it became hot — a window long enough to resolve `idle_cpu`
 * (policy.ts `idleCpuWindowMs`: a shorter one is waited out) — and reads its connections: busy, the idle
 * period starts again; idle, it cools. A metrics sample (`noteSample`) that finds it busy counts as well.
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
import { GovError } from '../../shared/errors.js';
import { DEFAULT_IDLE_CPU_PERCENT } from '../../shared/spec.js';
import type { Logger } from '../../shared/logger.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Instance, InstanceStatus } from '../instance/instance.js';
import type { InstanceState } from '../instance/lifecycle.js';
import type { ActivityStatus } from '../instance/status.js';
import type { Handle } from '../process/backend.js';
import { MIN_CPU_WINDOW_MS, type MetricsSampler } from '../process/sampler.js';
import { handleTree, type TreeRef } from '../process/process-tree.js';
import { Activity } from './activity.js';
import { decideIdle, idleCpuWindowMs, recentColdStarts, type ColdStart } from './policy.js';

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

/** How an on-demand instance's CPU is measured. */
export interface DemandCpu {
  /** Its process tree from /proc: its hot RSS before an idle stop, and its CPU where `group` has none. */
  sampler: MetricsSampler;
  /**
   * The CPU seconds its own cgroup used so far (cpu-accounting.ts; null: none): exact, and counting children
   * that exited since — a tree summed from /proc loses up to a 10 ms tick per process per window, and what
   * exited children used, so a busy many-process (or forking) handler could read idle.
   */
  group: (h: Handle) => number | null;
}

export class OnDemandController {
  /** When it was last used or seen busy, and what says it is busy now (activity.ts). */
  private readonly act: Activity;
  private coldStarts: ColdStart[] = [];
  private coldStartCount = 0;
  private lastColdStartMs = 0;
  private lastHotRss = 0;
  private pending: Promise<EnsureResult> | null = null;
  /** The idle timer, or while frozen the frozen_timeout timer. */
  private idleTimer: TimerHandle | null = null;
  private disposed = false;
  /**
   * The CPU counter (the cgroup's, else the tree's sampler `cpu_seconds`) where the idle look's CPU window
   * begins: of which counter and process (its shim's pid and start time), the count, and when.
   */
  private cpuMark: { process: string; cpuSeconds: number; at: number } | null = null;
  /** The "cannot freeze: stopping instead" warning was given (once per instance). */
  private warnedNoFreeze = false;
  private readonly log: Logger;

  constructor(
    private readonly inst: Instance,
    private readonly clock: Clock,
    logger: Logger,
    private readonly cpu: DemandCpu,
    /** Tells the instance's listeners its status changed without a state change (busy ↔ idle, lease). */
    announce: () => void = () => {},
  ) {
    this.log = logger.with({ instance: inst.name });
    this.act = new Activity(inst, clock, this.log, announce);
    inst.activity = () => this.act.status();
  }

  /** The last moment the instance was used or seen busy (epoch ms): its idle period runs from here. */
  get lastUse(): number {
    return this.act.lastUse;
  }

  private get onDemand(): boolean {
    return this.inst.spec.mode === 'on-demand';
  }

  /** Activity: restarts the idle period. */
  touch(): void {
    this.act.touch();
  }

  /**
   * `BUSY=1` (true) / `IDLE=1` (false) from the handler (sd_notify): busy holds it hot until IDLE=1, and
   * its idle period starts then. Both count as activity.
   */
  setBusy(busy: boolean): void {
    if (this.act.setBusy(busy) && !busy && this.inst.state === 'running') this.armIdle();
  }

  /**
   * `ensure --hold`: takes or renews the lease (its end becomes max(current end, now + holdMs)), persisted
   * with the instance's record; returns its end. Refused (StateError) for an always-on instance: it has no
   * idle timer to hold off.
   */
  async hold(holdMs: number): Promise<number> {
    const until = await this.act.hold(holdMs);
    if (this.inst.state === 'running') this.armIdle();
    return until;
  }

  /**
   * A `gov exec` session opened in the instance: it stays busy (no idle stop or freeze under the session)
   * until the returned function is called as the session ends; its idle period starts then.
   */
  execSession(): () => void {
    const end = this.act.execSession();
    return () => {
      end();
      if (this.inst.state === 'running') this.armIdle();
    };
  }

  /** `gov release`: ends the lease at once (the idle period starts now); false when none was held. */
  async release(): Promise<boolean> {
    const held = await this.act.release();
    if (this.inst.state === 'running') this.armIdle();
    return held;
  }

  /** Idle for, cools in, busy reason and lease (what `status().activity` shows). */
  activity(): ActivityStatus {
    return this.act.status();
  }

  /** A metrics sample of the instance's tree (CPU % over the sampler's window): measured activity while hot. */
  noteSample(cpuPercent: number): void {
    if (this.onDemand && this.inst.state === 'running') this.act.measure(cpuPercent);
  }

  /** Wakes the instance (or joins the wake-up in progress); resolves once it is hot. */
  ensure(): Promise<EnsureResult> {
    this.touch();
    if (this.inst.state === 'running' && !this.inst.frozen) {
      return Promise.resolve({ status: this.inst.status(), cold_start_ms: 0, woke: false });
    }
    this.pending ??= (this.inst.frozen ? this.thawWake() : this.wake()).finally(() => (this.pending = null));
    return this.pending;
  }

  /** A frozen instance is woken by a thaw (`cold_start_ms` is the thaw); stopped meanwhile: a cold start. */
  private async thawWake(): Promise<EnsureResult> {
    const t0 = performance.now();
    await this.inst.thaw();
    const ms = performance.now() - t0;
    if (this.inst.state !== 'running') return this.wake();
    this.touch();
    this.log.info('thawed', { thaw_ms: Math.round(ms * 100) / 100 });
    return { status: this.inst.status(), cold_start_ms: ms, woke: true };
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
      this.act.forgetMeasurement(); // a new process: nothing measured of it yet
      // Its CPU window starts now that it is hot (its start-up belongs to warming, not to activity).
      const tree = this.tree();
      if (this.onDemand && tree) void this.cpuSince(tree);
      this.armIdle();
    }
  }

  /** Hooked to the instance's THAWED event: a thaw is a use, and the idle timer runs again. */
  onThawed(): void {
    this.touch();
    this.armIdle();
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

  /** The instance's whole process tree (process-tree.ts: its cgroup when it has one); null without a process. */
  private tree(): TreeRef | null {
    const h = this.inst.handle;
    return h ? handleTree(this.inst.name, h) : null;
  }

  /** The next look of the idle timer: when the idle action is due, or at the lease's end if sooner. */
  private armIdle(): void {
    this.idleTimer?.cancel();
    this.idleTimer = null;
    if (this.disposed || !this.onDemand) return;
    if (this.inst.frozen) return this.armFrozen();
    this.idleTimer = this.clock.after(this.act.nextCheckMs(), () => this.idleCheck());
  }

  private get mayCool(): boolean {
    return !this.disposed && this.onDemand && this.inst.desired === 'running' && !this.pending;
  }

  /** While frozen: the stop after `frozen_timeout` (none without one), counted from the freeze. */
  private armFrozen(): void {
    const limit = this.inst.spec.frozen_timeout_ms;
    const since = this.inst.frozenSince;
    if (limit === undefined || since === null) return;
    const left = Math.max(0, since + limit - this.clock.now());
    this.idleTimer = this.clock.after(left, () => {
      this.idleTimer = null;
      if (this.disposed || !this.inst.frozen || this.pending || this.inst.desired !== 'running') return;
      const frozenFor = formatDuration(this.clock.now() - since);
      this.inst.note('FROZEN_TIMEOUT', `FROZEN_TIMEOUT frozen for ${frozenFor}; stopping`);
      this.inst.stop().catch((err: unknown) => this.log.error('frozen_timeout stop failed', { err }));
    });
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
    const live = this.act.reason(true); // BUSY=1 or a lease (one that ran out: idle from its end)
    const due = decideIdle(this.lastUse, this.inst.spec.idle_timeout_ms, this.clock.now()).action === 'cool';
    const tree = this.tree();
    if (due && !live && tree && this.inst.state === 'running') {
      const cpu = await this.cpuSince(tree);
      if ('waitMs' in cpu) {
        // No window long enough to judge idle_cpu over yet: the look is taken again at its end.
        if (this.mayCool && this.idleTimer === null)
          this.idleTimer = this.clock.after(cpu.waitMs, () => this.idleCheck());
        return;
      }
      if (cpu.percent !== null) this.act.measure(cpu.percent); // busy: touched
      if (!this.mayCool) return;
    }
    this.act.changed();
    if (this.act.reason(true)) this.touch();
    const d = decideIdle(this.lastUse, this.inst.spec.idle_timeout_ms, this.clock.now());
    if (d.action === 'wait') return this.armIdle();
    this.cool(d.idleMs).catch((err: unknown) => this.log.error('idle stop failed', { err }));
  }

  /**
   * The tree's CPU (percent of a core) over the window since its mark, once that window resolves idle_cpu
   * (policy.ts `idleCpuWindowMs`); the mark then moves to now. Without a mark of this process (it just became
   * hot, or the counter started again) a window starts now. `waitMs`: how long until the window is long
   * enough. A mark older than the last use or busy moment starts a window too. `percent` null: nothing of the
   * tree is alive to measure.
   */
  private async cpuSince(tree: TreeRef): Promise<{ percent: number | null } | { waitMs: number }> {
    const now = this.clock.now();
    const h = this.inst.handle;
    const counted = h && this.cpu.group(h);
    const cpuSeconds =
      typeof counted === 'number'
        ? counted
        : (await this.cpu.sampler.sample([tree])).get(tree.key)?.cpu_seconds;
    if (cpuSeconds === undefined || !h) return { percent: null };
    const process = `${typeof counted === 'number' ? 'cgroup' : 'tree'} ${h.pid}:${h.start_time}`;
    const needMs = idleCpuWindowMs(
      this.inst.spec.idle_cpu_percent ?? DEFAULT_IDLE_CPU_PERCENT,
      MIN_CPU_WINDOW_MS,
    );
    const mark = this.cpuMark;
    const here = { process, cpuSeconds, at: now };
    // A mark from before the last use or busy moment would average the busy stretch (or a lease, a freeze)
    // into the window: the window starts again after it.
    const stale = !mark || mark.at < this.act.lastUse || now < mark.at;
    if (stale || mark.process !== process || cpuSeconds < mark.cpuSeconds) {
      this.cpuMark = here;
      return { waitMs: needMs };
    }
    const elapsed = now - mark.at;
    if (elapsed < needMs) return { waitMs: needMs - elapsed };
    this.cpuMark = here;
    return { percent: ((cpuSeconds - mark.cpuSeconds) * 100_000) / elapsed };
  }

  private async cool(idleMs: number): Promise<void> {
    const tree = this.tree();
    if (tree && this.inst.state === 'running') {
      this.recordHotRss((await this.cpu.sampler.sample([tree])).get(tree.key)?.memory_bytes ?? 0);
    }
    // A use may have come in while sampling: then it is not idle any more.
    const again = decideIdle(this.lastUse, this.inst.spec.idle_timeout_ms, this.clock.now());
    if (this.disposed || this.pending || this.inst.desired !== 'running') return;
    if (again.action === 'wait') return this.armIdle();
    if (this.inst.spec.idle_action === 'freeze' && (await this.freeze(idleMs))) return;
    this.inst.note('IDLE', `IDLE no use for ${formatDuration(idleMs)}; cooling`);
    await this.inst.stop();
  }

  /**
   * `idle_action: freeze`: true when frozen, or left hot because a use came in meanwhile; false when the
   * freezer cannot do it — then the caller stops the instance, warned ONCE per instance (log and event).
   */
  private async freeze(idleMs: number): Promise<boolean> {
    if (this.inst.state !== 'running') return false; // nothing to freeze: the stop settles it
    const cannot = this.inst.unfreezable();
    if (cannot === null) {
      this.inst.note('IDLE', `IDLE no use for ${formatDuration(idleMs)}; freezing`);
      const usedAt = this.lastUse;
      const r = await this.inst.freeze(() => this.lastUse === usedAt && !this.pending);
      if (r.kind === 'frozen') {
        this.log.info('frozen', { idle_ms: idleMs, pid: this.inst.handle?.main_pid });
        this.armIdle();
        return true;
      }
      if (r.kind === 'busy') {
        this.armIdle();
        return true;
      }
      this.noFreeze(r.reason);
      return false;
    }
    this.noFreeze(cannot);
    return false;
  }

  private noFreeze(reason: string): void {
    if (this.warnedNoFreeze) return;
    this.warnedNoFreeze = true;
    this.log.warn('idle_action freeze: cannot freeze; stopping instead', { reason });
    this.inst.note('FREEZE_UNAVAILABLE', `FREEZE_UNAVAILABLE ${reason}; idle action is a stop instead`);
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
