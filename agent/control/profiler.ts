/**
 * The profiler of the control loop (DESIGN §9): smoothing and a short-horizon forecast of one signal, as
 * small classes over a sample stream. Time is passed in with every sample (epoch ms; steps may be
 * irregular); no timers, no clock.
 *
 * - `Ema`: exponential moving average with a half-life. Over a step of `dt` ms the old average keeps the
 *   weight `2^(-dt/halfLife)`, so a sample's weight halves every half-life whatever the sampling rate.
 * - `TrendKalman`: a one-dimensional Kalman filter over a local linear trend model (state: level and slope
 *   per second), giving the value forecast `aheadMs` ahead (`level + slope·ahead`).
 * - `SignalProfiler`: what a rule needs of its signal: raw, smoothed (EMA or raw) and forecast.
 */

/** One reading of a signal at `t` (epoch ms). */
export interface Sample {
  t: number;
  value: number;
}

/** The weight a new sample gets after `dtMs` with half-life `halfLifeMs`: `1 − 2^(−dt/halfLife)`. */
export function emaAlpha(dtMs: number, halfLifeMs: number): number {
  if (!(halfLifeMs > 0)) return 1;
  if (!(dtMs > 0)) return 0;
  return 1 - Math.pow(2, -dtMs / halfLifeMs);
}

/** Exponential moving average with a half-life over irregular time steps. */
export class Ema {
  /** Time and average after the last sample (numbers, not an object per sample: this runs for every rule
   * at every sample), once `has`. */
  private has = false;
  private lastT = 0;
  private lastValue = 0;

  constructor(readonly halfLifeMs: number) {}

  /** Feeds a sample; returns the average. The first sample is the average; a sample not later than the
   * previous one (same or older `t`) leaves the average unchanged. */
  update(sample: Sample): number {
    if (!this.has) {
      this.has = true;
      this.lastT = sample.t;
      this.lastValue = sample.value;
      return sample.value;
    }
    if (!(sample.t > this.lastT)) return this.lastValue;
    const a = emaAlpha(sample.t - this.lastT, this.halfLifeMs);
    this.lastT = sample.t;
    this.lastValue += a * (sample.value - this.lastValue);
    return this.lastValue;
  }

  /** The average so far; undefined before the first sample. */
  get value(): number | undefined {
    return this.has ? this.lastValue : undefined;
  }
}

export interface KalmanOptions {
  /**
   * Process noise intensity (white noise on the slope, per second³), relative to `measurementNoise`: how
   * fast the trend may change. Only the ratio of the two matters; the filter is linear in the signal, so
   * the same settings suit bytes and CPU shares alike.
   */
  processNoise: number;
  /** Variance of a reading's noise. */
  measurementNoise: number;
  /** Variance of the slope (per second²) before the second sample: large = learn it from the first step. */
  initialSlopeVariance: number;
}

/**
 * The process noise for a forecast `horizonMs` ahead: r / horizon³ (seconds), so the slope is learned over
 * about the horizon. A shorter memory makes a long forecast amplify noise (a flat signal at 0.85 ± 0.03
 * sampled every second then forecasts above 1.0 within minutes); a longer one reacts late to a new trend.
 * With 60 s, sampled every 1–5 s: a flat 0.85 ± 0.03 stays under 0.9, and a ramp of 0.005/s from 0.5
 * (0.9 at 80 s) forecasts 0.9 at 44–55 s.
 */
export function processNoiseFor(horizonMs: number, measurementNoise = 1): number {
  const s = Math.max(horizonMs, 1000) / 1000;
  return measurementNoise / (s * s * s);
}

/** Defaults: the process noise of a 60 s horizon; the slope learned from the first step. */
export const DEFAULT_KALMAN: KalmanOptions = {
  processNoise: processNoiseFor(60_000),
  measurementNoise: 1,
  initialSlopeVariance: 1e6,
};

/** Level and slope (per second) after the last sample, and their covariance. */
export interface TrendState {
  t: number;
  level: number;
  slope: number;
  p00: number;
  p01: number;
  p11: number;
}

/**
 * One-dimensional Kalman filter, local linear trend model. Per step of `dt` seconds:
 *   predict  level' = level + slope·dt, slope' = slope;  P' = F·P·Fᵀ + q·[[dt³/3, dt²/2], [dt²/2, dt]]
 *   update   S = P'00 + r;  K = [P'00/S, P'01/S];  innovation y = z − level'
 *            level = level' + K0·y;  slope = slope' + K1·y;  P = (I − K·H)·P'
 * The first sample sets the level (variance r) with slope 0 (variance `initialSlopeVariance`).
 */
export class TrendKalman {
  private s: TrendState | undefined;
  private readonly o: KalmanOptions;

