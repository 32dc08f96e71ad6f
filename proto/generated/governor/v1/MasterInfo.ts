// Original file: proto/governor/v1/admin.proto


export interface MasterInfo {
  /**
   * The master's id (its --advertise address unless --master-id is given).
   */
  'id'?: (string);
  /**
   * The address clients and agents dial.
   */
  'address'?: (string);
  'leader'?: (boolean);
  /**
   * Leader: when it took the lead, ISO-8601, and its lease.
   */
  'leader_since'?: (string);
  'lease_ttl_ms'?: (number);
  /**
   * Time since the lease was last renewed (ms), as the answering master sees it: its own to the ms, another
   * master's in whole seconds (from etcd); -1 when etcd did not say.
   */
  'lease_age_ms'?: (number | string);
  'version'?: (string);
}

export interface MasterInfo__Output {
  /**
   * The master's id (its --advertise address unless --master-id is given).
   */
  'id': (string);
  /**
   * The address clients and agents dial.
   */
  'address': (string);
  'leader': (boolean);
  /**
   * Leader: when it took the lead, ISO-8601, and its lease.
   */
  'leader_since': (string);
  'lease_ttl_ms': (number);
  /**
   * Time since the lease was last renewed (ms), as the answering master sees it: its own to the ms, another
   * master's in whole seconds (from etcd); -1 when etcd did not say.
   */
  'lease_age_ms': (number);
  'version': (string);
}
