/**
 * Runs one instance's health check while it is starting/running: one probe at a time, the next one
 * scheduled when the last ended (fast during readiness, then every `interval`), verdicts from the pure
 * `judgeHealth`. Timers come from the clock (unref'd); `stop()` ignores a probe still in flight.
 */
import { timerDelay } from '../../shared/durations.js';
import { errorMessage } from '../../shared/errors.js';
import type { HealthSpec } from '../../shared/spec.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import {
  INITIAL_HEALTH,
  expireReadiness,
  judgeHealth,
  probeDelayMs,
  type HealthCounts,
  type ProbeResult,
} from './checks.js';
import type { Probe, ProbeContext } from './probe.js';

export interface HealthMonitorDeps {
  clock: Clock;
  probe: Probe;
  /**
   * Called after every verdict change, and once when the readiness deadline passes (`deadline` true;
   * then `next.status` is `unhealthy` unless it was already healthy).
   */
  onChange(next: HealthCounts, prev: HealthCounts, deadline: boolean): void;
}

export class HealthMonitor {
  private counts: HealthCounts = INITIAL_HEALTH;
  private probeTimer: TimerHandle | null = null;
  private deadlineTimer: TimerHandle | null = null;
  private readiness = true;
  /** When the readiness phase began (the probing cadence slows down after a while: checks.ts). */
  private readySince = 0;
  private stopped = false;
  /** Bumped by pause and stop: a probe begun before either is ignored. */
  private run = 0;

  constructor(
    private readonly spec: HealthSpec,
    private readonly ctx: ProbeContext,
    private readonly deps: HealthMonitorDeps,
  ) {}

  get state(): HealthCounts {
    return this.counts;
  }

  /**
   * Starts probing now. `readyWithinMs`: the readiness deadline from now (0 for an instance already
   * running, e.g. adopted: no grace, steady cadence).
   */
  start(readyWithinMs: number): void {
    this.readiness = readyWithinMs > 0;
    this.readySince = this.deps.clock.now();
    if (this.readiness) {
      this.deadlineTimer = this.deps.clock.after(timerDelay(readyWithinMs), () => this.expire());
    }
    this.schedule(0);
  }

  /**
   * Pauses probing (the process is frozen: it answers nothing, and must not be judged for it); a probe in
   * flight is ignored. The verdict so far is kept for `resume`.
   */
  pause(): void {
    this.run++;
    this.probeTimer?.cancel();
    this.deadlineTimer?.cancel();
    this.probeTimer = this.deadlineTimer = null;
  }

  /**
   * Resumes a paused check (the same process, thawed) as if the pause had not happened: the verdict kept, no
   * readiness phase, the next probe one `interval` from now — not at once, where it would compete with the
   * wake-up's own first request for the just-thawed handler.
   */
  resume(): void {
    this.readiness = false;
    this.schedule(probeDelayMs(this.spec, false));
  }

  stop(): void {
    this.stopped = true;
    this.run++;
    this.probeTimer?.cancel();
    this.deadlineTimer?.cancel();
    this.probeTimer = this.deadlineTimer = null;
  }

  private expire(): void {
    if (this.stopped || !this.readiness) return;
    this.readiness = false;
    this.update(expireReadiness(this.counts), true);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.probeTimer = this.deps.clock.after(timerDelay(ms), () => void this.probeOnce());
  }

  private async probeOnce(): Promise<void> {
    if (this.stopped) return;
    const run = this.run;
    const t0 = this.deps.clock.now();
    let r: ProbeResult;
    try {
      r = await this.deps.probe(this.spec, this.ctx);
    } catch (err) {
      r = { ok: false, reason: errorMessage(err) };
    }
    if (this.stopped || run !== this.run) return;
    this.update(judgeHealth(this.counts, r, this.spec, this.readiness));
    const next = probeDelayMs(this.spec, this.readiness, t0 - this.readySince);
    this.schedule(Math.max(0, next - (this.deps.clock.now() - t0)));
  }

  private update(next: HealthCounts, deadline = false): void {
    const prev = this.counts;
    this.counts = next;
    if (next.status === 'healthy' && this.readiness) {
      this.readiness = false;
      this.deadlineTimer?.cancel();
      this.deadlineTimer = null;
    }
    if (deadline || next.status !== prev.status) this.deps.onChange(next, prev, deadline);
  }
}
