// Original file: proto/governor/v1/spec.proto


/**
 * Size-capped log files.
 */
export interface LogRotation {
  /**
   * Size past which a log is rotated, bytes.
   */
  'max_bytes'?: (number | string);
  /**
   * Rotated files kept.
   */
  'keep'?: (number);
}

/**
 * Size-capped log files.
 */
export interface LogRotation__Output {
  /**
   * Size past which a log is rotated, bytes.
   */
  'max_bytes': (number);
  /**
   * Rotated files kept.
   */
  'keep': (number);
}
