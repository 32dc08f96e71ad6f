// Original file: proto/governor/v1/admin.proto


export interface ListInstancesRequest {
  /**
   * Optional filters.
   */
  'handler'?: (string);
  'agent'?: (string);
}

export interface ListInstancesRequest__Output {
  /**
   * Optional filters.
   */
  'handler': (string);
  'agent': (string);
}
