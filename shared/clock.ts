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
}

export const systemClock: Clock = {
  now: () => Date.now(),
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
