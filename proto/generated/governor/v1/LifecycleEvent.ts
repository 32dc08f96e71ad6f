// Original file: proto/governor/v1/common.proto


/**
 * One lifecycle event of an instance ("EXITED code=1", "BACKOFF 4s", "RESTORE_FAILED pid reused").
 */
export interface LifecycleEvent {
  /**
   * Handler name (or instance key `name#i` for replicas after the first).
   */
  'handler'?: (string);
  /**
   * When it happened, ISO-8601.
   */
  'at'?: (string);
  /**
   * Short upper-case event type (STARTING, RUNNING, EXITED, BACKOFF, FATAL, STOPPED, ADOPTED, ...).
   */
  'type'?: (string);
  /**
   * Human explanation.
   */
  'message'?: (string);
  /**
   * New state after the event, when the event changed the state.
   */
  'state'?: (string);
}

/**
 * One lifecycle event of an instance ("EXITED code=1", "BACKOFF 4s", "RESTORE_FAILED pid reused").
 */
export interface LifecycleEvent__Output {
  /**
   * Handler name (or instance key `name#i` for replicas after the first).
   */
  'handler': (string);
  /**
   * When it happened, ISO-8601.
   */
  'at': (string);
  /**
   * Short upper-case event type (STARTING, RUNNING, EXITED, BACKOFF, FATAL, STOPPED, ADOPTED, ...).
   */
  'type': (string);
  /**
   * Human explanation.
   */
  'message': (string);
  /**
   * New state after the event, when the event changed the state.
   */
  'state': (string);
}
