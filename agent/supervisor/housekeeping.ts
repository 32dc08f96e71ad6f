/**
 * The supervisor's periodic chores, each re-armed on the clock after it ran (a failure is logged, the
 * chore goes on): the liveness poll with observed checks and cgroup sweeps, and log rotation.
 *
 * The poll runs every poll interval only while something needs checking that often: adopted instances
 * (not our children: no exit event), observed processes, a pending cgroup sweep. Otherwise — every handler
 * is a child of this agent and reports its exit as an event — only the full check runs, every
 * FULL_CHECK_TICKS intervals, so an idle agent does not wake every second; a state change (an observed
 * process attached, an instance adopted or gone) brings the short interval back at once. The full check
 * leaves out the instances that did not run since the previous one (their cgroup CPU counters stood still:
 * cpu-accounting.ts): a process that did not run did not exit.
 *
 * Cgroups are swept after a state change that may have left a group empty, and again on each full check
 * only while an earlier sweep left a group behind (busy: its processes were still exiting). An idle agent
 * whose groups all belong to running instances so does not list its scope directories every full check.
 */
import type { TimerHandle } from '../../shared/clock.js';
import { addSweeps, type SweepResult } from '../process/cgroup-tracking.js';
import type { InstanceState } from '../instance/lifecycle.js';
import { rotateIfNeeded } from '../process/log-rotation.js';
import type { ObservedSet } from '../observed/observed.js';
import type { InstanceRegistry } from './instance-registry.js';
import type { CompiledOptions } from './options.js';

/** Every this many poll intervals, own children are checked too (their exit events are the main path). */
export const FULL_CHECK_TICKS = 10;

/** Anything whose empty cgroups are swept (limit groups, tracking groups), `keep` left alone. */
interface Sweepable {
  sweep(keep?: ReadonlySet<string>): SweepResult;
}

export class Housekeeping {
  private readonly timers = new Map<string, TimerHandle>();
  private stopped = false;
  private pollTicks = 0;
  private sweepPending = true;
  /** The last sweep left groups it could not remove: full checks sweep again until none are. */
  private sweepLeft = false;
  private pollMs = 0;
  private pollTimer: TimerHandle | null = null;
  /** When the armed poll fires (epoch ms), and whether it is the long wait for a full check. */
  private pollDue = 0;
  private longWait = false;

  constructor(
    private readonly opts: Pick<CompiledOptions, 'clock' | 'logger'>,
    private readonly registry: InstanceRegistry,
    private readonly observed: ObservedSet,
    private readonly cgroups: readonly Sweepable[],
    /** Which instances did not run since the previous full check (null: any may have). */
    private readonly quiet: () => ((key: string) => boolean) | null = () => null,
  ) {}

  /** Runs `fn` every `ms` until `stop()`. */
  every(ms: number, fn: () => void): void {
    const key = `task${this.timers.size}`;
    const tick = (): void => {
      if (this.stopped) return;
      try {
        fn();
      } catch (err) {
        this.opts.logger.error('periodic task failed', { err });
      }
      this.timers.set(key, this.opts.clock.after(ms, tick));
    };
    this.timers.set(key, this.opts.clock.after(ms, tick));
  }

  /** Starts the liveness poll (see the top of this file): every `ms`, or every FULL_CHECK_TICKS × `ms` when idle. */
  startPoll(ms: number): void {
    this.pollMs = ms;
    this.armPoll(ms);
  }

  private armPoll(delay: number): void {
    this.pollTimer?.cancel();
    this.pollDue = this.opts.clock.now() + delay;
    this.pollTimer = this.opts.clock.after(delay, () => {
      if (this.stopped) return;
      let next = this.pollMs;
      try {
        next = this.poll();
      } catch (err) {
        this.opts.logger.error('periodic task failed', { err });
      }
      this.armPoll(next);
    });
  }

  /**
   * Hooked to state changes: once an instance (or observed process) is not active, sweep cgroups; and a
   * poll in its long wait comes back to the short interval (what changed may need it).
   */
  noteState(to: InstanceState): void {
    if (to !== 'running' && to !== 'starting') this.sweepPending = true;
    if (this.pollTimer && !this.stopped && this.pollDue - this.opts.clock.now() > this.pollMs) {
      this.armPoll(this.pollMs);
    }
  }

  /**
   * Adopted processes are polled every tick; own children report exits as events, checked every
   * FULL_CHECK_TICKS-th tick. Returns the delay until the next poll.
   */
  poll(): number {
    const all = this.longWait || ++this.pollTicks % FULL_CHECK_TICKS === 0;
    if (all) this.pollTicks = 0;
    // (A daemon past its first process is not `owned`: its cgroup is read every tick.)
    const still = all ? this.quiet() : null;
    for (const inst of this.registry.values())
      if (!inst.owned || (all && !still?.(inst.name))) inst.checkGone();
    this.observed.check();
    // Instance cgroups go once their processes are gone (a busy group is retried on later ticks). The
    // groups of instances that have a process are not even tried: an idle agent with 100 handlers would
    // otherwise fail 100 rmdirs (EBUSY) on every full check.
    if (this.sweepPending || (all && this.sweepLeft)) {
      this.sweepPending = false;
      const inUse = new Set<string>();
      for (const inst of this.registry.values()) if (inst.handle !== null) inUse.add(inst.name);
      this.sweepLeft = addSweeps(this.cgroups.map((c) => c.sweep(inUse))).left > 0;
    }
    const eachTick =
      this.sweepPending ||
      this.observed.observedPids().length > 0 ||
      [...this.registry.values()].some((i) => !i.owned && i.handle !== null);
    this.longWait = !eachTick;
    return eachTick ? this.pollMs : this.pollMs * (FULL_CHECK_TICKS - this.pollTicks);
  }

  /** Copy-truncate rotation of every instance's logs past its `log.max_bytes` (but those `skip` names). */
  rotateLogs(skip?: (key: string) => boolean): void {
    for (const inst of this.registry.values()) {
      const h = inst.handle;
      if (!h || skip?.(inst.name)) continue;
      for (const f of [h.stdout_log, h.stderr_log]) {
        try {
          if (rotateIfNeeded(f, inst.spec.log.max_bytes, inst.spec.log.keep)) {
            this.opts.logger.info('log rotated', { instance: inst.name, file: f });
          }
        } catch (err) {
          // A log that is a symlink or not our own file is left alone (one refusal does not stop the rest).
          this.opts.logger.warn('log not rotated', { instance: inst.name, file: f, err });
        }
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.pollTimer?.cancel();
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }
}
