// Original file: proto/governor/v1/admin.proto


/**
 * Overrides of the handler spec's `update` block; empty fields keep the spec's value.
 */
export interface StartRolloutRequest {
  'handler'?: (string);
  /**
   * N or N%.
   */
  'batch_size'?: (string);
  /**
   * Durations like "5s".
   */
  'min_healthy_time'?: (string);
  'healthy_deadline'?: (string);
  'progress_deadline'?: (string);
  /**
   * pause | abort | rollback.
   */
  'on_failure'?: (string);
  'wait_between'?: (string);
}

/**
 * Overrides of the handler spec's `update` block; empty fields keep the spec's value.
 */
export interface StartRolloutRequest__Output {
  'handler': (string);
  /**
   * N or N%.
   */
  'batch_size': (string);
  /**
   * Durations like "5s".
   */
  'min_healthy_time': (string);
  'healthy_deadline': (string);
  'progress_deadline': (string);
  /**
   * pause | abort | rollback.
   */
  'on_failure': (string);
  'wait_between': (string);
}
