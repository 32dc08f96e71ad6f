// Original file: proto/governor/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentInfo as _governor_v1_AgentInfo, AgentInfo__Output as _governor_v1_AgentInfo__Output } from '../../governor/v1/AgentInfo.js';
import type { AgentRef as _governor_v1_AgentRef, AgentRef__Output as _governor_v1_AgentRef__Output } from '../../governor/v1/AgentRef.js';
import type { ApplyRequest as _governor_v1_ApplyRequest, ApplyRequest__Output as _governor_v1_ApplyRequest__Output } from '../../governor/v1/ApplyRequest.js';
import type { ApplyResponse as _governor_v1_ApplyResponse, ApplyResponse__Output as _governor_v1_ApplyResponse__Output } from '../../governor/v1/ApplyResponse.js';
import type { AttachRequest as _governor_v1_AttachRequest, AttachRequest__Output as _governor_v1_AttachRequest__Output } from '../../governor/v1/AttachRequest.js';
import type { ClearExecutionsRequest as _governor_v1_ClearExecutionsRequest, ClearExecutionsRequest__Output as _governor_v1_ClearExecutionsRequest__Output } from '../../governor/v1/ClearExecutionsRequest.js';
import type { ClearExecutionsResponse as _governor_v1_ClearExecutionsResponse, ClearExecutionsResponse__Output as _governor_v1_ClearExecutionsResponse__Output } from '../../governor/v1/ClearExecutionsResponse.js';
import type { ControlRequest as _governor_v1_ControlRequest, ControlRequest__Output as _governor_v1_ControlRequest__Output } from '../../governor/v1/ControlRequest.js';
import type { ControlResponse as _governor_v1_ControlResponse, ControlResponse__Output as _governor_v1_ControlResponse__Output } from '../../governor/v1/ControlResponse.js';
import type { DeleteRequest as _governor_v1_DeleteRequest, DeleteRequest__Output as _governor_v1_DeleteRequest__Output } from '../../governor/v1/DeleteRequest.js';
import type { DetachRequest as _governor_v1_DetachRequest, DetachRequest__Output as _governor_v1_DetachRequest__Output } from '../../governor/v1/DetachRequest.js';
import type { ExecClientFrame as _governor_v1_ExecClientFrame, ExecClientFrame__Output as _governor_v1_ExecClientFrame__Output } from '../../governor/v1/ExecClientFrame.js';
import type { ExecServerFrame as _governor_v1_ExecServerFrame, ExecServerFrame__Output as _governor_v1_ExecServerFrame__Output } from '../../governor/v1/ExecServerFrame.js';
import type { ExecutionStats as _governor_v1_ExecutionStats, ExecutionStats__Output as _governor_v1_ExecutionStats__Output } from '../../governor/v1/ExecutionStats.js';
import type { LabelAgentRequest as _governor_v1_LabelAgentRequest, LabelAgentRequest__Output as _governor_v1_LabelAgentRequest__Output } from '../../governor/v1/LabelAgentRequest.js';
import type { ListAgentsRequest as _governor_v1_ListAgentsRequest, ListAgentsRequest__Output as _governor_v1_ListAgentsRequest__Output } from '../../governor/v1/ListAgentsRequest.js';
import type { ListAgentsResponse as _governor_v1_ListAgentsResponse, ListAgentsResponse__Output as _governor_v1_ListAgentsResponse__Output } from '../../governor/v1/ListAgentsResponse.js';
import type { ListExecutionsRequest as _governor_v1_ListExecutionsRequest, ListExecutionsRequest__Output as _governor_v1_ListExecutionsRequest__Output } from '../../governor/v1/ListExecutionsRequest.js';
import type { ListExecutionsResponse as _governor_v1_ListExecutionsResponse, ListExecutionsResponse__Output as _governor_v1_ListExecutionsResponse__Output } from '../../governor/v1/ListExecutionsResponse.js';
import type { ListInstancesRequest as _governor_v1_ListInstancesRequest, ListInstancesRequest__Output as _governor_v1_ListInstancesRequest__Output } from '../../governor/v1/ListInstancesRequest.js';
import type { ListInstancesResponse as _governor_v1_ListInstancesResponse, ListInstancesResponse__Output as _governor_v1_ListInstancesResponse__Output } from '../../governor/v1/ListInstancesResponse.js';
import type { ListMastersRequest as _governor_v1_ListMastersRequest, ListMastersRequest__Output as _governor_v1_ListMastersRequest__Output } from '../../governor/v1/ListMastersRequest.js';
import type { ListMastersResponse as _governor_v1_ListMastersResponse, ListMastersResponse__Output as _governor_v1_ListMastersResponse__Output } from '../../governor/v1/ListMastersResponse.js';
import type { ListPoliciesRequest as _governor_v1_ListPoliciesRequest, ListPoliciesRequest__Output as _governor_v1_ListPoliciesRequest__Output } from '../../governor/v1/ListPoliciesRequest.js';
import type { ListPoliciesResponse as _governor_v1_ListPoliciesResponse, ListPoliciesResponse__Output as _governor_v1_ListPoliciesResponse__Output } from '../../governor/v1/ListPoliciesResponse.js';
import type { ListRolloutsRequest as _governor_v1_ListRolloutsRequest, ListRolloutsRequest__Output as _governor_v1_ListRolloutsRequest__Output } from '../../governor/v1/ListRolloutsRequest.js';
import type { ListRolloutsResponse as _governor_v1_ListRolloutsResponse, ListRolloutsResponse__Output as _governor_v1_ListRolloutsResponse__Output } from '../../governor/v1/ListRolloutsResponse.js';
import type { MetricsHistoryRequest as _governor_v1_MetricsHistoryRequest, MetricsHistoryRequest__Output as _governor_v1_MetricsHistoryRequest__Output } from '../../governor/v1/MetricsHistoryRequest.js';
import type { MetricsHistoryResponse as _governor_v1_MetricsHistoryResponse, MetricsHistoryResponse__Output as _governor_v1_MetricsHistoryResponse__Output } from '../../governor/v1/MetricsHistoryResponse.js';
import type { MetricsRequest as _governor_v1_MetricsRequest, MetricsRequest__Output as _governor_v1_MetricsRequest__Output } from '../../governor/v1/MetricsRequest.js';
import type { MetricsResponse as _governor_v1_MetricsResponse, MetricsResponse__Output as _governor_v1_MetricsResponse__Output } from '../../governor/v1/MetricsResponse.js';
import type { RevokeAgentRequest as _governor_v1_RevokeAgentRequest, RevokeAgentRequest__Output as _governor_v1_RevokeAgentRequest__Output } from '../../governor/v1/RevokeAgentRequest.js';
import type { Rollout as _governor_v1_Rollout, Rollout__Output as _governor_v1_Rollout__Output } from '../../governor/v1/Rollout.js';
import type { RolloutRef as _governor_v1_RolloutRef, RolloutRef__Output as _governor_v1_RolloutRef__Output } from '../../governor/v1/RolloutRef.js';
import type { StartRolloutRequest as _governor_v1_StartRolloutRequest, StartRolloutRequest__Output as _governor_v1_StartRolloutRequest__Output } from '../../governor/v1/StartRolloutRequest.js';
import type { StatsRequest as _governor_v1_StatsRequest, StatsRequest__Output as _governor_v1_StatsRequest__Output } from '../../governor/v1/StatsRequest.js';
import type { TailLogsRequest as _governor_v1_TailLogsRequest, TailLogsRequest__Output as _governor_v1_TailLogsRequest__Output } from '../../governor/v1/TailLogsRequest.js';
import type { TailLogsResponse as _governor_v1_TailLogsResponse, TailLogsResponse__Output as _governor_v1_TailLogsResponse__Output } from '../../governor/v1/TailLogsResponse.js';
import type { WatchEvent as _governor_v1_WatchEvent, WatchEvent__Output as _governor_v1_WatchEvent__Output } from '../../governor/v1/WatchEvent.js';
import type { WatchRequest as _governor_v1_WatchRequest, WatchRequest__Output as _governor_v1_WatchRequest__Output } from '../../governor/v1/WatchRequest.js';

