// Original file: proto/governor/v1/admin.proto


export interface ListRolloutsRequest {
  /**
   * Optional filter.
   */
  'handler'?: (string);
}

export interface ListRolloutsRequest__Output {
  /**
   * Optional filter.
   */
  'handler': (string);
}
