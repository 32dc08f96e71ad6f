// Original file: proto/governor/v1/admin.proto

import type { Rollout as _governor_v1_Rollout, Rollout__Output as _governor_v1_Rollout__Output } from '../../governor/v1/Rollout.js';

export interface ListRolloutsResponse {
  'rollouts'?: (_governor_v1_Rollout)[];
}

export interface ListRolloutsResponse__Output {
  'rollouts': (_governor_v1_Rollout__Output)[];
}
