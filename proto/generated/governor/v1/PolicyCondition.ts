// Original file: proto/governor/v1/spec.proto


export interface PolicyCondition {
  /**
   * A sensor name (shared/policy-rules.ts INSTANCE_METRICS; HOST_METRICS only in the agent's config).
   */
  'metric'?: (string);
  /**
   * Exactly one of above / below.
   */
  'above'?: (number | string);
  'below'?: (number | string);
  /**
   * Must hold continuously for this long (ms); 0: at the first sample.
   */
  'for_ms'?: (number);
  /**
   * Hysteresis: once fired, the rule re-arms only after the value crosses back past this (above: clear_below,
   * below: clear_above); unset: the threshold itself.
   */
  'clear_below'?: (number | string);
  'clear_above'?: (number | string);
  /**
   * smooth: ema(HALF_LIFE); 0: the raw value.
   */
  'smooth_half_life_ms'?: (number);
  /**
   * Fire on the value forecast this far ahead (Kalman filter over the raw samples); 0: on the (smoothed) value.
   */
  'forecast_ms'?: (number);
  '_above'?: "above";
  '_below'?: "below";
  '_clear_below'?: "clear_below";
  '_clear_above'?: "clear_above";
}

export interface PolicyCondition__Output {
  /**
   * A sensor name (shared/policy-rules.ts INSTANCE_METRICS; HOST_METRICS only in the agent's config).
   */
  'metric': (string);
  /**
   * Exactly one of above / below.
   */
  'above'?: (number);
  'below'?: (number);
  /**
   * Must hold continuously for this long (ms); 0: at the first sample.
   */
  'for_ms': (number);
  /**
   * Hysteresis: once fired, the rule re-arms only after the value crosses back past this (above: clear_below,
   * below: clear_above); unset: the threshold itself.
   */
  'clear_below'?: (number);
  'clear_above'?: (number);
  /**
   * smooth: ema(HALF_LIFE); 0: the raw value.
   */
  'smooth_half_life_ms': (number);
  /**
   * Fire on the value forecast this far ahead (Kalman filter over the raw samples); 0: on the (smoothed) value.
   */
  'forecast_ms': (number);
  '_above'?: "above";
  '_below'?: "below";
  '_clear_below'?: "clear_below";
  '_clear_above'?: "clear_above";
}
