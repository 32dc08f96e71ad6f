// Original file: proto/governor/v1/admin.proto

import type { RolloutBatch as _governor_v1_RolloutBatch, RolloutBatch__Output as _governor_v1_RolloutBatch__Output } from '../../governor/v1/RolloutBatch.js';
import type { RolloutInstance as _governor_v1_RolloutInstance, RolloutInstance__Output as _governor_v1_RolloutInstance__Output } from '../../governor/v1/RolloutInstance.js';
import type { RolloutHandler as _governor_v1_RolloutHandler, RolloutHandler__Output as _governor_v1_RolloutHandler__Output } from '../../governor/v1/RolloutHandler.js';

/**
 * A rolling restart or rolling update (DESIGN §5).
 */
export interface Rollout {
  'id'?: (string);
  /**
   * The first of `handlers` (the only one for a one-handler rollout).
   */
  'handler'?: (string);
  /**
   * restart | update.
   */
  'kind'?: (string);
  /**
   * pending | running | paused | rolling_back | succeeded | failed | aborted | rolled_back.
   * A rollout that was running when the master stopped comes back `paused` (error says so); resume it.
   */
  'state'?: (string);
  /**
   * Spec versions (update: from → to; restart: both the current one).
   */
  'from_version'?: (number);
  'to_version'?: (number);
  'batch_size'?: (string);
  'min_healthy_time_ms'?: (number | string);
  'healthy_deadline_ms'?: (number | string);
  'progress_deadline_ms'?: (number | string);
  'on_failure'?: (string);
  'wait_between_ms'?: (number | string);
  'batches'?: (_governor_v1_RolloutBatch)[];
  'instances'?: (_governor_v1_RolloutInstance)[];
  /**
   * Index of the batch in progress (or the next one when paused).
   */
  'current_batch'?: (number);
  'created_at'?: (string);
  'updated_at'?: (string);
  'completed_at'?: (string);
  /**
   * Why the rollout failed, paused or was aborted.
   */
  'error'?: (string);
  /**
   * CN of the certificate that started it.
   */
  'issued_by'?: (string);
  /**
   * rollback: the spec version re-registered as current (a copy of from_version); 0 otherwise.
   */
  'rollback_version'?: (number);
  /**
   * Every handler the rollout covers, with its versions (from_version/to_version/rollback_version below
   * are the first handler's).
   */
  'handlers'?: (_governor_v1_RolloutHandler)[];
}

/**
 * A rolling restart or rolling update (DESIGN §5).
 */
export interface Rollout__Output {
  'id': (string);
  /**
   * The first of `handlers` (the only one for a one-handler rollout).
   */
  'handler': (string);
  /**
   * restart | update.
   */
  'kind': (string);
  /**
   * pending | running | paused | rolling_back | succeeded | failed | aborted | rolled_back.
   * A rollout that was running when the master stopped comes back `paused` (error says so); resume it.
   */
  'state': (string);
  /**
   * Spec versions (update: from → to; restart: both the current one).
   */
  'from_version': (number);
  'to_version': (number);
  'batch_size': (string);
  'min_healthy_time_ms': (number);
  'healthy_deadline_ms': (number);
  'progress_deadline_ms': (number);
  'on_failure': (string);
  'wait_between_ms': (number);
  'batches': (_governor_v1_RolloutBatch__Output)[];
  'instances': (_governor_v1_RolloutInstance__Output)[];
  /**
   * Index of the batch in progress (or the next one when paused).
   */
  'current_batch': (number);
  'created_at': (string);
  'updated_at': (string);
  'completed_at': (string);
  /**
   * Why the rollout failed, paused or was aborted.
   */
  'error': (string);
  /**
   * CN of the certificate that started it.
   */
  'issued_by': (string);
  /**
   * rollback: the spec version re-registered as current (a copy of from_version); 0 otherwise.
   */
  'rollback_version': (number);
  /**
   * Every handler the rollout covers, with its versions (from_version/to_version/rollback_version below
   * are the first handler's).
   */
  'handlers': (_governor_v1_RolloutHandler__Output)[];
}
