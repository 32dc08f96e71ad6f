// Original file: proto/governor/v1/agent_link.proto

import type { Hello as _governor_v1_Hello, Hello__Output as _governor_v1_Hello__Output } from '../../governor/v1/Hello.js';
import type { CommandResult as _governor_v1_CommandResult, CommandResult__Output as _governor_v1_CommandResult__Output } from '../../governor/v1/CommandResult.js';
import type { InstanceStatus as _governor_v1_InstanceStatus, InstanceStatus__Output as _governor_v1_InstanceStatus__Output } from '../../governor/v1/InstanceStatus.js';
import type { LifecycleEvent as _governor_v1_LifecycleEvent, LifecycleEvent__Output as _governor_v1_LifecycleEvent__Output } from '../../governor/v1/LifecycleEvent.js';
import type { MetricsReport as _governor_v1_MetricsReport, MetricsReport__Output as _governor_v1_MetricsReport__Output } from '../../governor/v1/MetricsReport.js';
import type { Heartbeat as _governor_v1_Heartbeat, Heartbeat__Output as _governor_v1_Heartbeat__Output } from '../../governor/v1/Heartbeat.js';
import type { LocalExecution as _governor_v1_LocalExecution, LocalExecution__Output as _governor_v1_LocalExecution__Output } from '../../governor/v1/LocalExecution.js';
import type { ExecFrame as _governor_v1_ExecFrame, ExecFrame__Output as _governor_v1_ExecFrame__Output } from '../../governor/v1/ExecFrame.js';
import type { PolicyReport as _governor_v1_PolicyReport, PolicyReport__Output as _governor_v1_PolicyReport__Output } from '../../governor/v1/PolicyReport.js';

/**
 * Agent → master.
 */
export interface AgentMessage {
  /**
   * First message on every (re)connect: identity and full inventory.
   */
  'hello'?: (_governor_v1_Hello | null);
  /**
   * Result of a command, correlated by command_id.
   */
  'result'?: (_governor_v1_CommandResult | null);
  /**
   * An instance's status changed.
   */
  'status'?: (_governor_v1_InstanceStatus | null);
  /**
   * A lifecycle event happened.
   */
  'event'?: (_governor_v1_LifecycleEvent | null);
  /**
   * Sampled metrics: pushed at a metrics interval when they changed beyond noise (an instance's state,
   * PID or restarts; CPU by 0.5 points; RSS by 1 MiB or 1 %), and at least every 12 intervals.
   */
  'metrics'?: (_governor_v1_MetricsReport | null);
  /**
   * Application heartbeat.
   */
  'heartbeat'?: (_governor_v1_Heartbeat | null);
  /**
   * A command given over the agent's local control socket (`gov --local`), for the execution log. Kept by
   * the agent until the master acknowledges it (MasterMessage.local_ack) and sent again after every
   * welcome; the master records each id once. Only for the agent's own handlers; issued_by `local:<uid>`.
   */
  'local_execution'?: (_governor_v1_LocalExecution | null);
  /**
   * A frame of an exec session (opened, stdout, stderr, grant, exit, error).
   */
  'exec'?: (_governor_v1_ExecFrame | null);
  /**
   * The agent's resource policies (DESIGN §9): sent after the welcome, on every rule state change and
   * with each metrics push.
   */
  'policies'?: (_governor_v1_PolicyReport | null);
  'body'?: "hello"|"result"|"status"|"event"|"metrics"|"heartbeat"|"local_execution"|"exec"|"policies";
}

/**
 * Agent → master.
 */
export interface AgentMessage__Output {
  /**
   * First message on every (re)connect: identity and full inventory.
   */
  'hello'?: (_governor_v1_Hello__Output | null);
  /**
   * Result of a command, correlated by command_id.
   */
  'result'?: (_governor_v1_CommandResult__Output | null);
  /**
   * An instance's status changed.
   */
  'status'?: (_governor_v1_InstanceStatus__Output | null);
  /**
   * A lifecycle event happened.
   */
  'event'?: (_governor_v1_LifecycleEvent__Output | null);
  /**
   * Sampled metrics: pushed at a metrics interval when they changed beyond noise (an instance's state,
   * PID or restarts; CPU by 0.5 points; RSS by 1 MiB or 1 %), and at least every 12 intervals.
   */
  'metrics'?: (_governor_v1_MetricsReport__Output | null);
  /**
   * Application heartbeat.
   */
  'heartbeat'?: (_governor_v1_Heartbeat__Output | null);
  /**
   * A command given over the agent's local control socket (`gov --local`), for the execution log. Kept by
   * the agent until the master acknowledges it (MasterMessage.local_ack) and sent again after every
   * welcome; the master records each id once. Only for the agent's own handlers; issued_by `local:<uid>`.
   */
  'local_execution'?: (_governor_v1_LocalExecution__Output | null);
  /**
   * A frame of an exec session (opened, stdout, stderr, grant, exit, error).
   */
  'exec'?: (_governor_v1_ExecFrame__Output | null);
  /**
   * The agent's resource policies (DESIGN §9): sent after the welcome, on every rule state change and
   * with each metrics push.
   */
  'policies'?: (_governor_v1_PolicyReport__Output | null);
  'body'?: "hello"|"result"|"status"|"event"|"metrics"|"heartbeat"|"local_execution"|"exec"|"policies";
}
