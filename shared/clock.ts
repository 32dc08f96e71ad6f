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
