// Original file: proto/governor/v1/agent_link.proto


export interface ExecEnd {
  /**
   * Exit code; 128+N for signal N.
   */
  'code'?: (number);
  'signal'?: (string);
}

export interface ExecEnd__Output {
  /**
   * Exit code; 128+N for signal N.
   */
  'code': (number);
  'signal': (string);
}
