// Original file: proto/governor/v1/admin.proto

import type { ExecStarted as _governor_v1_ExecStarted, ExecStarted__Output as _governor_v1_ExecStarted__Output } from '../../governor/v1/ExecStarted.js';
import type { ExecExit as _governor_v1_ExecExit, ExecExit__Output as _governor_v1_ExecExit__Output } from '../../governor/v1/ExecExit.js';

/**
 * Master → CLI.
 */
export interface ExecServerFrame {
  'started'?: (_governor_v1_ExecStarted | null);
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  /**
   * The last frame of a session that ran to its end.
   */
  'exit'?: (_governor_v1_ExecExit | null);
  'body'?: "started"|"stdout"|"stderr"|"exit";
}

/**
 * Master → CLI.
 */
export interface ExecServerFrame__Output {
  'started'?: (_governor_v1_ExecStarted__Output | null);
  'stdout'?: (Buffer);
  'stderr'?: (Buffer);
  /**
   * The last frame of a session that ran to its end.
   */
  'exit'?: (_governor_v1_ExecExit__Output | null);
  'body'?: "started"|"stdout"|"stderr"|"exit";
}
