// Original file: proto/governor/v1/admin.proto

import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from '../../governor/v1/TargetSet.js';

export interface ControlRequest {
  /**
   * start | stop | restart | ensure | release | signal.
   */
  'action'?: (string);
  /**
   * One handler (older clients); `targets` wins when set.
   */
  'handler'?: (string);
  /**
   * Optional: only this agent.
   */
  'agent'?: (string);
  /**
   * Optional: only this instance key (`web#1`) on that agent. With `handler` set too, the key must be one of
   * that handler's (else INVALID_ARGUMENT naming both fields, nothing done).
   */
  'instance'?: (string);
  'targets'?: (_governor_v1_TargetSet | null);
  /**
   * signal: the signal name (`HUP`, `SIGHUP`, case-insensitive); unknown names are refused.
   */
  'signal'?: (string);
  /**
   * signal: to the handler's main process only, not its whole process group.
   */
  'main'?: (boolean);
  /**
   * ensure: also take a lease for this long (renewed by another ensure --hold; released by `release`): the
   * instance counts as busy until it ends. 0: no lease. Anything else must be a whole number of ms, more
   * than 0 and at most 2^31-1 (the longest timer), and the action ensure: else INVALID_ARGUMENT (field
   * hold_ms), nothing done.
   */
  'hold_ms'?: (number | string);
}

export interface ControlRequest__Output {
  /**
   * start | stop | restart | ensure | release | signal.
   */
  'action': (string);
  /**
   * One handler (older clients); `targets` wins when set.
   */
  'handler': (string);
  /**
   * Optional: only this agent.
   */
  'agent': (string);
  /**
   * Optional: only this instance key (`web#1`) on that agent. With `handler` set too, the key must be one of
   * that handler's (else INVALID_ARGUMENT naming both fields, nothing done).
   */
  'instance': (string);
  'targets': (_governor_v1_TargetSet__Output | null);
  /**
   * signal: the signal name (`HUP`, `SIGHUP`, case-insensitive); unknown names are refused.
   */
  'signal': (string);
  /**
   * signal: to the handler's main process only, not its whole process group.
   */
  'main': (boolean);
  /**
   * ensure: also take a lease for this long (renewed by another ensure --hold; released by `release`): the
   * instance counts as busy until it ends. 0: no lease. Anything else must be a whole number of ms, more
   * than 0 and at most 2^31-1 (the longest timer), and the action ensure: else INVALID_ARGUMENT (field
   * hold_ms), nothing done.
   */
  'hold_ms': (number);
}