export interface AdminClient extends grpc.Client {
  /**
   * Aborts a rollout: no further batch starts.
   */
  AbortRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  AbortRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  AbortRollout(argument: _governor_v1_RolloutRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  AbortRollout(argument: _governor_v1_RolloutRef, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  /**
   * Aborts a rollout: no further batch starts.
   */
  abortRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  abortRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  abortRollout(argument: _governor_v1_RolloutRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  abortRollout(argument: _governor_v1_RolloutRef, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  
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
   * Starts observing a process the governor did not start (never signalled). An agent the master has
   * never seen is refused (NOT_FOUND naming field `agent` and the known agents; nothing sent or recorded).
   */
  Attach(argument: _governor_v1_AttachRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Attach(argument: _governor_v1_AttachRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Attach(argument: _governor_v1_AttachRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Attach(argument: _governor_v1_AttachRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts observing a process the governor did not start (never signalled). An agent the master has
   * never seen is refused (NOT_FOUND naming field `agent` and the known agents; nothing sent or recorded).
   */
  attach(argument: _governor_v1_AttachRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  attach(argument: _governor_v1_AttachRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  attach(argument: _governor_v1_AttachRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  attach(argument: _governor_v1_AttachRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  
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
   * Starts, stops, restarts, ensures or signals a target set of instances: one call for the whole set,
   * the master fans out (one command per agent and handler) and answers every instance's own outcome.
   * Unknown names in the set are refused before anything is sent.
   */
  Control(argument: _governor_v1_ControlRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Control(argument: _governor_v1_ControlRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Control(argument: _governor_v1_ControlRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Control(argument: _governor_v1_ControlRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts, stops, restarts, ensures or signals a target set of instances: one call for the whole set,
   * the master fans out (one command per agent and handler) and answers every instance's own outcome.
   * Unknown names in the set are refused before anything is sent.
   */
  control(argument: _governor_v1_ControlRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  control(argument: _governor_v1_ControlRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  control(argument: _governor_v1_ControlRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  control(argument: _governor_v1_ControlRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes handlers: their instances are stopped and the specs deleted. Takes a target set of handlers
   * (names, --all, --selector); instance keys and agents are refused (a handler is deleted everywhere).
   */
  DeleteHandler(argument: _governor_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  DeleteHandler(argument: _governor_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  DeleteHandler(argument: _governor_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  DeleteHandler(argument: _governor_v1_DeleteRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes handlers: their instances are stopped and the specs deleted. Takes a target set of handlers
   * (names, --all, --selector); instance keys and agents are refused (a handler is deleted everywhere).
   */
  deleteHandler(argument: _governor_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  deleteHandler(argument: _governor_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  deleteHandler(argument: _governor_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  deleteHandler(argument: _governor_v1_DeleteRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Stops observing a process. An unknown agent is refused as by Attach.
   */
  Detach(argument: _governor_v1_DetachRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Detach(argument: _governor_v1_DetachRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Detach(argument: _governor_v1_DetachRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  Detach(argument: _governor_v1_DetachRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stops observing a process. An unknown agent is refused as by Attach.
   */
  detach(argument: _governor_v1_DetachRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  detach(argument: _governor_v1_DetachRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  detach(argument: _governor_v1_DetachRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  detach(argument: _governor_v1_DetachRequest, callback: grpc.requestCallback<_governor_v1_ControlResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs a command on the agent of ONE instance, in the handler's context (its cwd, environment, user and
   * cgroup): `gov exec`. Admin only (never read-only). The first client frame must be `start`; the master
   * answers `started` once the agent opened the session, then relays frames both ways on the agent's link
   * stream, and ends with one `exit`. Output is flow-controlled: the master lets the agent send only as
   * this stream drains (a slow reader slows the remote program). Refusals end the call with a status:
   * PERMISSION_DENIED (not admin), INVALID_ARGUMENT (bad start, or a target matching several instances,
   * listed), NOT_FOUND, UNAVAILABLE (agent not connected, exec disabled or unavailable on it, or the agent
   * went away mid-session), FAILED_PRECONDITION (the agent's session limit, the instance is not running
   * or frozen, or the program cannot run), DEADLINE_EXCEEDED (the agent's idle timeout). Every session
   * is an execution (kind `exec`; success when the program exits 0).
   */
  Exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_governor_v1_ExecClientFrame, _governor_v1_ExecServerFrame__Output>;
  Exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_governor_v1_ExecClientFrame, _governor_v1_ExecServerFrame__Output>;
  /**
   * Runs a command on the agent of ONE instance, in the handler's context (its cwd, environment, user and
   * cgroup): `gov exec`. Admin only (never read-only). The first client frame must be `start`; the master
   * answers `started` once the agent opened the session, then relays frames both ways on the agent's link
   * stream, and ends with one `exit`. Output is flow-controlled: the master lets the agent send only as
   * this stream drains (a slow reader slows the remote program). Refusals end the call with a status:
   * PERMISSION_DENIED (not admin), INVALID_ARGUMENT (bad start, or a target matching several instances,
   * listed), NOT_FOUND, UNAVAILABLE (agent not connected, exec disabled or unavailable on it, or the agent
   * went away mid-session), FAILED_PRECONDITION (the agent's session limit, the instance is not running
   * or frozen, or the program cannot run), DEADLINE_EXCEEDED (the agent's idle timeout). Every session
   * is an execution (kind `exec`; success when the program exits 0).
   */
  exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_governor_v1_ExecClientFrame, _governor_v1_ExecServerFrame__Output>;
  exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_governor_v1_ExecClientFrame, _governor_v1_ExecServerFrame__Output>;
  
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
   * Recent CPU and memory samples per instance (the master keeps a short history of every instance at the
   * agents' metrics interval), for sparklines.
   * read-only.
   */
  GetMetricsHistory(argument: _governor_v1_MetricsHistoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_MetricsHistoryResponse__Output>): grpc.ClientUnaryCall;
  GetMetricsHistory(argument: _governor_v1_MetricsHistoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_MetricsHistoryResponse__Output>): grpc.ClientUnaryCall;
  GetMetricsHistory(argument: _governor_v1_MetricsHistoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_MetricsHistoryResponse__Output>): grpc.ClientUnaryCall;
  GetMetricsHistory(argument: _governor_v1_MetricsHistoryRequest, callback: grpc.requestCallback<_governor_v1_MetricsHistoryResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Recent CPU and memory samples per instance (the master keeps a short history of every instance at the
   * agents' metrics interval), for sparklines.
   * read-only.
   */
  getMetricsHistory(argument: _governor_v1_MetricsHistoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_MetricsHistoryResponse__Output>): grpc.ClientUnaryCall;
  getMetricsHistory(argument: _governor_v1_MetricsHistoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_MetricsHistoryResponse__Output>): grpc.ClientUnaryCall;
  getMetricsHistory(argument: _governor_v1_MetricsHistoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_MetricsHistoryResponse__Output>): grpc.ClientUnaryCall;
  getMetricsHistory(argument: _governor_v1_MetricsHistoryRequest, callback: grpc.requestCallback<_governor_v1_MetricsHistoryResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * read-only. One rollout by id.
   */
  GetRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _governor_v1_RolloutRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _governor_v1_RolloutRef, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  /**
   * read-only. One rollout by id.
   */
  getRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _governor_v1_RolloutRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _governor_v1_RolloutRef, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  
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
   * Sets or removes an agent's labels (the ones handler selectors match; an agent's own `--labels` are
   * only reported). The agent's assigned specs are pushed to it again when they changed. Refused before
   * anything changes when a newly assigned handler would take the name of a process observed there.
   */
  LabelAgent(argument: _governor_v1_LabelAgentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  LabelAgent(argument: _governor_v1_LabelAgentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  LabelAgent(argument: _governor_v1_LabelAgentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  LabelAgent(argument: _governor_v1_LabelAgentRequest, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Sets or removes an agent's labels (the ones handler selectors match; an agent's own `--labels` are
   * only reported). The agent's assigned specs are pushed to it again when they changed. Refused before
   * anything changes when a newly assigned handler would take the name of a process observed there.
   */
  labelAgent(argument: _governor_v1_LabelAgentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  labelAgent(argument: _governor_v1_LabelAgentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  labelAgent(argument: _governor_v1_LabelAgentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  labelAgent(argument: _governor_v1_LabelAgentRequest, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  
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
   * The masters of an HA cluster (DESIGN §9): who leads, since when, its lease. Any master answers, a
   * follower included.
   * read-only.
   */
  ListMasters(argument: _governor_v1_ListMastersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListMastersResponse__Output>): grpc.ClientUnaryCall;
  ListMasters(argument: _governor_v1_ListMastersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListMastersResponse__Output>): grpc.ClientUnaryCall;
  ListMasters(argument: _governor_v1_ListMastersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListMastersResponse__Output>): grpc.ClientUnaryCall;
  ListMasters(argument: _governor_v1_ListMastersRequest, callback: grpc.requestCallback<_governor_v1_ListMastersResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The masters of an HA cluster (DESIGN §9): who leads, since when, its lease. Any master answers, a
   * follower included.
   * read-only.
   */
  listMasters(argument: _governor_v1_ListMastersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListMastersResponse__Output>): grpc.ClientUnaryCall;
  listMasters(argument: _governor_v1_ListMastersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListMastersResponse__Output>): grpc.ClientUnaryCall;
  listMasters(argument: _governor_v1_ListMastersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListMastersResponse__Output>): grpc.ClientUnaryCall;
  listMasters(argument: _governor_v1_ListMastersRequest, callback: grpc.requestCallback<_governor_v1_ListMastersResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Resource policies (DESIGN §9): every rule's state on the agents (as last reported), filtered by targets.
   * read-only.
   */
  ListPolicies(argument: _governor_v1_ListPoliciesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListPoliciesResponse__Output>): grpc.ClientUnaryCall;
  ListPolicies(argument: _governor_v1_ListPoliciesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListPoliciesResponse__Output>): grpc.ClientUnaryCall;
  ListPolicies(argument: _governor_v1_ListPoliciesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListPoliciesResponse__Output>): grpc.ClientUnaryCall;
  ListPolicies(argument: _governor_v1_ListPoliciesRequest, callback: grpc.requestCallback<_governor_v1_ListPoliciesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Resource policies (DESIGN §9): every rule's state on the agents (as last reported), filtered by targets.
   * read-only.
   */
  listPolicies(argument: _governor_v1_ListPoliciesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListPoliciesResponse__Output>): grpc.ClientUnaryCall;
  listPolicies(argument: _governor_v1_ListPoliciesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListPoliciesResponse__Output>): grpc.ClientUnaryCall;
  listPolicies(argument: _governor_v1_ListPoliciesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListPoliciesResponse__Output>): grpc.ClientUnaryCall;
  listPolicies(argument: _governor_v1_ListPoliciesRequest, callback: grpc.requestCallback<_governor_v1_ListPoliciesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * read-only. Rollouts, newest first.
   */
  ListRollouts(argument: _governor_v1_ListRolloutsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _governor_v1_ListRolloutsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _governor_v1_ListRolloutsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _governor_v1_ListRolloutsRequest, callback: grpc.requestCallback<_governor_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * read-only. Rollouts, newest first.
   */
  listRollouts(argument: _governor_v1_ListRolloutsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _governor_v1_ListRolloutsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _governor_v1_ListRolloutsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _governor_v1_ListRolloutsRequest, callback: grpc.requestCallback<_governor_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Pauses a running rollout before its next batch.
   */
  PauseRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  PauseRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  PauseRollout(argument: _governor_v1_RolloutRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  PauseRollout(argument: _governor_v1_RolloutRef, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  /**
   * Pauses a running rollout before its next batch.
   */
  pauseRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  pauseRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  pauseRollout(argument: _governor_v1_RolloutRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  pauseRollout(argument: _governor_v1_RolloutRef, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  
  /**
   * Resumes a paused rollout (also one interrupted by a master restart).
   */
  ResumeRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  ResumeRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  ResumeRollout(argument: _governor_v1_RolloutRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  ResumeRollout(argument: _governor_v1_RolloutRef, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  /**
   * Resumes a paused rollout (also one interrupted by a master restart).
   */
  resumeRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  resumeRollout(argument: _governor_v1_RolloutRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  resumeRollout(argument: _governor_v1_RolloutRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  resumeRollout(argument: _governor_v1_RolloutRef, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  
  /**
   * Revokes an agent's certificate: it is disconnected and refused from then on (kept across restarts). An
   * id the master has never seen is refused (NOT_FOUND naming the known agents, nothing recorded) unless
   * `unseen` is set. Lifted by UnrevokeAgent. Recorded as an execution of kind `revoke` (agent, issuer,
   * outcome; params `unseen` when set).
   */
  RevokeAgent(argument: _governor_v1_RevokeAgentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _governor_v1_RevokeAgentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _governor_v1_RevokeAgentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _governor_v1_RevokeAgentRequest, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Revokes an agent's certificate: it is disconnected and refused from then on (kept across restarts). An
   * id the master has never seen is refused (NOT_FOUND naming the known agents, nothing recorded) unless
   * `unseen` is set. Lifted by UnrevokeAgent. Recorded as an execution of kind `revoke` (agent, issuer,
   * outcome; params `unseen` when set).
   */
  revokeAgent(argument: _governor_v1_RevokeAgentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _governor_v1_RevokeAgentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _governor_v1_RevokeAgentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _governor_v1_RevokeAgentRequest, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts one rolling restart over a target set of instances (one or many handlers, across agents).
   * Refused while another rollout of any of those handlers is pending, running, paused or rolling back.
   */
  StartRollout(argument: _governor_v1_StartRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _governor_v1_StartRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _governor_v1_StartRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _governor_v1_StartRolloutRequest, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  /**
   * Starts one rolling restart over a target set of instances (one or many handlers, across agents).
   * Refused while another rollout of any of those handlers is pending, running, paused or rolling back.
   */
  startRollout(argument: _governor_v1_StartRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _governor_v1_StartRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _governor_v1_StartRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _governor_v1_StartRolloutRequest, callback: grpc.requestCallback<_governor_v1_Rollout__Output>): grpc.ClientUnaryCall;
  
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
  
  /**
   * Lifts a revocation: the agent's certificate is accepted again (it reconnects at its next dial). An
   * agent revoked before it was ever seen is forgotten again. An unknown id is refused (NOT_FOUND naming
   * the known agents, nothing recorded); an agent that is not revoked is answered as it is, nothing
   * changed. Recorded as an execution of kind `unrevoke`.
   */
  UnrevokeAgent(argument: _governor_v1_AgentRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  UnrevokeAgent(argument: _governor_v1_AgentRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  UnrevokeAgent(argument: _governor_v1_AgentRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  UnrevokeAgent(argument: _governor_v1_AgentRef, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Lifts a revocation: the agent's certificate is accepted again (it reconnects at its next dial). An
   * agent revoked before it was ever seen is forgotten again. An unknown id is refused (NOT_FOUND naming
   * the known agents, nothing recorded); an agent that is not revoked is answered as it is, nothing
   * changed. Recorded as an execution of kind `unrevoke`.
   */
  unrevokeAgent(argument: _governor_v1_AgentRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  unrevokeAgent(argument: _governor_v1_AgentRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  unrevokeAgent(argument: _governor_v1_AgentRef, options: grpc.CallOptions, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  unrevokeAgent(argument: _governor_v1_AgentRef, callback: grpc.requestCallback<_governor_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * A stream of everything that changes (DESIGN §9 Watch): instance state and health, executions,
   * rollout progress, agents connecting and leaving, and (asked for) metrics samples. Each kept event has
   * an index one above the previous; a client resumes from the last index it saw. Events are kept in a
   * bounded ring: a resume from an index the ring no longer holds, or from another master's life (epoch),
   * gets a notice and a fresh snapshot. A client that does not read fast enough is dropped with a notice
   * (its buffer is bounded), never slowing the master. Unknown kinds are refused.
   * read-only.
   */
  Watch(argument: _governor_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_governor_v1_WatchEvent__Output>;
  Watch(argument: _governor_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_governor_v1_WatchEvent__Output>;
  /**
   * A stream of everything that changes (DESIGN §9 Watch): instance state and health, executions,
   * rollout progress, agents connecting and leaving, and (asked for) metrics samples. Each kept event has
   * an index one above the previous; a client resumes from the last index it saw. Events are kept in a
   * bounded ring: a resume from an index the ring no longer holds, or from another master's life (epoch),
   * gets a notice and a fresh snapshot. A client that does not read fast enough is dropped with a notice
   * (its buffer is bounded), never slowing the master. Unknown kinds are refused.
   * read-only.
   */
  watch(argument: _governor_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_governor_v1_WatchEvent__Output>;
  watch(argument: _governor_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_governor_v1_WatchEvent__Output>;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Aborts a rollout: no further batch starts.
   */
  AbortRollout: grpc.handleUnaryCall<_governor_v1_RolloutRef__Output, _governor_v1_Rollout>;
  
  /**
   * Validates and stores handler specs (YAML text), then pushes them to their agents. Refused whole
   * when any spec is invalid; nothing running is touched then.
   */
  Apply: grpc.handleUnaryCall<_governor_v1_ApplyRequest__Output, _governor_v1_ApplyResponse>;
  
  /**
   * Starts observing a process the governor did not start (never signalled). An agent the master has
   * never seen is refused (NOT_FOUND naming field `agent` and the known agents; nothing sent or recorded).
   */
  Attach: grpc.handleUnaryCall<_governor_v1_AttachRequest__Output, _governor_v1_ControlResponse>;
  
  /**
   * Empties the execution log ring buffer (the lifetime counter stays).
   */
  ClearExecutions: grpc.handleUnaryCall<_governor_v1_ClearExecutionsRequest__Output, _governor_v1_ClearExecutionsResponse>;
  
  /**
   * Starts, stops, restarts, ensures or signals a target set of instances: one call for the whole set,
   * the master fans out (one command per agent and handler) and answers every instance's own outcome.
   * Unknown names in the set are refused before anything is sent.
   */
  Control: grpc.handleUnaryCall<_governor_v1_ControlRequest__Output, _governor_v1_ControlResponse>;
  
  /**
   * Removes handlers: their instances are stopped and the specs deleted. Takes a target set of handlers
   * (names, --all, --selector); instance keys and agents are refused (a handler is deleted everywhere).
   */
  DeleteHandler: grpc.handleUnaryCall<_governor_v1_DeleteRequest__Output, _governor_v1_ControlResponse>;
  
  /**
   * Stops observing a process. An unknown agent is refused as by Attach.
   */
  Detach: grpc.handleUnaryCall<_governor_v1_DetachRequest__Output, _governor_v1_ControlResponse>;
  
  /**
   * Runs a command on the agent of ONE instance, in the handler's context (its cwd, environment, user and
   * cgroup): `gov exec`. Admin only (never read-only). The first client frame must be `start`; the master
   * answers `started` once the agent opened the session, then relays frames both ways on the agent's link
   * stream, and ends with one `exit`. Output is flow-controlled: the master lets the agent send only as
   * this stream drains (a slow reader slows the remote program). Refusals end the call with a status:
   * PERMISSION_DENIED (not admin), INVALID_ARGUMENT (bad start, or a target matching several instances,
   * listed), NOT_FOUND, UNAVAILABLE (agent not connected, exec disabled or unavailable on it, or the agent
   * went away mid-session), FAILED_PRECONDITION (the agent's session limit, the instance is not running
   * or frozen, or the program cannot run), DEADLINE_EXCEEDED (the agent's idle timeout). Every session
   * is an execution (kind `exec`; success when the program exits 0).
   */
  Exec: grpc.handleBidiStreamingCall<_governor_v1_ExecClientFrame__Output, _governor_v1_ExecServerFrame>;
  
  /**
   * read-only. Current metrics from the agents, plus fleet telemetry.
   */
  GetMetrics: grpc.handleUnaryCall<_governor_v1_MetricsRequest__Output, _governor_v1_MetricsResponse>;
  
  /**
   * Recent CPU and memory samples per instance (the master keeps a short history of every instance at the
   * agents' metrics interval), for sparklines.
   * read-only.
   */
  GetMetricsHistory: grpc.handleUnaryCall<_governor_v1_MetricsHistoryRequest__Output, _governor_v1_MetricsHistoryResponse>;
  
  /**
   * read-only. One rollout by id.
   */
  GetRollout: grpc.handleUnaryCall<_governor_v1_RolloutRef__Output, _governor_v1_Rollout>;
  
  /**
   * read-only. Execution statistics.
   */
  GetStats: grpc.handleUnaryCall<_governor_v1_StatsRequest__Output, _governor_v1_ExecutionStats>;
  
  /**
   * Sets or removes an agent's labels (the ones handler selectors match; an agent's own `--labels` are
   * only reported). The agent's assigned specs are pushed to it again when they changed. Refused before
   * anything changes when a newly assigned handler would take the name of a process observed there.
   */
  LabelAgent: grpc.handleUnaryCall<_governor_v1_LabelAgentRequest__Output, _governor_v1_AgentInfo>;
  
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
   * The masters of an HA cluster (DESIGN §9): who leads, since when, its lease. Any master answers, a
   * follower included.
   * read-only.
   */
  ListMasters: grpc.handleUnaryCall<_governor_v1_ListMastersRequest__Output, _governor_v1_ListMastersResponse>;
  
  /**
   * Resource policies (DESIGN §9): every rule's state on the agents (as last reported), filtered by targets.
   * read-only.
   */
  ListPolicies: grpc.handleUnaryCall<_governor_v1_ListPoliciesRequest__Output, _governor_v1_ListPoliciesResponse>;
  
  /**
   * read-only. Rollouts, newest first.
   */
  ListRollouts: grpc.handleUnaryCall<_governor_v1_ListRolloutsRequest__Output, _governor_v1_ListRolloutsResponse>;
  
  /**
   * Pauses a running rollout before its next batch.
   */
  PauseRollout: grpc.handleUnaryCall<_governor_v1_RolloutRef__Output, _governor_v1_Rollout>;
  
  /**
   * Resumes a paused rollout (also one interrupted by a master restart).
   */
  ResumeRollout: grpc.handleUnaryCall<_governor_v1_RolloutRef__Output, _governor_v1_Rollout>;
  
  /**
   * Revokes an agent's certificate: it is disconnected and refused from then on (kept across restarts). An
   * id the master has never seen is refused (NOT_FOUND naming the known agents, nothing recorded) unless
   * `unseen` is set. Lifted by UnrevokeAgent. Recorded as an execution of kind `revoke` (agent, issuer,
   * outcome; params `unseen` when set).
   */
  RevokeAgent: grpc.handleUnaryCall<_governor_v1_RevokeAgentRequest__Output, _governor_v1_AgentInfo>;
  
  /**
   * Starts one rolling restart over a target set of instances (one or many handlers, across agents).
   * Refused while another rollout of any of those handlers is pending, running, paused or rolling back.
   */
  StartRollout: grpc.handleUnaryCall<_governor_v1_StartRolloutRequest__Output, _governor_v1_Rollout>;
  
  /**
   * read-only. Last lines of an instance's stdout/stderr.
   */
  TailLogs: grpc.handleUnaryCall<_governor_v1_TailLogsRequest__Output, _governor_v1_TailLogsResponse>;
  
  /**
   * Lifts a revocation: the agent's certificate is accepted again (it reconnects at its next dial). An
   * agent revoked before it was ever seen is forgotten again. An unknown id is refused (NOT_FOUND naming
   * the known agents, nothing recorded); an agent that is not revoked is answered as it is, nothing
   * changed. Recorded as an execution of kind `unrevoke`.
   */
  UnrevokeAgent: grpc.handleUnaryCall<_governor_v1_AgentRef__Output, _governor_v1_AgentInfo>;
  
  /**
   * A stream of everything that changes (DESIGN §9 Watch): instance state and health, executions,
   * rollout progress, agents connecting and leaving, and (asked for) metrics samples. Each kept event has
   * an index one above the previous; a client resumes from the last index it saw. Events are kept in a
   * bounded ring: a resume from an index the ring no longer holds, or from another master's life (epoch),
   * gets a notice and a fresh snapshot. A client that does not read fast enough is dropped with a notice
   * (its buffer is bounded), never slowing the master. Unknown kinds are refused.
   * read-only.
   */
  Watch: grpc.handleServerStreamingCall<_governor_v1_WatchRequest__Output, _governor_v1_WatchEvent>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  AbortRollout: MethodDefinition<_governor_v1_RolloutRef, _governor_v1_Rollout, _governor_v1_RolloutRef__Output, _governor_v1_Rollout__Output>
  Apply: MethodDefinition<_governor_v1_ApplyRequest, _governor_v1_ApplyResponse, _governor_v1_ApplyRequest__Output, _governor_v1_ApplyResponse__Output>
  Attach: MethodDefinition<_governor_v1_AttachRequest, _governor_v1_ControlResponse, _governor_v1_AttachRequest__Output, _governor_v1_ControlResponse__Output>
  ClearExecutions: MethodDefinition<_governor_v1_ClearExecutionsRequest, _governor_v1_ClearExecutionsResponse, _governor_v1_ClearExecutionsRequest__Output, _governor_v1_ClearExecutionsResponse__Output>
  Control: MethodDefinition<_governor_v1_ControlRequest, _governor_v1_ControlResponse, _governor_v1_ControlRequest__Output, _governor_v1_ControlResponse__Output>
  DeleteHandler: MethodDefinition<_governor_v1_DeleteRequest, _governor_v1_ControlResponse, _governor_v1_DeleteRequest__Output, _governor_v1_ControlResponse__Output>
  Detach: MethodDefinition<_governor_v1_DetachRequest, _governor_v1_ControlResponse, _governor_v1_DetachRequest__Output, _governor_v1_ControlResponse__Output>
  Exec: MethodDefinition<_governor_v1_ExecClientFrame, _governor_v1_ExecServerFrame, _governor_v1_ExecClientFrame__Output, _governor_v1_ExecServerFrame__Output>
  GetMetrics: MethodDefinition<_governor_v1_MetricsRequest, _governor_v1_MetricsResponse, _governor_v1_MetricsRequest__Output, _governor_v1_MetricsResponse__Output>
  GetMetricsHistory: MethodDefinition<_governor_v1_MetricsHistoryRequest, _governor_v1_MetricsHistoryResponse, _governor_v1_MetricsHistoryRequest__Output, _governor_v1_MetricsHistoryResponse__Output>
  GetRollout: MethodDefinition<_governor_v1_RolloutRef, _governor_v1_Rollout, _governor_v1_RolloutRef__Output, _governor_v1_Rollout__Output>
  GetStats: MethodDefinition<_governor_v1_StatsRequest, _governor_v1_ExecutionStats, _governor_v1_StatsRequest__Output, _governor_v1_ExecutionStats__Output>
  LabelAgent: MethodDefinition<_governor_v1_LabelAgentRequest, _governor_v1_AgentInfo, _governor_v1_LabelAgentRequest__Output, _governor_v1_AgentInfo__Output>
  ListAgents: MethodDefinition<_governor_v1_ListAgentsRequest, _governor_v1_ListAgentsResponse, _governor_v1_ListAgentsRequest__Output, _governor_v1_ListAgentsResponse__Output>
  ListExecutions: MethodDefinition<_governor_v1_ListExecutionsRequest, _governor_v1_ListExecutionsResponse, _governor_v1_ListExecutionsRequest__Output, _governor_v1_ListExecutionsResponse__Output>
  ListInstances: MethodDefinition<_governor_v1_ListInstancesRequest, _governor_v1_ListInstancesResponse, _governor_v1_ListInstancesRequest__Output, _governor_v1_ListInstancesResponse__Output>
  ListMasters: MethodDefinition<_governor_v1_ListMastersRequest, _governor_v1_ListMastersResponse, _governor_v1_ListMastersRequest__Output, _governor_v1_ListMastersResponse__Output>
  ListPolicies: MethodDefinition<_governor_v1_ListPoliciesRequest, _governor_v1_ListPoliciesResponse, _governor_v1_ListPoliciesRequest__Output, _governor_v1_ListPoliciesResponse__Output>
  ListRollouts: MethodDefinition<_governor_v1_ListRolloutsRequest, _governor_v1_ListRolloutsResponse, _governor_v1_ListRolloutsRequest__Output, _governor_v1_ListRolloutsResponse__Output>
  PauseRollout: MethodDefinition<_governor_v1_RolloutRef, _governor_v1_Rollout, _governor_v1_RolloutRef__Output, _governor_v1_Rollout__Output>
  ResumeRollout: MethodDefinition<_governor_v1_RolloutRef, _governor_v1_Rollout, _governor_v1_RolloutRef__Output, _governor_v1_Rollout__Output>
  RevokeAgent: MethodDefinition<_governor_v1_RevokeAgentRequest, _governor_v1_AgentInfo, _governor_v1_RevokeAgentRequest__Output, _governor_v1_AgentInfo__Output>
  StartRollout: MethodDefinition<_governor_v1_StartRolloutRequest, _governor_v1_Rollout, _governor_v1_StartRolloutRequest__Output, _governor_v1_Rollout__Output>
  TailLogs: MethodDefinition<_governor_v1_TailLogsRequest, _governor_v1_TailLogsResponse, _governor_v1_TailLogsRequest__Output, _governor_v1_TailLogsResponse__Output>
  UnrevokeAgent: MethodDefinition<_governor_v1_AgentRef, _governor_v1_AgentInfo, _governor_v1_AgentRef__Output, _governor_v1_AgentInfo__Output>
  Watch: MethodDefinition<_governor_v1_WatchRequest, _governor_v1_WatchEvent, _governor_v1_WatchRequest__Output, _governor_v1_WatchEvent__Output>
}
