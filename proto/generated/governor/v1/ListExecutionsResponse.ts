// Original file: proto/governor/v1/admin.proto

import type { ExecutionRecord as _governor_v1_ExecutionRecord, ExecutionRecord__Output as _governor_v1_ExecutionRecord__Output } from '../../governor/v1/ExecutionRecord.js';

export interface ListExecutionsResponse {
  /**
   * Number of records returned.
   */
  'count'?: (number);
  'records'?: (_governor_v1_ExecutionRecord)[];
  /**
   * Set when more matching records follow: pass it as page_token (with the remaining limit) to get them.
   */
  'next_page_token'?: (string);
}

export interface ListExecutionsResponse__Output {
  /**
   * Number of records returned.
   */
  'count': (number);
  'records': (_governor_v1_ExecutionRecord__Output)[];
  /**
   * Set when more matching records follow: pass it as page_token (with the remaining limit) to get them.
   */
  'next_page_token': (string);
}
