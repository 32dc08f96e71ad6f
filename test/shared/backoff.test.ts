/** One backoff formula: exponential from initial by factor, capped at max, jitter from an injected source. */
import assert from 'node:assert/strict';
import { backoffDelay } from '../../shared/backoff.js';
import { MAX_TIMER_MS } from '../../shared/durations.js';

describe('backoff: exponential with cap and jitter', () => {
  const b = { initial_ms: 200, max_ms: 10_000, factor: 2, jitter: 0.2 };
  const mid = (): number => 0.5; // no jitter

  it('grows by factor from initial and stops at max', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(b, n, mid));
    assert.deepEqual(delays, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  });

  it('jitter moves a delay by at most ±jitter, and never past max (the dial loop near its cap)', () => {
    const cases: Array<[retry: number, random: number, delay: number]> = [
      [1, 0, 160],
      [1, 0.999999, 240],
      [10, 0.999999, 10_000],
      [10, 0, 8000],
    ];
    for (const [n, r, want] of cases)
      assert.equal(
        backoffDelay(b, n, () => r),
        want,
        `retry ${n}, random ${r}`,
      );
  });

  it('the same random source gives the same delays (the source is injectable)', () => {
    const seq = (): (() => number) => {
      let i = 0;
      return () => [0.1, 0.9, 0.4][i++ % 3]!;
    };
    const a = seq();
    const c = seq();
    const run = (r: () => number): number[] => [1, 2, 3].map((n) => backoffDelay(b, n, r));
    assert.deepEqual(run(a), run(c));
  });

  it('never NaN, negative or beyond a timer, whatever the inputs', () => {
    const huge = { initial_ms: 1000, max_ms: Number.MAX_SAFE_INTEGER, factor: 100, jitter: 1 };
    for (const n of [1, 100, 10_000]) {
      const d = backoffDelay(huge, n, () => 0.999);
      assert.ok(d >= 0 && d <= MAX_TIMER_MS, `${n}: ${d}`);
    }
    assert.equal(backoffDelay({ initial_ms: 0, max_ms: 1000, factor: 2, jitter: 0.5 }, 5000, mid), 0);
  });
});
