// Original file: proto/governor/v1/agent_link.proto

import type { Welcome as _governor_v1_Welcome, Welcome__Output as _governor_v1_Welcome__Output } from '../../governor/v1/Welcome.js';
import type { AgentCommand as _governor_v1_AgentCommand, AgentCommand__Output as _governor_v1_AgentCommand__Output } from '../../governor/v1/AgentCommand.js';
import type { Heartbeat as _governor_v1_Heartbeat, Heartbeat__Output as _governor_v1_Heartbeat__Output } from '../../governor/v1/Heartbeat.js';
import type { ResultAck as _governor_v1_ResultAck, ResultAck__Output as _governor_v1_ResultAck__Output } from '../../governor/v1/ResultAck.js';
import type { LocalExecutionAck as _governor_v1_LocalExecutionAck, LocalExecutionAck__Output as _governor_v1_LocalExecutionAck__Output } from '../../governor/v1/LocalExecutionAck.js';
import type { ExecFrame as _governor_v1_ExecFrame, ExecFrame__Output as _governor_v1_ExecFrame__Output } from '../../governor/v1/ExecFrame.js';

/**
 * Master → agent.
 */
export interface MasterMessage {
  /**
   * Answer to hello: intervals the agent should use.
   */
  'welcome'?: (_governor_v1_Welcome | null);
  /**
   * A command to carry out.
   */
  'command'?: (_governor_v1_AgentCommand | null);
  /**
   * Application heartbeat.
   */
  'heartbeat'?: (_governor_v1_Heartbeat | null);
  /**
   * The master has recorded these results (on disk): the agent may forget them. Until then the agent
   * keeps each result (bounded) and sends it again after every reconnect, so a command it carried out
   * after the master gave up on it (timeout, disconnect, master restart) still reaches the execution
   * log, which then corrects the record (ExecutionRecord.late).
   */
  'ack'?: (_governor_v1_ResultAck | null);
  /**
   * The master has recorded these local executions (on disk): the agent may forget them.
   */
  'local_ack'?: (_governor_v1_LocalExecutionAck | null);
  /**
   * A frame of an exec session (open, stdin, stdin_eof, resize, signal, grant, close).
   */
  'exec'?: (_governor_v1_ExecFrame | null);
  'body'?: "welcome"|"command"|"heartbeat"|"ack"|"local_ack"|"exec";
}

/**
 * Master → agent.
 */
export interface MasterMessage__Output {
  /**
   * Answer to hello: intervals the agent should use.
   */
  'welcome'?: (_governor_v1_Welcome__Output | null);
  /**
   * A command to carry out.
   */
  'command'?: (_governor_v1_AgentCommand__Output | null);
  /**
   * Application heartbeat.
   */
  'heartbeat'?: (_governor_v1_Heartbeat__Output | null);
  /**
   * The master has recorded these results (on disk): the agent may forget them. Until then the agent
   * keeps each result (bounded) and sends it again after every reconnect, so a command it carried out
   * after the master gave up on it (timeout, disconnect, master restart) still reaches the execution
   * log, which then corrects the record (ExecutionRecord.late).
   */
  'ack'?: (_governor_v1_ResultAck__Output | null);
  /**
   * The master has recorded these local executions (on disk): the agent may forget them.
   */
  'local_ack'?: (_governor_v1_LocalExecutionAck__Output | null);
  /**
   * A frame of an exec session (open, stdin, stdin_eof, resize, signal, grant, close).
   */
  'exec'?: (_governor_v1_ExecFrame__Output | null);
  'body'?: "welcome"|"command"|"heartbeat"|"ack"|"local_ack"|"exec";
}
