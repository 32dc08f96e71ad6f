// Original file: proto/governor/v1/admin.proto

import type { InstanceInfo as _governor_v1_InstanceInfo, InstanceInfo__Output as _governor_v1_InstanceInfo__Output } from '../../governor/v1/InstanceInfo.js';

export interface ListInstancesResponse {
  'instances'?: (_governor_v1_InstanceInfo)[];
}

export interface ListInstancesResponse__Output {
  'instances': (_governor_v1_InstanceInfo__Output)[];
}
