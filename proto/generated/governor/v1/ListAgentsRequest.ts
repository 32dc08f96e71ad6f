// Original file: proto/governor/v1/admin.proto


export interface ListAgentsRequest {
  /**
   * Most agents per response (0: the master's default); the master may return fewer so that a response
   * stays well under the gRPC message limit.
   */
  'page_size'?: (number);
  /**
   * next_page_token of the previous response; empty for the first page.
   */
  'page_token'?: (string);
}

export interface ListAgentsRequest__Output {
  /**
   * Most agents per response (0: the master's default); the master may return fewer so that a response
   * stays well under the gRPC message limit.
   */
  'page_size': (number);
  /**
   * next_page_token of the previous response; empty for the first page.
   */
  'page_token': (string);
}
