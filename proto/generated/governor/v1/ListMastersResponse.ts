// Original file: proto/governor/v1/admin.proto

import type { MasterInfo as _governor_v1_MasterInfo, MasterInfo__Output as _governor_v1_MasterInfo__Output } from '../../governor/v1/MasterInfo.js';

export interface ListMastersResponse {
  /**
   * embedded (one master, lowdb) | etcd.
   */
  'store'?: (string);
  'masters'?: (_governor_v1_MasterInfo)[];
  /**
   * The master that answered.
   */
  'answered_by'?: (string);
}

export interface ListMastersResponse__Output {
  /**
   * embedded (one master, lowdb) | etcd.
   */
  'store': (string);
  'masters': (_governor_v1_MasterInfo__Output)[];
  /**
   * The master that answered.
   */
  'answered_by': (string);
}
