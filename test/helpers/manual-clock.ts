/**
 * A Clock (shared/clock.ts) whose time moves only when the test says: no real time passes, and a timer fires
 * only inside `advance` (due ones in order) — unlike FakeClock (fake-clock.ts), whose timers also fire after
 * their real delay for code that polls.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';

export class ManualClock implements Clock {
  private t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => (timer.live = false) };
  }
  /** Moves time by `ms`, firing every timer that comes due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.t = Math.max(this.t, due.at); // a starved loop runs its timers late
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => x.live);
  }
  /** Moves time by `ms` with no timer firing on the way (a blocked event loop), then runs what is due. */
  starve(ms: number): void {
    this.t += ms;
    this.advance(0);
  }
  pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}
