// Original file: proto/governor/v1/admin.proto


/**
 * One instance's progress in a rollout.
 */
export interface RolloutInstance {
  'agent'?: (string);
  /**
   * Instance key on the agent (`web`, `web#1`).
   */
  'instance'?: (string);
  /**
   * Batch number (0-based).
   */
  'batch'?: (number);
  /**
   * pending | in_progress | healthy | failed | rolled_back | skipped | aborted (under way when the rollout
   * was aborted: its command was sent, its health gate never finished).
   */
  'state'?: (string);
  'old_pid'?: (number);
  'new_pid'?: (number);
  /**
   * Why it failed, when it did.
   */
  'reason'?: (string);
  /**
   * ISO-8601.
   */
  'started_at'?: (string);
  'done_at'?: (string);
  /**
   * Handler of the instance (a rollout may cover several).
   */
  'handler'?: (string);
}

/**
 * One instance's progress in a rollout.
 */
export interface RolloutInstance__Output {
  'agent': (string);
  /**
   * Instance key on the agent (`web`, `web#1`).
   */
  'instance': (string);
  /**
   * Batch number (0-based).
   */
  'batch': (number);
  /**
   * pending | in_progress | healthy | failed | rolled_back | skipped | aborted (under way when the rollout
   * was aborted: its command was sent, its health gate never finished).
   */
  'state': (string);
  'old_pid': (number);
  'new_pid': (number);
  /**
   * Why it failed, when it did.
   */
  'reason': (string);
  /**
   * ISO-8601.
   */
  'started_at': (string);
  'done_at': (string);
  /**
   * Handler of the instance (a rollout may cover several).
   */
  'handler': (string);
}
