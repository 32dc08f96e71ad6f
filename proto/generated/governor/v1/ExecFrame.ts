// Original file: proto/governor/v1/agent_link.proto

import type { ExecOpen as _governor_v1_ExecOpen, ExecOpen__Output as _governor_v1_ExecOpen__Output } from '../../governor/v1/ExecOpen.js';
import type { ExecWindow as _governor_v1_ExecWindow, ExecWindow__Output as _governor_v1_ExecWindow__Output } from '../../governor/v1/ExecWindow.js';
import type { ExecOpened as _governor_v1_ExecOpened, ExecOpened__Output as _governor_v1_ExecOpened__Output } from '../../governor/v1/ExecOpened.js';
import type { ExecEnd as _governor_v1_ExecEnd, ExecEnd__Output as _governor_v1_ExecEnd__Output } from '../../governor/v1/ExecEnd.js';
import type { ErrorInfo as _governor_v1_ErrorInfo, ErrorInfo__Output as _governor_v1_ErrorInfo__Output } from '../../governor/v1/ErrorInfo.js';

/**
 * One frame of an exec session (Admin.Exec) on the link, in either direction. Flow control is by credit
 * in bytes, per session and per direction: a side sends stdin/stdout/stderr bytes only while the other
 * side's grants exceed what it sent (the first grant travels in `open` and `opened`), and pauses its
 * source otherwise. A receiver grants again as its consumer drains (the master: as the CLI's stream
 * drains; the agent: as the program's stdin drains). So a session never holds more than its window in
 * flight, and exec output never blocks the link's heartbeats and results.
 */
export interface ExecFrame {
  /**
   * The session id (chosen by the master, unique per link).
   */
  'session'?: (string);
  /**
   * Master → agent: start the session.
   */
  'open'?: (_governor_v1_ExecOpen | null);
  /**
   * Master → agent: bytes for the program's stdin.
   */
  'stdin'?: (Buffer | Uint8Array | string);
  /**
   * Master → agent: close the program's stdin once written.
   */
  'stdin_eof'?: (boolean);
  /**
   * Master → agent: new terminal size (tty only).
   */
  'resize'?: (_governor_v1_ExecWindow | null);
  /**
   * Master → agent: a signal name for the program's process group.
   */
  'signal'?: (string);
  /**
   * Either way: the sender may send this many more bytes.
   */
  'grant'?: (number);
  /**
   * Master → agent: the other side went away: SIGHUP to the program's group, SIGKILL after a grace.
   */
  'close'?: (string);
  /**
   * Agent → master: the session started (`grant` here is the stdin window).
   */
  'opened'?: (_governor_v1_ExecOpened | null);
  /**
   * Agent → master: output.
   */
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  /**
   * Agent → master: the program ended (last frame of the session).
   */
  'exit'?: (_governor_v1_ExecEnd | null);
  /**
   * Agent → master: the session was refused or failed (last frame of the session).
   */
  'error'?: (_governor_v1_ErrorInfo | null);
  'body'?: "open"|"stdin"|"stdin_eof"|"resize"|"signal"|"grant"|"close"|"opened"|"stdout"|"stderr"|"exit"|"error";
}

/**
 * One frame of an exec session (Admin.Exec) on the link, in either direction. Flow control is by credit
 * in bytes, per session and per direction: a side sends stdin/stdout/stderr bytes only while the other
 * side's grants exceed what it sent (the first grant travels in `open` and `opened`), and pauses its
 * source otherwise. A receiver grants again as its consumer drains (the master: as the CLI's stream
 * drains; the agent: as the program's stdin drains). So a session never holds more than its window in
 * flight, and exec output never blocks the link's heartbeats and results.
 */
export interface ExecFrame__Output {
  /**
   * The session id (chosen by the master, unique per link).
   */
  'session': (string);
  /**
   * Master → agent: start the session.
   */
  'open'?: (_governor_v1_ExecOpen__Output | null);
  /**
   * Master → agent: bytes for the program's stdin.
   */
  'stdin'?: (Buffer);
  /**
   * Master → agent: close the program's stdin once written.
   */
  'stdin_eof'?: (boolean);
  /**
   * Master → agent: new terminal size (tty only).
   */
  'resize'?: (_governor_v1_ExecWindow__Output | null);
  /**
   * Master → agent: a signal name for the program's process group.
   */
  'signal'?: (string);
  /**
   * Either way: the sender may send this many more bytes.
   */
  'grant'?: (number);
  /**
   * Master → agent: the other side went away: SIGHUP to the program's group, SIGKILL after a grace.
   */
  'close'?: (string);
  /**
   * Agent → master: the session started (`grant` here is the stdin window).
   */
  'opened'?: (_governor_v1_ExecOpened__Output | null);
  /**
   * Agent → master: output.
   */
  'stdout'?: (Buffer);
  'stderr'?: (Buffer);
  /**
   * Agent → master: the program ended (last frame of the session).
   */
  'exit'?: (_governor_v1_ExecEnd__Output | null);
  /**
   * Agent → master: the session was refused or failed (last frame of the session).
   */
  'error'?: (_governor_v1_ErrorInfo__Output | null);
  'body'?: "open"|"stdin"|"stdin_eof"|"resize"|"signal"|"grant"|"close"|"opened"|"stdout"|"stderr"|"exit"|"error";
}
