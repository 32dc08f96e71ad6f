// Original file: proto/governor/v1/admin.proto


export interface ListExecutionsRequest {
  'handler'?: (string);
  'agent'?: (string);
  'kind'?: (string);
  'status'?: (string);
  /**
   * ISO-8601 or a duration ago ("10m").
   */
  'since'?: (string);
  /**
   * Maximum records (default 50).
   */
  'limit'?: (number);
}

export interface ListExecutionsRequest__Output {
  'handler': (string);
  'agent': (string);
  'kind': (string);
  'status': (string);
  /**
   * ISO-8601 or a duration ago ("10m").
   */
  'since': (string);
  /**
   * Maximum records (default 50).
   */
  'limit': (number);
}
