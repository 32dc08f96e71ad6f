/**
 * A Clock (shared/clock.ts) the test moves forward: time runs as usual (so polling loops such as a stop's
 * keep working), and `advance(ms)` jumps it ahead, firing at once every timer that has come due. A timer
 * also fires on its own after its real delay, as the system clock's would; its timers never keep the
 * process alive.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { timerDelay } from '../../shared/durations.js';

interface Pending {
  due: number;
  fn: () => void;
  timer: NodeJS.Timeout;
}

export class FakeClock implements Clock {
  private offsetMs = 0;
  private readonly pending = new Set<Pending>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const p: Pending = {
      due: this.now() + ms,
      fn,
      timer: setTimeout(() => this.fire(p), timerDelay(ms)),
    };
    p.timer.unref();
    this.pending.add(p);
    return { cancel: () => this.drop(p) };
  }

  /** Moves time ahead by `ms` and runs every timer now due, earliest first. */
  advance(ms: number): void {
    this.offsetMs += ms;
    const due = [...this.pending].filter((p) => p.due <= this.now()).sort((a, b) => a.due - b.due);
    for (const p of due) this.fire(p);
  }

  private fire(p: Pending): void {
    if (this.drop(p)) p.fn();
  }

  private drop(p: Pending): boolean {
    clearTimeout(p.timer);
    return this.pending.delete(p);
  }
}
