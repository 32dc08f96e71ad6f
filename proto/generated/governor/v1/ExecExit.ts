// Original file: proto/governor/v1/admin.proto


export interface ExecExit {
  /**
   * The exit code; 128+N when the program was ended by signal N.
   */
  'code'?: (number);
  /**
   * The signal's name when it was ended by one, else empty.
   */
  'signal'?: (string);
}

export interface ExecExit__Output {
  /**
   * The exit code; 128+N when the program was ended by signal N.
   */
  'code': (number);
  /**
   * The signal's name when it was ended by one, else empty.
   */
  'signal': (string);
}
