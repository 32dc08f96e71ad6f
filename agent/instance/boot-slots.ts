/**
 * Rollout steps paced by boot: at most `capacity` instances of an agent are between the stop of their old
 * process and the readiness of the new one at once. Only instances that say when they are ready take a slot (a
 * health check's first healthy verdict, sd_notify READY=1): for the others nothing tells when a boot is over.
 * A plain restart (`gov restart`) is not paced: the operator asked for every instance at once.
 *
 * Why: a rollout batch of 13 started 13 boots together, and on 2 cores each boot took as long as all of them:
 * every port of the batch was down for over a second. Paced, the CPU does the same work, but each instance
 * stops only when a slot is free and is down for its own boot alone, and the ones still waiting keep serving
 * meanwhile. A slot is held through the old process's stop however long it takes (the instance is down all
 * that time), then at most `maxHoldMs` from the new process's spawn (a slow starter, one waiting on something
 * else than the CPU, does not hold the others back for long); the instance gives it back earlier once its new
 * process is ready, or its stop or start failed or ended.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';

/** The longest a restart holds its slot from its new process's spawn: after this the next restart may begin. */
export const BOOT_HOLD_MS = 1000;

/** A slot taken. */
export interface BootSlot {
  /** The new process was spawned: the hold ends `maxHoldMs` from now, unless given back before. */
  booting(): void;
  /** Gives the slot back; calling it again (or after the hold ended) does nothing. */
  release(): void;
}

export class BootSlots {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];

  /** `capacity` 0: not paced (every restart at once, as without slots). */
  constructor(
    readonly capacity: number,
    private readonly clock: Clock,
    private readonly maxHoldMs = BOOT_HOLD_MS,
  ) {}

  /**
   * Resolves once a slot is free (in the order asked). `onLapse` is called when the hold ends (`maxHoldMs`
   * after `booting`) before the release: the slot is someone else's from then on.
   */
  async acquire(onLapse?: () => void): Promise<BootSlot> {
    if (this.capacity <= 0) return { booting: () => {}, release: () => {} };
    if (this.busy < this.capacity) this.busy++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // handed over: busy stays
    let held = true;
    let timer: TimerHandle | null = null;
    const release = (): void => {
      if (!held) return;
      held = false;
      timer?.cancel();
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    };
    const booting = (): void => {
      if (!held) return;
      timer?.cancel();
      timer = this.clock.after(this.maxHoldMs, () => {
        release();
        onLapse?.();
      });
    };
    return { booting, release };
  }
}
