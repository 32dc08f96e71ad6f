// Original file: proto/governor/v1/admin.proto

import type { InstanceInfo as _governor_v1_InstanceInfo, InstanceInfo__Output as _governor_v1_InstanceInfo__Output } from '../../governor/v1/InstanceInfo.js';

export interface ListInstancesResponse {
  'instances'?: (_governor_v1_InstanceInfo)[];
  /**
   * Set when more instances follow: pass it as page_token to get the next page.
   */
  'next_page_token'?: (string);
}

export interface ListInstancesResponse__Output {
  'instances': (_governor_v1_InstanceInfo__Output)[];
  /**
   * Set when more instances follow: pass it as page_token to get the next page.
   */
  'next_page_token': (string);
}
