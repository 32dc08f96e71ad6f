// Original file: proto/governor/v1/common.proto


/**
 * How a process last ended.
 */
export interface ExitInfo {
  /**
   * Exit code when the process exited normally; -1 when it was ended by a signal.
   */
  'code'?: (number);
  /**
   * Signal name (e.g. "SIGKILL") when the process was ended by a signal; empty otherwise.
   */
  'signal'?: (string);
  /**
   * When the exit was observed, ISO-8601.
   */
  'at'?: (string);
}

/**
 * How a process last ended.
 */
export interface ExitInfo__Output {
  /**
   * Exit code when the process exited normally; -1 when it was ended by a signal.
   */
  'code': (number);
  /**
   * Signal name (e.g. "SIGKILL") when the process was ended by a signal; empty otherwise.
   */
  'signal': (string);
  /**
   * When the exit was observed, ISO-8601.
   */
  'at': (string);
}
