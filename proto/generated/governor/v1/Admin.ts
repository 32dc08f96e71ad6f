// Original file: proto/governor/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentInfo as _governor_v1_AgentInfo, AgentInfo__Output as _governor_v1_AgentInfo__Output } from '../../governor/v1/AgentInfo.js';
import type { AgentRef as _governor_v1_AgentRef, AgentRef__Output as _governor_v1_AgentRef__Output } from '../../governor/v1/AgentRef.js';
import type { ApplyRequest as _governor_v1_ApplyRequest, ApplyRequest__Output as _governor_v1_ApplyRequest__Output } from '../../governor/v1/ApplyRequest.js';
import type { ApplyResponse as _governor_v1_ApplyResponse, ApplyResponse__Output as _governor_v1_ApplyResponse__Output } from '../../governor/v1/ApplyResponse.js';
import type { ClearExecutionsRequest as _governor_v1_ClearExecutionsRequest, ClearExecutionsRequest__Output as _governor_v1_ClearExecutionsRequest__Output } from '../../governor/v1/ClearExecutionsRequest.js';
import type { ClearExecutionsResponse as _governor_v1_ClearExecutionsResponse, ClearExecutionsResponse__Output as _governor_v1_ClearExecutionsResponse__Output } from '../../governor/v1/ClearExecutionsResponse.js';
import type { ControlRequest as _governor_v1_ControlRequest, ControlRequest__Output as _governor_v1_ControlRequest__Output } from '../../governor/v1/ControlRequest.js';
import type { ControlResponse as _governor_v1_ControlResponse, ControlResponse__Output as _governor_v1_ControlResponse__Output } from '../../governor/v1/ControlResponse.js';
import type { ExecutionStats as _governor_v1_ExecutionStats, ExecutionStats__Output as _governor_v1_ExecutionStats__Output } from '../../governor/v1/ExecutionStats.js';
import type { HandlerRef as _governor_v1_HandlerRef, HandlerRef__Output as _governor_v1_HandlerRef__Output } from '../../governor/v1/HandlerRef.js';
import type { ListAgentsRequest as _governor_v1_ListAgentsRequest, ListAgentsRequest__Output as _governor_v1_ListAgentsRequest__Output } from '../../governor/v1/ListAgentsRequest.js';
import type { ListAgentsResponse as _governor_v1_ListAgentsResponse, ListAgentsResponse__Output as _governor_v1_ListAgentsResponse__Output } from '../../governor/v1/ListAgentsResponse.js';
import type { ListExecutionsRequest as _governor_v1_ListExecutionsRequest, ListExecutionsRequest__Output as _governor_v1_ListExecutionsRequest__Output } from '../../governor/v1/ListExecutionsRequest.js';
import type { ListExecutionsResponse as _governor_v1_ListExecutionsResponse, ListExecutionsResponse__Output as _governor_v1_ListExecutionsResponse__Output } from '../../governor/v1/ListExecutionsResponse.js';
import type { ListInstancesRequest as _governor_v1_ListInstancesRequest, ListInstancesRequest__Output as _governor_v1_ListInstancesRequest__Output } from '../../governor/v1/ListInstancesRequest.js';
import type { ListInstancesResponse as _governor_v1_ListInstancesResponse, ListInstancesResponse__Output as _governor_v1_ListInstancesResponse__Output } from '../../governor/v1/ListInstancesResponse.js';
import type { MetricsRequest as _governor_v1_MetricsRequest, MetricsRequest__Output as _governor_v1_MetricsRequest__Output } from '../../governor/v1/MetricsRequest.js';
import type { MetricsResponse as _governor_v1_MetricsResponse, MetricsResponse__Output as _governor_v1_MetricsResponse__Output } from '../../governor/v1/MetricsResponse.js';
import type { StatsRequest as _governor_v1_StatsRequest, StatsRequest__Output as _governor_v1_StatsRequest__Output } from '../../governor/v1/StatsRequest.js';
import type { TailLogsRequest as _governor_v1_TailLogsRequest, TailLogsRequest__Output as _governor_v1_TailLogsRequest__Output } from '../../governor/v1/TailLogsRequest.js';
import type { TailLogsResponse as _governor_v1_TailLogsResponse, TailLogsResponse__Output as _governor_v1_TailLogsResponse__Output } from '../../governor/v1/TailLogsResponse.js';

