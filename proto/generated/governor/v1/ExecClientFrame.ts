// Original file: proto/governor/v1/admin.proto

import type { ExecStart as _governor_v1_ExecStart, ExecStart__Output as _governor_v1_ExecStart__Output } from '../../governor/v1/ExecStart.js';
import type { ExecResize as _governor_v1_ExecResize, ExecResize__Output as _governor_v1_ExecResize__Output } from '../../governor/v1/ExecResize.js';

/**
 * CLI → master.
 */
export interface ExecClientFrame {
  'start'?: (_governor_v1_ExecStart | null);
  /**
   * Bytes for the remote stdin (only with ExecStart.stdin).
   */
  'stdin'?: (Buffer | Uint8Array | string);
  /**
   * The local stdin ended: the remote stdin is closed once what was sent is written.
   */
  'stdin_eof'?: (boolean);
  'resize'?: (_governor_v1_ExecResize | null);
  /**
   * A signal name (`SIGINT`) for the remote program's process group.
   */
  'signal'?: (string);
  'body'?: "start"|"stdin"|"stdin_eof"|"resize"|"signal";
}

/**
 * CLI → master.
 */
export interface ExecClientFrame__Output {
  'start'?: (_governor_v1_ExecStart__Output | null);
  /**
   * Bytes for the remote stdin (only with ExecStart.stdin).
   */
  'stdin'?: (Buffer);
  /**
   * The local stdin ended: the remote stdin is closed once what was sent is written.
   */
  'stdin_eof'?: (boolean);
  'resize'?: (_governor_v1_ExecResize__Output | null);
  /**
   * A signal name (`SIGINT`) for the remote program's process group.
   */
  'signal'?: (string);
  'body'?: "start"|"stdin"|"stdin_eof"|"resize"|"signal";
}
