// Original file: proto/governor/v1/admin.proto

import type { AppliedHandler as _governor_v1_AppliedHandler, AppliedHandler__Output as _governor_v1_AppliedHandler__Output } from '../../governor/v1/AppliedHandler.js';
import type { ExecutionRecord as _governor_v1_ExecutionRecord, ExecutionRecord__Output as _governor_v1_ExecutionRecord__Output } from '../../governor/v1/ExecutionRecord.js';
import type { Rollout as _governor_v1_Rollout, Rollout__Output as _governor_v1_Rollout__Output } from '../../governor/v1/Rollout.js';

export interface ApplyResponse {
  'handlers'?: (_governor_v1_AppliedHandler)[];
  /**
   * Executions recorded for pushing the specs to agents.
   */
  'executions'?: (_governor_v1_ExecutionRecord)[];
  /**
   * The rolling update started for the handlers whose spec changed on running instances: one rollout for
   * the whole apply (empty when none changed a running instance).
   */
  'rollouts'?: (_governor_v1_Rollout)[];
}

export interface ApplyResponse__Output {
  'handlers': (_governor_v1_AppliedHandler__Output)[];
  /**
   * Executions recorded for pushing the specs to agents.
   */
  'executions': (_governor_v1_ExecutionRecord__Output)[];
  /**
   * The rolling update started for the handlers whose spec changed on running instances: one rollout for
   * the whole apply (empty when none changed a running instance).
   */
  'rollouts': (_governor_v1_Rollout__Output)[];
}
