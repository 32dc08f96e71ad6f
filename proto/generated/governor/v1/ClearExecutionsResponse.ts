// Original file: proto/governor/v1/admin.proto


export interface ClearExecutionsResponse {
  /**
   * Records removed.
   */
  'cleared'?: (number);
}

export interface ClearExecutionsResponse__Output {
  /**
   * Records removed.
   */
  'cleared': (number);
}
