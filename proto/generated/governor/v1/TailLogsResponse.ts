// Original file: proto/governor/v1/admin.proto


export interface TailLogsResponse {
  'lines'?: (string)[];
  /**
   * The instance tailed (a request with targets): its handler, agent and instance key (`web`, `web#1`).
   */
  'handler'?: (string);
  'agent'?: (string);
  'instance'?: (string);
}

export interface TailLogsResponse__Output {
  'lines': (string)[];
  /**
   * The instance tailed (a request with targets): its handler, agent and instance key (`web`, `web#1`).
   */
  'handler': (string);
  'agent': (string);
  'instance': (string);
}
