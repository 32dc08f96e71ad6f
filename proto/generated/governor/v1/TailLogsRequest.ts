// Original file: proto/governor/v1/admin.proto

import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from '../../governor/v1/TargetSet.js';

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
  /**
   * Optional: the instance key on that agent (`web#1`); empty: the handler's first instance (`web`).
   */
  'instance'?: (string);
  /**
   * The one instance to tail (a name or instance key, optionally narrowed by agents); refused, with the
   * candidates listed, when it matches several. Wins over handler/agent/instance when set.
   */
  'targets'?: (_governor_v1_TargetSet | null);
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
  /**
   * Optional: the instance key on that agent (`web#1`); empty: the handler's first instance (`web`).
   */
  'instance': (string);
  /**
   * The one instance to tail (a name or instance key, optionally narrowed by agents); refused, with the
   * candidates listed, when it matches several. Wins over handler/agent/instance when set.
   */
  'targets': (_governor_v1_TargetSet__Output | null);
}
