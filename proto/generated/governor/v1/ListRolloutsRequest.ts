// Original file: proto/governor/v1/admin.proto


export interface ListRolloutsRequest {
  /**
   * Optional filter: rollouts that cover this handler.
   */
  'handler'?: (string);
}

export interface ListRolloutsRequest__Output {
  /**
   * Optional filter: rollouts that cover this handler.
   */
  'handler': (string);
}
