// Original file: proto/governor/v1/admin.proto


export interface TailLogsRequest {
  'handler'?: (string);
  'agent'?: (string);
  /**
   * Lines (default 50).
   */
  'tail'?: (number);
  /**
   * stdout | stderr (default stdout).
   */
  'stream'?: (string);
  /**
   * Optional: the instance key on that agent (`web#1`); empty: the handler's first instance (`web`).
   */
  'instance'?: (string);
}

export interface TailLogsRequest__Output {
  'handler': (string);
  'agent': (string);
  /**
   * Lines (default 50).
   */
  'tail': (number);
  /**
   * stdout | stderr (default stdout).
   */
  'stream': (string);
  /**
   * Optional: the instance key on that agent (`web#1`); empty: the handler's first instance (`web`).
   */
  'instance': (string);
}
