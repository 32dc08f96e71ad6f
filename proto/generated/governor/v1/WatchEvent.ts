// Original file: proto/governor/v1/admin.proto

import type { InstanceChange as _governor_v1_InstanceChange, InstanceChange__Output as _governor_v1_InstanceChange__Output } from '../../governor/v1/InstanceChange.js';
import type { ExecutionRecord as _governor_v1_ExecutionRecord, ExecutionRecord__Output as _governor_v1_ExecutionRecord__Output } from '../../governor/v1/ExecutionRecord.js';
import type { Rollout as _governor_v1_Rollout, Rollout__Output as _governor_v1_Rollout__Output } from '../../governor/v1/Rollout.js';
import type { AgentInfo as _governor_v1_AgentInfo, AgentInfo__Output as _governor_v1_AgentInfo__Output } from '../../governor/v1/AgentInfo.js';
import type { MetricsSample as _governor_v1_MetricsSample, MetricsSample__Output as _governor_v1_MetricsSample__Output } from '../../governor/v1/MetricsSample.js';
import type { WatchSnapshot as _governor_v1_WatchSnapshot, WatchSnapshot__Output as _governor_v1_WatchSnapshot__Output } from '../../governor/v1/WatchSnapshot.js';
import type { WatchNotice as _governor_v1_WatchNotice, WatchNotice__Output as _governor_v1_WatchNotice__Output } from '../../governor/v1/WatchNotice.js';
import type { PolicyTransition as _governor_v1_PolicyTransition, PolicyTransition__Output as _governor_v1_PolicyTransition__Output } from '../../governor/v1/PolicyTransition.js';

/**
 * One change (or a snapshot part, metrics sample or notice).
 */
export interface WatchEvent {
  /**
   * Kept events (instance, health, execution, rollout, agent, policy) are numbered from 1, each one above the
   * previous, for this master's life. snapshot, metrics and notice events are not kept: they carry the
   * index of the newest kept event before them (resume from it misses nothing).
   */
  'index'?: (number | string);
  /**
   * instance | health | execution | rollout | agent | policy | metrics | snapshot | notice.
   */
  'kind'?: (string);
  /**
   * When the master saw it, ISO-8601.
   */
  'at'?: (string);
  /**
   * The handler and agent it concerns (empty when none or several).
   */
  'handler'?: (string);
  'agent'?: (string);
  /**
   * This master's life: the same on every event while the master runs, another after it restarted (its
   * indexes start again from 1). A client resuming passes it back (WatchRequest.epoch).
   */
  'epoch'?: (string);
  /**
   * instance, health.
   */
  'instance'?: (_governor_v1_InstanceChange | null);
  /**
   * execution: started (status running) or finished, or corrected by a late answer.
   */
  'execution'?: (_governor_v1_ExecutionRecord | null);
  /**
   * rollout: the whole record after each step.
   */
  'rollout'?: (_governor_v1_Rollout | null);
  /**
   * agent: connected, disconnected, labelled, revoked, unrevoked (the record after the change; an agent
   * unrevoked and forgotten, never seen, as {id, connected: false, revoked: false}).
   */
  'agent_info'?: (_governor_v1_AgentInfo | null);
  'metrics'?: (_governor_v1_MetricsSample | null);
  'snapshot'?: (_governor_v1_WatchSnapshot | null);
  'notice'?: (_governor_v1_WatchNotice | null);
  /**
   * policy: a rule changed state on an agent.
   */
  'policy'?: (_governor_v1_PolicyTransition | null);
  'body'?: "instance"|"execution"|"rollout"|"agent_info"|"metrics"|"snapshot"|"notice"|"policy";
}

/**
 * One change (or a snapshot part, metrics sample or notice).
 */
export interface WatchEvent__Output {
  /**
   * Kept events (instance, health, execution, rollout, agent, policy) are numbered from 1, each one above the
   * previous, for this master's life. snapshot, metrics and notice events are not kept: they carry the
   * index of the newest kept event before them (resume from it misses nothing).
   */
  'index': (number);
  /**
   * instance | health | execution | rollout | agent | policy | metrics | snapshot | notice.
   */
  'kind': (string);
  /**
   * When the master saw it, ISO-8601.
   */
  'at': (string);
  /**
   * The handler and agent it concerns (empty when none or several).
   */
  'handler': (string);
  'agent': (string);
  /**
   * This master's life: the same on every event while the master runs, another after it restarted (its
   * indexes start again from 1). A client resuming passes it back (WatchRequest.epoch).
   */
  'epoch': (string);
  /**
   * instance, health.
   */
  'instance'?: (_governor_v1_InstanceChange__Output | null);
  /**
   * execution: started (status running) or finished, or corrected by a late answer.
   */
  'execution'?: (_governor_v1_ExecutionRecord__Output | null);
  /**
   * rollout: the whole record after each step.
   */
  'rollout'?: (_governor_v1_Rollout__Output | null);
  /**
   * agent: connected, disconnected, labelled, revoked, unrevoked (the record after the change; an agent
   * unrevoked and forgotten, never seen, as {id, connected: false, revoked: false}).
   */
  'agent_info'?: (_governor_v1_AgentInfo__Output | null);
  'metrics'?: (_governor_v1_MetricsSample__Output | null);
  'snapshot'?: (_governor_v1_WatchSnapshot__Output | null);
  'notice'?: (_governor_v1_WatchNotice__Output | null);
  /**
   * policy: a rule changed state on an agent.
   */
  'policy'?: (_governor_v1_PolicyTransition__Output | null);
  'body'?: "instance"|"execution"|"rollout"|"agent_info"|"metrics"|"snapshot"|"notice"|"policy";
}
