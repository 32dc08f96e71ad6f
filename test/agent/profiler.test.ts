/**
 * The profiler against hand-computed values: EMA with a half-life over irregular steps, and the
 * local-trend Kalman filter's level, slope, covariance and forecast (the arithmetic is in the comments).
 */
import assert from 'node:assert/strict';
import { Ema, emaAlpha, processNoiseFor, SignalProfiler, TrendKalman } from '../../agent/control/profiler.js';

const close = (actual: number | undefined, expected: number, what = 'value') =>
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} ≠ ${expected}`,
  );

describe('profiler: EMA with a half-life', () => {
  it('weights a new sample 1 − 2^(−dt/halfLife), whatever the step', () => {
    close(emaAlpha(10_000, 10_000), 0.5); // one half-life: the old average keeps half
    close(emaAlpha(20_000, 10_000), 0.75); // two: a quarter
    close(emaAlpha(0, 10_000), 0);
    close(emaAlpha(5_000, 0), 1); // no half-life: the raw value

    const ema = new Ema(10_000);
    assert.equal(ema.value, undefined);
    close(ema.update({ t: 0, value: 0 }), 0); // the first sample is the average
    close(ema.update({ t: 10_000, value: 100 }), 50); // 0 + 0.5·(100 − 0)
    close(ema.update({ t: 30_000, value: 100 }), 87.5); // 50 + 0.75·(100 − 50)
    // dt 5 s: α = 1 − 2^(−0.5) = 0.292893…; 87.5 + α·(0 − 87.5) = 87.5·2^(−0.5) = 61.871843…
    close(ema.update({ t: 35_000, value: 0 }), 87.5 * Math.SQRT1_2);
    // A sample not later than the last leaves it unchanged.
    close(ema.update({ t: 35_000, value: 1e9 }), 87.5 * Math.SQRT1_2);
  });

  it('two steps of 5 s equal one of 10 s (irregular sampling does not change the weights)', () => {
    const a = new Ema(10_000);
    a.update({ t: 0, value: 0 });
    a.update({ t: 5_000, value: 100 });
    a.update({ t: 10_000, value: 100 });
    const b = new Ema(10_000);
    b.update({ t: 0, value: 0 });
    b.update({ t: 10_000, value: 100 });
    // (1 − 2^(−0.5))² weight left on the start = 0.5, as one step of a half-life.
    close(a.value, 50);
    close(b.value, 50);
  });
});

describe('profiler: Kalman filter, local linear trend', () => {
  it('level, slope and covariance by hand (q = 0, r = 1, slope variance 1, steps of 1 s)', () => {
    const k = new TrendKalman({ processNoise: 0, measurementNoise: 1, initialSlopeVariance: 1 });
    // First sample: level = z = 0, slope 0, P = [[r, 0], [0, 1]] = I.
    assert.deepEqual(k.update({ t: 0, value: 0 }), { t: 0, level: 0, slope: 0, p00: 1, p01: 0, p11: 1 });
    // z = 2 at 1 s. Predict: level' = 0 + 0·1 = 0; P'00 = 1 + 2·1·0 + 1²·1 = 2, P'01 = 0 + 1·1 = 1, P'11 = 1.
    // S = 2 + 1 = 3; K = [2/3, 1/3]; y = 2 − 0 = 2 → level = 4/3, slope = 2/3.
    // P00 = (1 − 2/3)·2 = 2/3; P01 = (1 − 2/3)·1 = 1/3; P11 = 1 − (1/3)·1 = 2/3.
    let s = k.update({ t: 1000, value: 2 });
    close(s.level, 4 / 3, 'level');
    close(s.slope, 2 / 3, 'slope');
    close(s.p00, 2 / 3, 'p00');
    close(s.p01, 1 / 3, 'p01');
    close(s.p11, 2 / 3, 'p11');
    // Forecast 3 s ahead: 4/3 + 3·2/3 = 10/3.
    close(k.forecast(3000), 10 / 3, 'forecast');
    // z = 4 at 2 s. Predict: level' = 4/3 + 2/3 = 2; P'00 = 2/3 + 2·1/3 + 2/3 = 2, P'01 = 1/3 + 2/3 = 1,
    // P'11 = 2/3. S = 3; K = [2/3, 1/3]; y = 4 − 2 = 2 → level = 2 + 4/3 = 10/3, slope = 2/3 + 2/3 = 4/3.
    // P00 = 1/3·2 = 2/3; P01 = 1/3·1 = 1/3; P11 = 2/3 − 1/3·1 = 1/3.
    s = k.update({ t: 2000, value: 4 });
    close(s.level, 10 / 3, 'level');
    close(s.slope, 4 / 3, 'slope');
    close(s.p00, 2 / 3, 'p00');
    close(s.p01, 1 / 3, 'p01');
    close(s.p11, 1 / 3, 'p11');
    // Forecast 60 s ahead: 10/3 + 60·4/3 = 83.333…
    close(k.forecast(60_000), 10 / 3 + 80, 'forecast');
  });

  it('process noise enters as q·[[dt³/3, dt²/2], [dt²/2, dt]] (q = 3, one step of 1 s)', () => {
    const k = new TrendKalman({ processNoise: 3, measurementNoise: 1, initialSlopeVariance: 1 });
    k.update({ t: 0, value: 0 });
    // P'00 = 1 + 1 + 3/3 = 3; P'01 = 0 + 1 + 3/2 = 2.5; P'11 = 1 + 3 = 4.
    // S = 4; K = [0.75, 0.625]; y = 2 → level = 1.5, slope = 1.25.
    // P00 = 0.25·3 = 0.75; P01 = 0.25·2.5 = 0.625; P11 = 4 − 0.625·2.5 = 2.4375.
    const s = k.update({ t: 1000, value: 2 });
    close(s.level, 1.5, 'level');
    close(s.slope, 1.25, 'slope');
    close(s.p00, 0.75, 'p00');
    close(s.p01, 0.625, 'p01');
    close(s.p11, 2.4375, 'p11');
  });

  it('an irregular step of 2 s predicts over the whole step (q = 0)', () => {
    const k = new TrendKalman({ processNoise: 0, measurementNoise: 1, initialSlopeVariance: 1 });
    k.update({ t: 0, value: 0 });
    // dt = 2: P'00 = 1 + 0 + 4·1 = 5; P'01 = 0 + 2·1 = 2; P'11 = 1. S = 6; K = [5/6, 1/3]; y = 4.
    // level = 20/6 = 10/3; slope = 4/3; P00 = 5/6; P01 = 2/6 = 1/3; P11 = 1 − 2/3 = 1/3.
    const s = k.update({ t: 2000, value: 4 });
    close(s.level, 10 / 3, 'level');
    close(s.slope, 4 / 3, 'slope');
    close(s.p00, 5 / 6, 'p00');
    close(s.p01, 1 / 3, 'p01');
    close(s.p11, 1 / 3, 'p11');
    // An older sample is ignored.
    close(k.update({ t: 1000, value: 1e9 }).level, 10 / 3, 'level after an old sample');
  });

  it('with the defaults, follows a ramp exactly and is linear in the signal (bytes as CPU shares)', () => {
    const small = new TrendKalman();
    const big = new TrendKalman();
    for (let i = 0; i <= 30; i++) {
      const t = i * 5000;
      small.update({ t, value: 0.2 + 0.001 * (t / 1000) });
      big.update({ t, value: 1e9 * (0.2 + 0.001 * (t / 1000)) });
    }
    // At 150 s the ramp is at 0.35; 60 s later it will be 0.41.
    assert.ok(Math.abs(small.forecast(60_000)! - 0.41) < 1e-6, `forecast ${small.forecast(60_000)}`);
    close(big.forecast(60_000), 1e9 * small.forecast(60_000)!, 'scaled forecast');
  });
});

describe('profiler: a signal for one rule', () => {
  it('gives the raw value, the EMA (or raw) and the forecast when asked', () => {
    const p = new SignalProfiler({ halfLifeMs: 10_000 });
    p.update({ t: 0, value: 0 });
    assert.deepEqual(p.update({ t: 10_000, value: 100 }), { t: 10_000, raw: 100, value: 50 });
    const raw = new SignalProfiler({
      forecastMs: 3000,
      kalman: { processNoise: 0, initialSlopeVariance: 1 },
    });
    raw.update({ t: 0, value: 0 });
    const out = raw.update({ t: 1000, value: 2 });
    // Not smoothed: value = raw. No forecast yet: two samples teach a slope that is noise (the warm-up).
    assert.equal(out.value, 2);
    assert.equal(out.forecast, undefined, 'a forecast from two samples');
    // From the third sample on (and a quarter of the horizon followed), the filter's own forecast.
    const third = raw.update({ t: 2000, value: 4 });
    const k = new TrendKalman({ processNoise: 0, initialSlopeVariance: 1 });
    for (const [t, value] of [
      [0, 0],
      [1000, 2],
      [2000, 4],
    ] as const)
      k.update({ t, value });
    close(third.forecast, k.forecast(3000)!, 'forecast');
  });

  it('gives no forecast before the signal was followed a quarter of the horizon, however many samples', () => {
    const p = new SignalProfiler({ forecastMs: 60_000 });
    // cpu 0.1 → 0.2 → 0.3 in 2 s would forecast far above 1 at 60 s: not given before 15 s were followed.
    for (let t = 0; t < 15_000; t += 1000)
      assert.equal(p.update({ t, value: 0.1 + t / 10_000 }).forecast, undefined);
    assert.notEqual(p.update({ t: 15_000, value: 1.6 }).forecast, undefined);
  });

  it('learns the slope over about the forecast horizon: noise does not forecast a breach, a trend does', () => {
    close(processNoiseFor(60_000), 1 / 216_000); // r / 60³
    // Deterministic noise: a linear congruential sequence mapped to ±0.03 around 0.85, every second.
    let seed = 12345;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 0.06 - 0.03;
    const flat = new SignalProfiler({ forecastMs: 60_000 });
    let worst = 0;
    for (let i = 0; i < 3000; i++) {
      const out = flat.update({ t: i * 1000, value: 0.85 + noise() });
      if (i >= 60) worst = Math.max(worst, out.forecast!);
    }
    assert.ok(worst < 0.9, `a flat noisy signal forecast ${worst}`);
    // A ramp of 0.005/s from 0.5 reaches 0.9 at 80 s; its 60 s forecast gets there well before.
    const ramp = new SignalProfiler({ forecastMs: 60_000 });
    for (let i = 0; i < 60; i++) ramp.update({ t: i * 1000, value: 0.5 });
    let at = -1;
    for (let s = 0; s <= 80 && at < 0; s++) {
      if (ramp.update({ t: (60 + s) * 1000, value: 0.5 + 0.005 * s }).forecast! > 0.9) at = s;
    }
    assert.ok(at >= 0 && at < 60, `the forecast crossed at ${at} s`);
  });
});