  constructor(options: Partial<KalmanOptions> = {}) {
    this.o = { ...DEFAULT_KALMAN, ...options };
  }

  /** Feeds a sample; a sample not later than the previous one is ignored. Returns the state after it. */
  update(sample: Sample): TrendState {
    this.step(sample);
    return { ...this.s! };
  }

  /** `update` without the copy of the state (the profiler's path: one per forecast rule per sample). The
   * state is updated in place. */
  step(sample: Sample): void {
    const { processNoise: q, measurementNoise: r } = this.o;
    const s = this.s;
    if (!s) {
      this.s = {
        t: sample.t,
        level: sample.value,
        slope: 0,
        p00: r,
        p01: 0,
        p11: this.o.initialSlopeVariance,
      };
      return;
    }
    if (!(sample.t > s.t)) return;
    const dt = (sample.t - s.t) / 1000;
    // Predict.
    const level = s.level + s.slope * dt;
    const slope = s.slope;
    const pp00 = s.p00 + 2 * dt * s.p01 + dt * dt * s.p11 + (q * dt * dt * dt) / 3;
    const pp01 = s.p01 + dt * s.p11 + (q * dt * dt) / 2;
    const pp11 = s.p11 + q * dt;
    // Update.
    const S = pp00 + r;
    const k0 = pp00 / S;
    const k1 = pp01 / S;
    const y = sample.value - level;
    s.t = sample.t;
    s.level = level + k0 * y;
    s.slope = slope + k1 * y;
    s.p00 = (1 - k0) * pp00;
    s.p01 = (1 - k0) * pp01;
    s.p11 = pp11 - k1 * pp01;
  }

  /** The value forecast `aheadMs` after the last sample; undefined before the first sample. */
  forecast(aheadMs: number): number | undefined {
    const s = this.s;
    return s ? s.level + (s.slope * aheadMs) / 1000 : undefined;
  }

  get state(): TrendState | undefined {
    return this.s ? { ...this.s } : undefined;
  }
}

/** What a rule sees of its signal after a sample. */
export interface Profile {
  t: number;
  raw: number;
  /** EMA when a half-life is set, else the raw value. */
  value: number;
  /** The Kalman forecast `forecastMs` ahead; absent when no forecast is asked. */
  forecast?: number;
}

export interface ProfilerOptions {
  /** EMA half-life; 0 or absent: no smoothing. */
  halfLifeMs?: number;
  /** Forecast horizon; 0 or absent: no forecast. */
  forecastMs?: number;
  /** Default: DEFAULT_KALMAN with the process noise of the horizon (processNoiseFor). */
  kalman?: Partial<KalmanOptions>;
}

/**
 * A forecast is given only once the signal was followed this share of its horizon (and over 3 samples at
 * least): a slope learned from two samples is noise, and a 60 s forecast from it (cpu 0.1 → 0.2 in 1 s:
 * 6.2) would fire a rule at a process's second sample. Until then the rule reads the (smoothed) value.
 */
export const FORECAST_WARMUP_SHARE = 0.25;
const FORECAST_MIN_SAMPLES = 3;

/** Smoothing and forecast of one signal for one rule. */
export class SignalProfiler {
  private readonly ema: Ema | undefined;
  private readonly kalman: TrendKalman | undefined;
  private last: Profile | undefined;
  private first: number | undefined;
  private samples = 0;

  constructor(private readonly options: ProfilerOptions = {}) {
    this.ema = options.halfLifeMs ? new Ema(options.halfLifeMs) : undefined;
    this.kalman = options.forecastMs
      ? new TrendKalman({ processNoise: processNoiseFor(options.forecastMs), ...options.kalman })
      : undefined;
  }

  /**
   * Feeds a sample; returns the profile after it. The profile is one object updated in place at every
   * sample (this runs for every rule at every sample): read it before the next one. A sample not later than
   * the last leaves it as it is.
   */
  update(sample: Sample): Profile {
    const p = this.last;
    if (p && !(sample.t > p.t)) return p;
    const value = this.ema ? this.ema.update(sample) : sample.value;
    const next = p ?? (this.last = { t: sample.t, raw: sample.value, value });
    next.t = sample.t;
    next.raw = sample.value;
    next.value = value;
    if (this.kalman) {
      this.kalman.step(sample);
      this.first ??= sample.t;
      this.samples++;
      const horizon = this.options.forecastMs ?? 0;
      // Once given, always given (more samples over a longer time).
      if (this.samples >= FORECAST_MIN_SAMPLES && sample.t - this.first >= horizon * FORECAST_WARMUP_SHARE)
        next.forecast = this.kalman.forecast(horizon);
    }
    return next;
  }

  /** The profile after the last sample; undefined before the first. */
  get profile(): Profile | undefined {
    return this.last;
  }
}
