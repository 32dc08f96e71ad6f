/**
 * The supervisor's periodic chores, each re-armed on the clock after it ran (a failure is logged, the
 * chore goes on): the liveness poll with observed checks and cgroup sweeps, and log rotation.
 */
import type { TimerHandle } from '../../shared/clock.js';
import type { InstanceState } from '../instance/lifecycle.js';
import { rotateIfNeeded } from '../process/log-rotation.js';
import type { ObservedSet } from '../observed/observed.js';
import type { InstanceRegistry } from './instance-registry.js';
import type { CompiledOptions } from './options.js';

/** Anything whose empty cgroups are swept (limit groups, tracking groups). */
interface Sweepable {
  sweep(): number;
}

export class Housekeeping {
  private readonly timers = new Map<string, TimerHandle>();
  private stopped = false;
  private pollTicks = 0;
  private sweepPending = true;

  constructor(
    private readonly opts: Pick<CompiledOptions, 'clock' | 'logger'>,
    private readonly registry: InstanceRegistry,
    private readonly observed: ObservedSet,
    private readonly cgroups: readonly Sweepable[],
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

  /** Hooked to state changes: once an instance (or observed process) is not active, sweep cgroups. */
  noteState(to: InstanceState): void {
    if (to !== 'running' && to !== 'starting') this.sweepPending = true;
  }

  /** Adopted processes are polled every tick; own children report exits as events, checked every 10th tick. */
  poll(): void {
    const all = ++this.pollTicks % 10 === 0;
    // (A daemon past its first process is not `owned`: its cgroup is read every tick.)
    for (const inst of this.registry.values()) if (all || !inst.owned) inst.checkGone();
    this.observed.check();
    // Instance cgroups go once their processes are gone (a busy group is retried on later ticks).
    if (this.sweepPending || all) {
      this.sweepPending = false;
      for (const c of this.cgroups) c.sweep();
    }
  }

  /** Copy-truncate rotation of every instance's logs past its `log.max_bytes`. */
  rotateLogs(): void {
    for (const inst of this.registry.values()) {
      const h = inst.handle;
      if (!h) continue;
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
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }
}
