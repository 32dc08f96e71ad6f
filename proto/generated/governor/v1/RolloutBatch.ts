// Original file: proto/governor/v1/admin.proto


/**
 * One batch of a rollout.
 */
export interface RolloutBatch {
  'index'?: (number);
  /**
   * pending | in_progress | done | failed.
   */
  'state'?: (string);
  'started_at'?: (string);
  'done_at'?: (string);
  /**
   * Instances in the batch as `agent/instance`.
   */
  'instances'?: (string)[];
}

/**
 * One batch of a rollout.
 */
export interface RolloutBatch__Output {
  'index': (number);
  /**
   * pending | in_progress | done | failed.
   */
  'state': (string);
  'started_at': (string);
  'done_at': (string);
  /**
   * Instances in the batch as `agent/instance`.
   */
  'instances': (string)[];
}
