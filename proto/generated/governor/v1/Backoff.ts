// Original file: proto/governor/v1/spec.proto


/**
 * Exponential backoff between quick restarts.
 */
export interface Backoff {
  /**
   * First delay, ms.
   */
  'initial_ms'?: (number);
  /**
   * Largest delay, ms.
   */
  'max_ms'?: (number);
  /**
   * Growth per attempt (1..100).
   */
  'factor'?: (number | string);
  /**
   * 0..1: fraction of the delay added or removed at random.
   */
  'jitter'?: (number | string);
}

/**
 * Exponential backoff between quick restarts.
 */
export interface Backoff__Output {
  /**
   * First delay, ms.
   */
  'initial_ms': (number);
  /**
   * Largest delay, ms.
   */
  'max_ms': (number);
  /**
   * Growth per attempt (1..100).
   */
  'factor': (number);
  /**
   * 0..1: fraction of the delay added or removed at random.
   */
  'jitter': (number);
}
