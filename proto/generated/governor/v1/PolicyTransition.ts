// Original file: proto/governor/v1/common.proto


/**
 * A rule changed state for a subject.
 */
export interface PolicyTransition {
  'rule'?: (string);
  'handler'?: (string);
  'instance'?: (string);
  'from'?: (string);
  'to'?: (string);
  /**
   * ISO-8601.
   */
  'at'?: (string);
  'value'?: (number | string);
  'forecast'?: (number | string);
  'has_forecast'?: (boolean);
  /**
   * e.g. `rss 412 MiB above 400 MiB for 2m`.
   */
  'reason'?: (string);
}

/**
 * A rule changed state for a subject.
 */
export interface PolicyTransition__Output {
  'rule': (string);
  'handler': (string);
  'instance': (string);
  'from': (string);
  'to': (string);
  /**
   * ISO-8601.
   */
  'at': (string);
  'value': (number);
  'forecast': (number);
  'has_forecast': (boolean);
  /**
   * e.g. `rss 412 MiB above 400 MiB for 2m`.
   */
  'reason': (string);
}
