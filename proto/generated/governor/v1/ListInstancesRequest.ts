// Original file: proto/governor/v1/admin.proto

import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from '../../governor/v1/TargetSet.js';

export interface ListInstancesRequest {
  /**
   * Optional filters (older clients); `targets` wins when set. Unknown names are refused.
   */
  'handler'?: (string);
  'agent'?: (string);
  /**
   * Most instances per response (0: the master's default); the master may return fewer so that a
   * response stays well under the gRPC message limit.
   */
  'page_size'?: (number);
  /**
   * next_page_token of the previous response; empty for the first page.
   */
  'page_token'?: (string);
  'targets'?: (_governor_v1_TargetSet | null);
}

export interface ListInstancesRequest__Output {
  /**
   * Optional filters (older clients); `targets` wins when set. Unknown names are refused.
   */
  'handler': (string);
  'agent': (string);
  /**
   * Most instances per response (0: the master's default); the master may return fewer so that a
   * response stays well under the gRPC message limit.
   */
  'page_size': (number);
  /**
   * next_page_token of the previous response; empty for the first page.
   */
  'page_token': (string);
  'targets': (_governor_v1_TargetSet__Output | null);
}
