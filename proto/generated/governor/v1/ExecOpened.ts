// Original file: proto/governor/v1/agent_link.proto


export interface ExecOpened {
  /**
   * Initial stdin credit, bytes.
   */
  'grant'?: (number);
  /**
   * PID of the program on the agent.
   */
  'pid'?: (number);
  /**
   * Path of the recording, or empty.
   */
  'recording'?: (string);
}

export interface ExecOpened__Output {
  /**
   * Initial stdin credit, bytes.
   */
  'grant': (number);
  /**
   * PID of the program on the agent.
   */
  'pid': (number);
  /**
   * Path of the recording, or empty.
   */
  'recording': (string);
}
