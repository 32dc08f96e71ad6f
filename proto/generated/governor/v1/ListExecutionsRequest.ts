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
   * Maximum records over all pages (default 50).
   */
  'limit'?: (number);
  /**
   * Most records per response (0: the master's default); the master may return fewer so that a
   * response stays well under the gRPC message limit.
   */
  'page_size'?: (number);
  /**
   * next_page_token of the previous response; empty for the first page.
   */
  'page_token'?: (string);
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
   * Maximum records over all pages (default 50).
   */
  'limit': (number);
  /**
   * Most records per response (0: the master's default); the master may return fewer so that a
   * response stays well under the gRPC message limit.
   */
  'page_size': (number);
  /**
   * next_page_token of the previous response; empty for the first page.
   */
  'page_token': (string);
}
