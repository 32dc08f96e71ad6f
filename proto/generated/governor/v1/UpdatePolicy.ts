// Original file: proto/governor/v1/spec.proto


/**
 * How a rollout moves the handler's instances (DESIGN §5).
 */
export interface UpdatePolicy {
  /**
   * `N` or `N%`, as validated (`2`, `34%`).
   */
  'batch_size'?: (string);
  /**
   * Time an instance must stay running and healthy to count as done, ms.
   */
  'min_healthy_time_ms'?: (number);
  /**
   * Per instance, ms.
   */
  'healthy_deadline_ms'?: (number);
  /**
   * Whole rollout, ms.
   */
  'progress_deadline_ms'?: (number);
  /**
   * pause | abort | rollback.
   */
  'on_failure'?: (string);
  /**
   * Wait between batches, ms.
   */
  'wait_between_ms'?: (number);
}

/**
 * How a rollout moves the handler's instances (DESIGN §5).
 */
export interface UpdatePolicy__Output {
  /**
   * `N` or `N%`, as validated (`2`, `34%`).
   */
  'batch_size': (string);
  /**
   * Time an instance must stay running and healthy to count as done, ms.
   */
  'min_healthy_time_ms': (number);
  /**
   * Per instance, ms.
   */
  'healthy_deadline_ms': (number);
  /**
   * Whole rollout, ms.
   */
  'progress_deadline_ms': (number);
  /**
   * pause | abort | rollback.
   */
  'on_failure': (string);
  /**
   * Wait between batches, ms.
   */
  'wait_between_ms': (number);
}
