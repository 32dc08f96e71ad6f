// Original file: proto/governor/v1/admin.proto


/**
 * One handler covered by a rollout, with its spec versions.
 */
export interface RolloutHandler {
  'name'?: (string);
  /**
   * update: from → to; restart: both the current one.
   */
  'from_version'?: (number);
  'to_version'?: (number);
  /**
   * rollback: the version re-registered as current (a copy of from_version); 0 otherwise.
   */
  'rollback_version'?: (number);
}

/**
 * One handler covered by a rollout, with its spec versions.
 */
export interface RolloutHandler__Output {
  'name': (string);
  /**
   * update: from → to; restart: both the current one.
   */
  'from_version': (number);
  'to_version': (number);
  /**
   * rollback: the version re-registered as current (a copy of from_version); 0 otherwise.
   */
  'rollback_version': (number);
}