export interface AdminClient extends grpc.Client {
  /**
   * Validates and stores handler specs (YAML text), then pushes them to their agents. Refused whole
   * when any spec is invalid; nothing running is touched then.
   */
  Apply(argument: _governor_v1_ApplyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _governor_v1_ApplyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _governor_v1_ApplyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _governor_v1_ApplyRequest, callback: grpc.requestCallback<_governor_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Validates and stores handler specs (YAML text), then pushes them to their agents. Refused whole
   * when any spec is invalid; nothing running is touched then.
   */
  apply(argument: _governor_v1_ApplyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _governor_v1_ApplyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _governor_v1_ApplyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _governor_v1_ApplyRequest, callback: grpc.requestCallback<_governor_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Empties the execution log ring buffer (the lifetime counter stays).
   */
  ClearExecutions(argument: _governor_v1_ClearExecutionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ClearExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ClearExecutions(argument: _governor_v1_ClearExecutionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ClearExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ClearExecutions(argument: _governor_v1_ClearExecutionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ClearExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ClearExecutions(argument: _governor_v1_ClearExecutionsRequest, callback: grpc.requestCallback<_governor_v1_ClearExecutionsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Empties the execution log ring buffer (the lifetime counter stays).
   */
  clearExecutions(argument: _governor_v1_ClearExecutionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ClearExecutionsResponse__Output>): grpc.ClientUnaryCall;
  clearExecutions(argument: _governor_v1_ClearExecutionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ClearExecutionsResponse__Output>): grpc.ClientUnaryCall;
  clearExecutions(argument: _governor_v1_ClearExecutionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ClearExecutionsResponse__Output>): grpc.ClientUnaryCall;
  clearExecutions(argument: _governor_v1_ClearExecutionsRequest, callback: grpc.requestCallback<_governor_v1_ClearExecutionsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts, stops, restarts or ensures a handler on its agents (or one agent).
   */
  Control(argument: _governor_v1_ControlRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Control(argument: _governor_v1_ControlRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Control(argument: _governor_v1_ControlRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Control(argument: _governor_v1_ControlRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts, stops, restarts or ensures a handler on its agents (or one agent).
   */
  control(argument: _governor_v1_ControlRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  control(argument: _governor_v1_ControlRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  control(argument: _governor_v1_ControlRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  control(argument: _governor_v1_ControlRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes a handler: its instances are stopped and the spec deleted.
   */
  DeleteHandler(argument: _governor_v1_HandlerRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  DeleteHandler(argument: _governor_v1_HandlerRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  DeleteHandler(argument: _governor_v1_HandlerRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  DeleteHandler(argument: _governor_v1_HandlerRef, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes a handler: its instances are stopped and the spec deleted.
   */
  deleteHandler(argument: _governor_v1_HandlerRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  deleteHandler(argument: _governor_v1_HandlerRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  deleteHandler(argument: _governor_v1_HandlerRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  deleteHandler(argument: _governor_v1_HandlerRef, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * read-only. Current metrics from the agents, plus fleet telemetry.
   */
  GetMetrics(argument: _governor_v1_MetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  GetMetrics(argument: _governor_v1_MetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  GetMetrics(argument: _governor_v1_MetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  GetMetrics(argument: _governor_v1_MetricsRequest, callback: grpc.requestCallback<_governor_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * read-only. Current metrics from the agents, plus fleet telemetry.
   */
  getMetrics(argument: _governor_v1_MetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  getMetrics(argument: _governor_v1_MetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  getMetrics(argument: _governor_v1_MetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  getMetrics(argument: _governor_v1_MetricsRequest, callback: grpc.requestCallback<_governor_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * read-only. Execution statistics.
   */
  GetStats(argument: _governor_v1_StatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ExecutionStats__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _governor_v1_StatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ExecutionStats__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _governor_v1_StatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ExecutionStats__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _governor_v1_StatsRequest, callback: grpc.requestCallback<_governor_v1_ExecutionStats__Output>): grpc.ClientUnaryCall;
  /**
   * read-only. Execution statistics.
   */
  getStats(argument: _governor_v1_StatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ExecutionStats__Output>): grpc.ClientUnaryCall;
  getStats(argument: _governor_v1_StatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ExecutionStats__Output>): grpc.ClientUnaryCall;
  getStats(argument: _governor_v1_StatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ExecutionStats__Output>): grpc.ClientUnaryCall;
  getStats(argument: _governor_v1_StatsRequest, callback: grpc.requestCallback<_governor_v1_ExecutionStats__Output>): grpc.ClientUnaryCall;
  
  /**
   * read-only. Lists known agents.
   */
  ListAgents(argument: _governor_v1_ListAgentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _governor_v1_ListAgentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _governor_v1_ListAgentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _governor_v1_ListAgentsRequest, callback: grpc.requestCallback<_governor_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * read-only. Lists known agents.
   */
  listAgents(argument: _governor_v1_ListAgentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _governor_v1_ListAgentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _governor_v1_ListAgentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _governor_v1_ListAgentsRequest, callback: grpc.requestCallback<_governor_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * read-only. Queries the execution log; filters combine and apply before the limit; newest first.
   */
  ListExecutions(argument: _governor_v1_ListExecutionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ListExecutions(argument: _governor_v1_ListExecutionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ListExecutions(argument: _governor_v1_ListExecutionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ListExecutions(argument: _governor_v1_ListExecutionsRequest, callback: grpc.requestCallback<_governor_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * read-only. Queries the execution log; filters combine and apply before the limit; newest first.
   */
  listExecutions(argument: _governor_v1_ListExecutionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  listExecutions(argument: _governor_v1_ListExecutionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  listExecutions(argument: _governor_v1_ListExecutionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  listExecutions(argument: _governor_v1_ListExecutionsRequest, callback: grpc.requestCallback<_governor_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * read-only. Lists instances' last reported status.
   */
  ListInstances(argument: _governor_v1_ListInstancesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _governor_v1_ListInstancesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _governor_v1_ListInstancesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _governor_v1_ListInstancesRequest, callback: grpc.requestCallback<_governor_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * read-only. Lists instances' last reported status.
   */
  listInstances(argument: _governor_v1_ListInstancesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _governor_v1_ListInstancesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _governor_v1_ListInstancesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _governor_v1_ListInstancesRequest, callback: grpc.requestCallback<_governor_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Revokes an agent's certificate: it is disconnected and refused from then on.
   */
  RevokeAgent(argument: _governor_v1_AgentRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _governor_v1_AgentRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _governor_v1_AgentRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _governor_v1_AgentRef, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Revokes an agent's certificate: it is disconnected and refused from then on.
   */
  revokeAgent(argument: _governor_v1_AgentRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _governor_v1_AgentRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _governor_v1_AgentRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _governor_v1_AgentRef, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * read-only. Last lines of an instance's stdout/stderr.
   */
  TailLogs(argument: _governor_v1_TailLogsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_TailLogsResponse__Output>): grpc.ClientUnaryCall;
  TailLogs(argument: _governor_v1_TailLogsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_TailLogsResponse__Output>): grpc.ClientUnaryCall;
  TailLogs(argument: _governor_v1_TailLogsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_TailLogsResponse__Output>): grpc.ClientUnaryCall;
  TailLogs(argument: _governor_v1_TailLogsRequest, callback: grpc.requestCallback<_governor_v1_TailLogsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * read-only. Last lines of an instance's stdout/stderr.
   */
  tailLogs(argument: _governor_v1_TailLogsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_TailLogsResponse__Output>): grpc.ClientUnaryCall;
  tailLogs(argument: _governor_v1_TailLogsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_TailLogsResponse__Output>): grpc.ClientUnaryCall;
  tailLogs(argument: _governor_v1_TailLogsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_TailLogsResponse__Output>): grpc.ClientUnaryCall;
  tailLogs(argument: _governor_v1_TailLogsRequest, callback: grpc.requestCallback<_governor_v1_TailLogsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Validates and stores handler specs (YAML text), then pushes them to their agents. Refused whole
   * when any spec is invalid; nothing running is touched then.
   */
  Apply: grpc.handleUnaryCall<_governor_v1_ApplyRequest__Output, _governor_v1_ApplyResponse>;
  
  /**
   * Empties the execution log ring buffer (the lifetime counter stays).
   */
  ClearExecutions: grpc.handleUnaryCall<_governor_v1_ClearExecutionsRequest__Output, _governor_v1_ClearExecutionsResponse>;
  
  /**
   * Starts, stops, restarts or ensures a handler on its agents (or one agent).
   */
  Control: grpc.handleUnaryCall<_governor_v1_ControlRequest__Output, _governor_v1_ControlResponse>;
  
  /**
   * Removes a handler: its instances are stopped and the spec deleted.
   */
  DeleteHandler: grpc.handleUnaryCall<_governor_v1_HandlerRef__Output, _governor_v1_ControlResponse>;
  
  /**
   * read-only. Current metrics from the agents, plus fleet telemetry.
   */
  GetMetrics: grpc.handleUnaryCall<_governor_v1_MetricsRequest__Output, _governor_v1_MetricsResponse>;
  
  /**
   * read-only. Execution statistics.
   */
  GetStats: grpc.handleUnaryCall<_governor_v1_StatsRequest__Output, _governor_v1_ExecutionStats>;
  
  /**
   * read-only. Lists known agents.
   */
  ListAgents: grpc.handleUnaryCall<_governor_v1_ListAgentsRequest__Output, _governor_v1_ListAgentsResponse>;
  
  /**
   * read-only. Queries the execution log; filters combine and apply before the limit; newest first.
   */
  ListExecutions: grpc.handleUnaryCall<_governor_v1_ListExecutionsRequest__Output, _governor_v1_ListExecutionsResponse>;
  
  /**
   * read-only. Lists instances' last reported status.
   */
  ListInstances: grpc.handleUnaryCall<_governor_v1_ListInstancesRequest__Output, _governor_v1_ListInstancesResponse>;
  
  /**
   * Revokes an agent's certificate: it is disconnected and refused from then on.
   */
  RevokeAgent: grpc.handleUnaryCall<_governor_v1_AgentRef__Output, _governor_v1_AgentInfo>;
  
  /**
   * read-only. Last lines of an instance's stdout/stderr.
   */
  TailLogs: grpc.handleUnaryCall<_governor_v1_TailLogsRequest__Output, _governor_v1_TailLogsResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  Apply: MethodDefinition<_governor_v1_ApplyRequest, _governor_v1_ApplyResponse, _governor_v1_ApplyRequest__Output, _governor_v1_ApplyResponse__Output>
  ClearExecutions: MethodDefinition<_governor_v1_ClearExecutionsRequest, _governor_v1_ClearExecutionsResponse, _governor_v1_ClearExecutionsRequest__Output, _governor_v1_ClearExecutionsResponse__Output>
  Control: MethodDefinition<_governor_v1_ControlRequest, _governor_v1_ControlResponse, _governor_v1_ControlRequest__Output, _governor_v1_ControlResponse__Output>
  DeleteHandler: MethodDefinition<_governor_v1_HandlerRef, _governor_v1_ControlResponse, _governor_v1_HandlerRef__Output, _governor_v1_ControlResponse__Output>
  GetMetrics: MethodDefinition<_governor_v1_MetricsRequest, _governor_v1_MetricsResponse, _governor_v1_MetricsRequest__Output, _governor_v1_MetricsResponse__Output>
  GetStats: MethodDefinition<_governor_v1_StatsRequest, _governor_v1_ExecutionStats, _governor_v1_StatsRequest__Output, _governor_v1_ExecutionStats__Output>
  ListAgents: MethodDefinition<_governor_v1_ListAgentsRequest, _governor_v1_ListAgentsResponse, _governor_v1_ListAgentsRequest__Output, _governor_v1_ListAgentsResponse__Output>
  ListExecutions: MethodDefinition<_governor_v1_ListExecutionsRequest, _governor_v1_ListExecutionsResponse, _governor_v1_ListExecutionsRequest__Output, _governor_v1_ListExecutionsResponse__Output>
  ListInstances: MethodDefinition<_governor_v1_ListInstancesRequest, _governor_v1_ListInstancesResponse, _governor_v1_ListInstancesRequest__Output, _governor_v1_ListInstancesResponse__Output>
  RevokeAgent: MethodDefinition<_governor_v1_AgentRef, _governor_v1_AgentInfo, _governor_v1_AgentRef__Output, _governor_v1_AgentInfo__Output>
  TailLogs: MethodDefinition<_governor_v1_TailLogsRequest, _governor_v1_TailLogsResponse, _governor_v1_TailLogsRequest__Output, _governor_v1_TailLogsResponse__Output>
}
