// Original file: proto/governor/v1/agent_link.proto

import type { ExecWindow as _governor_v1_ExecWindow, ExecWindow__Output as _governor_v1_ExecWindow__Output } from '../../governor/v1/ExecWindow.js';

export interface ExecOpen {
  'handler'?: (string);
  /**
   * Instance key (`web#1`).
   */
  'instance'?: (string);
  'command'?: (string)[];
  'tty'?: (boolean);
  'stdin'?: (boolean);
  'window'?: (_governor_v1_ExecWindow | null);
  'term'?: (string);
  'record'?: (boolean);
  /**
   * Who asked (the admin certificate CN), for the agent's log and the recording.
   */
  'issued_by'?: (string);
  /**
   * Initial output credit, bytes.
   */
  'grant'?: (number);
}

export interface ExecOpen__Output {
  'handler': (string);
  /**
   * Instance key (`web#1`).
   */
  'instance': (string);
  'command': (string)[];
  'tty': (boolean);
  'stdin': (boolean);
  'window': (_governor_v1_ExecWindow__Output | null);
  'term': (string);
  'record': (boolean);
  /**
   * Who asked (the admin certificate CN), for the agent's log and the recording.
   */
  'issued_by': (string);
  /**
   * Initial output credit, bytes.
   */
  'grant': (number);
}
