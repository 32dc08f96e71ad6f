// Original file: proto/governor/v1/admin.proto

import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from '../../governor/v1/TargetSet.js';

/**
 * The first frame of an Exec call.
 */
export interface ExecStart {
  /**
   * Must resolve to exactly one instance (`web`, `web#1@edge-1`, or a name with agents).
   */
  'targets'?: (_governor_v1_TargetSet | null);
  /**
   * The program and its arguments (argv; no shell unless you run one).
   */
  'command'?: (string)[];
  /**
   * Allocate a pseudo-terminal on the agent (`-t`): stdout and stderr arrive merged as stdout.
   */
  'tty'?: (boolean);
  /**
   * Forward stdin (`-i`); without it the remote stdin is closed at once.
   */
  'stdin'?: (boolean);
  /**
   * Terminal size at start (tty only; 0: 24x80).
   */
  'rows'?: (number);
  'cols'?: (number);
  /**
   * TERM for the remote program (tty only; empty: xterm-256color).
   */
  'term'?: (string);
  /**
   * Record the session (asciicast v2) into the instance's log folder on the agent.
   */
  'record'?: (boolean);
}

/**
 * The first frame of an Exec call.
 */
export interface ExecStart__Output {
  /**
   * Must resolve to exactly one instance (`web`, `web#1@edge-1`, or a name with agents).
   */
  'targets': (_governor_v1_TargetSet__Output | null);
  /**
   * The program and its arguments (argv; no shell unless you run one).
   */
  'command': (string)[];
  /**
   * Allocate a pseudo-terminal on the agent (`-t`): stdout and stderr arrive merged as stdout.
   */
  'tty': (boolean);
  /**
   * Forward stdin (`-i`); without it the remote stdin is closed at once.
   */
  'stdin': (boolean);
  /**
   * Terminal size at start (tty only; 0: 24x80).
   */
  'rows': (number);
  'cols': (number);
  /**
   * TERM for the remote program (tty only; empty: xterm-256color).
   */
  'term': (string);
  /**
   * Record the session (asciicast v2) into the instance's log folder on the agent.
   */
  'record': (boolean);
}
