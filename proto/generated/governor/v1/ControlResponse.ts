// Original file: proto/governor/v1/admin.proto

import type { ExecutionRecord as _governor_v1_ExecutionRecord, ExecutionRecord__Output as _governor_v1_ExecutionRecord__Output } from '../../governor/v1/ExecutionRecord.js';
import type { InstanceInfo as _governor_v1_InstanceInfo, InstanceInfo__Output as _governor_v1_InstanceInfo__Output } from '../../governor/v1/InstanceInfo.js';
import type { InstanceOutcome as _governor_v1_InstanceOutcome, InstanceOutcome__Output as _governor_v1_InstanceOutcome__Output } from '../../governor/v1/InstanceOutcome.js';

export interface ControlResponse {
  /**
   * One execution per agent and handler concerned.
   */
  'executions'?: (_governor_v1_ExecutionRecord)[];
  /**
   * Instances' status after the command.
   */
  'instances'?: (_governor_v1_InstanceInfo)[];
  /**
   * Every targeted instance's own outcome.
   */
  'outcomes'?: (_governor_v1_InstanceOutcome)[];
}

export interface ControlResponse__Output {
  /**
   * One execution per agent and handler concerned.
   */
  'executions': (_governor_v1_ExecutionRecord__Output)[];
  /**
   * Instances' status after the command.
   */
  'instances': (_governor_v1_InstanceInfo__Output)[];
  /**
   * Every targeted instance's own outcome.
   */
  'outcomes': (_governor_v1_InstanceOutcome__Output)[];
}
