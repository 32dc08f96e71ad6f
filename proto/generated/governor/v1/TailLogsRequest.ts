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
}
