/** The time seam: a real clock whose timers never keep the process alive; tests may inject a fake. */
import { timerDelay } from './durations.js';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; the timer never keeps the process alive. */
  after(ms: number, fn: () => void): TimerHandle;
  /**
   * Milliseconds from an arbitrary origin that only go forward at the real pace, whatever the wall clock does
   * (a step by NTP or an operator): for durations measured within one process (`elapsedSince`). A clock without
   * it (a test's fake) measures them with `now`.
   */
  monotonic?(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, timerDelay(ms)); // never a delay Node would fire after 1 ms
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * `clock`'s time made to never go back: a wall clock stepped back (NTP, an operator) counts as no time
 * passing, and the time goes on from there at the clock's pace. For code that keeps time between readings
 * (the rule engine's samples must come later than the last, its `for` and cooldowns); it drifts ahead of
 * the wall clock by the steps back. Forward steps pass as they are.
 */
export function steadyTime(clock: Clock): () => number {
  let wall: number | null = null;
  let t = 0;
  return () => {
    const w = clock.now();
    t = wall === null ? w : t + Math.max(0, w - wall);
    wall = w;
    return t;
  };
}

/** A stopwatch started now on `clock`'s monotonic time (its wall time without one): ms elapsed since. */
export function stopwatch(clock: Clock): () => number {
  const read = clock.monotonic ? () => clock.monotonic!() : () => clock.now();
  const t0 = read();
  return () => read() - t0;
}
