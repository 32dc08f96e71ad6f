import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _governor_v1_AdminClient, AdminDefinition as _governor_v1_AdminDefinition } from './governor/v1/Admin.js';
import type { AgentInfo as _governor_v1_AgentInfo, AgentInfo__Output as _governor_v1_AgentInfo__Output } from './governor/v1/AgentInfo.js';
import type { AgentMetrics as _governor_v1_AgentMetrics, AgentMetrics__Output as _governor_v1_AgentMetrics__Output } from './governor/v1/AgentMetrics.js';
import type { AgentPolicies as _governor_v1_AgentPolicies, AgentPolicies__Output as _governor_v1_AgentPolicies__Output } from './governor/v1/AgentPolicies.js';
import type { AgentRef as _governor_v1_AgentRef, AgentRef__Output as _governor_v1_AgentRef__Output } from './governor/v1/AgentRef.js';
import type { AppliedHandler as _governor_v1_AppliedHandler, AppliedHandler__Output as _governor_v1_AppliedHandler__Output } from './governor/v1/AppliedHandler.js';
import type { ApplyRequest as _governor_v1_ApplyRequest, ApplyRequest__Output as _governor_v1_ApplyRequest__Output } from './governor/v1/ApplyRequest.js';
import type { ApplyResponse as _governor_v1_ApplyResponse, ApplyResponse__Output as _governor_v1_ApplyResponse__Output } from './governor/v1/ApplyResponse.js';
import type { AttachRequest as _governor_v1_AttachRequest, AttachRequest__Output as _governor_v1_AttachRequest__Output } from './governor/v1/AttachRequest.js';
import type { ClearExecutionsRequest as _governor_v1_ClearExecutionsRequest, ClearExecutionsRequest__Output as _governor_v1_ClearExecutionsRequest__Output } from './governor/v1/ClearExecutionsRequest.js';
import type { ClearExecutionsResponse as _governor_v1_ClearExecutionsResponse, ClearExecutionsResponse__Output as _governor_v1_ClearExecutionsResponse__Output } from './governor/v1/ClearExecutionsResponse.js';
import type { ControlRequest as _governor_v1_ControlRequest, ControlRequest__Output as _governor_v1_ControlRequest__Output } from './governor/v1/ControlRequest.js';
import type { ControlResponse as _governor_v1_ControlResponse, ControlResponse__Output as _governor_v1_ControlResponse__Output } from './governor/v1/ControlResponse.js';
import type { DeleteRequest as _governor_v1_DeleteRequest, DeleteRequest__Output as _governor_v1_DeleteRequest__Output } from './governor/v1/DeleteRequest.js';
import type { DetachRequest as _governor_v1_DetachRequest, DetachRequest__Output as _governor_v1_DetachRequest__Output } from './governor/v1/DetachRequest.js';
import type { ErrorInfo as _governor_v1_ErrorInfo, ErrorInfo__Output as _governor_v1_ErrorInfo__Output } from './governor/v1/ErrorInfo.js';
import type { ExecClientFrame as _governor_v1_ExecClientFrame, ExecClientFrame__Output as _governor_v1_ExecClientFrame__Output } from './governor/v1/ExecClientFrame.js';
import type { ExecExit as _governor_v1_ExecExit, ExecExit__Output as _governor_v1_ExecExit__Output } from './governor/v1/ExecExit.js';
import type { ExecResize as _governor_v1_ExecResize, ExecResize__Output as _governor_v1_ExecResize__Output } from './governor/v1/ExecResize.js';
import type { ExecServerFrame as _governor_v1_ExecServerFrame, ExecServerFrame__Output as _governor_v1_ExecServerFrame__Output } from './governor/v1/ExecServerFrame.js';
import type { ExecStart as _governor_v1_ExecStart, ExecStart__Output as _governor_v1_ExecStart__Output } from './governor/v1/ExecStart.js';
import type { ExecStarted as _governor_v1_ExecStarted, ExecStarted__Output as _governor_v1_ExecStarted__Output } from './governor/v1/ExecStarted.js';
import type { ExecutionRecord as _governor_v1_ExecutionRecord, ExecutionRecord__Output as _governor_v1_ExecutionRecord__Output } from './governor/v1/ExecutionRecord.js';
import type { ExecutionStats as _governor_v1_ExecutionStats, ExecutionStats__Output as _governor_v1_ExecutionStats__Output } from './governor/v1/ExecutionStats.js';
import type { ExitInfo as _governor_v1_ExitInfo, ExitInfo__Output as _governor_v1_ExitInfo__Output } from './governor/v1/ExitInfo.js';
import type { GovernorTelemetry as _governor_v1_GovernorTelemetry, GovernorTelemetry__Output as _governor_v1_GovernorTelemetry__Output } from './governor/v1/GovernorTelemetry.js';
import type { GroupStats as _governor_v1_GroupStats, GroupStats__Output as _governor_v1_GroupStats__Output } from './governor/v1/GroupStats.js';
import type { HostMetrics as _governor_v1_HostMetrics, HostMetrics__Output as _governor_v1_HostMetrics__Output } from './governor/v1/HostMetrics.js';
import type { InstanceChange as _governor_v1_InstanceChange, InstanceChange__Output as _governor_v1_InstanceChange__Output } from './governor/v1/InstanceChange.js';
import type { InstanceHistory as _governor_v1_InstanceHistory, InstanceHistory__Output as _governor_v1_InstanceHistory__Output } from './governor/v1/InstanceHistory.js';
import type { InstanceInfo as _governor_v1_InstanceInfo, InstanceInfo__Output as _governor_v1_InstanceInfo__Output } from './governor/v1/InstanceInfo.js';
import type { InstanceMetrics as _governor_v1_InstanceMetrics, InstanceMetrics__Output as _governor_v1_InstanceMetrics__Output } from './governor/v1/InstanceMetrics.js';
import type { InstanceMetricsInfo as _governor_v1_InstanceMetricsInfo, InstanceMetricsInfo__Output as _governor_v1_InstanceMetricsInfo__Output } from './governor/v1/InstanceMetricsInfo.js';
import type { InstanceOutcome as _governor_v1_InstanceOutcome, InstanceOutcome__Output as _governor_v1_InstanceOutcome__Output } from './governor/v1/InstanceOutcome.js';
import type { InstanceStatus as _governor_v1_InstanceStatus, InstanceStatus__Output as _governor_v1_InstanceStatus__Output } from './governor/v1/InstanceStatus.js';
import type { LabelAgentRequest as _governor_v1_LabelAgentRequest, LabelAgentRequest__Output as _governor_v1_LabelAgentRequest__Output } from './governor/v1/LabelAgentRequest.js';
import type { LifecycleEvent as _governor_v1_LifecycleEvent, LifecycleEvent__Output as _governor_v1_LifecycleEvent__Output } from './governor/v1/LifecycleEvent.js';
import type { ListAgentsRequest as _governor_v1_ListAgentsRequest, ListAgentsRequest__Output as _governor_v1_ListAgentsRequest__Output } from './governor/v1/ListAgentsRequest.js';
import type { ListAgentsResponse as _governor_v1_ListAgentsResponse, ListAgentsResponse__Output as _governor_v1_ListAgentsResponse__Output } from './governor/v1/ListAgentsResponse.js';
import type { ListExecutionsRequest as _governor_v1_ListExecutionsRequest, ListExecutionsRequest__Output as _governor_v1_ListExecutionsRequest__Output } from './governor/v1/ListExecutionsRequest.js';
import type { ListExecutionsResponse as _governor_v1_ListExecutionsResponse, ListExecutionsResponse__Output as _governor_v1_ListExecutionsResponse__Output } from './governor/v1/ListExecutionsResponse.js';
import type { ListInstancesRequest as _governor_v1_ListInstancesRequest, ListInstancesRequest__Output as _governor_v1_ListInstancesRequest__Output } from './governor/v1/ListInstancesRequest.js';
import type { ListInstancesResponse as _governor_v1_ListInstancesResponse, ListInstancesResponse__Output as _governor_v1_ListInstancesResponse__Output } from './governor/v1/ListInstancesResponse.js';
import type { ListMastersRequest as _governor_v1_ListMastersRequest, ListMastersRequest__Output as _governor_v1_ListMastersRequest__Output } from './governor/v1/ListMastersRequest.js';
import type { ListMastersResponse as _governor_v1_ListMastersResponse, ListMastersResponse__Output as _governor_v1_ListMastersResponse__Output } from './governor/v1/ListMastersResponse.js';
import type { ListPoliciesRequest as _governor_v1_ListPoliciesRequest, ListPoliciesRequest__Output as _governor_v1_ListPoliciesRequest__Output } from './governor/v1/ListPoliciesRequest.js';
import type { ListPoliciesResponse as _governor_v1_ListPoliciesResponse, ListPoliciesResponse__Output as _governor_v1_ListPoliciesResponse__Output } from './governor/v1/ListPoliciesResponse.js';
import type { ListRolloutsRequest as _governor_v1_ListRolloutsRequest, ListRolloutsRequest__Output as _governor_v1_ListRolloutsRequest__Output } from './governor/v1/ListRolloutsRequest.js';
import type { ListRolloutsResponse as _governor_v1_ListRolloutsResponse, ListRolloutsResponse__Output as _governor_v1_ListRolloutsResponse__Output } from './governor/v1/ListRolloutsResponse.js';
import type { MasterInfo as _governor_v1_MasterInfo, MasterInfo__Output as _governor_v1_MasterInfo__Output } from './governor/v1/MasterInfo.js';
import type { MetricsHistoryRequest as _governor_v1_MetricsHistoryRequest, MetricsHistoryRequest__Output as _governor_v1_MetricsHistoryRequest__Output } from './governor/v1/MetricsHistoryRequest.js';
import type { MetricsHistoryResponse as _governor_v1_MetricsHistoryResponse, MetricsHistoryResponse__Output as _governor_v1_MetricsHistoryResponse__Output } from './governor/v1/MetricsHistoryResponse.js';
import type { MetricsRequest as _governor_v1_MetricsRequest, MetricsRequest__Output as _governor_v1_MetricsRequest__Output } from './governor/v1/MetricsRequest.js';
import type { MetricsResponse as _governor_v1_MetricsResponse, MetricsResponse__Output as _governor_v1_MetricsResponse__Output } from './governor/v1/MetricsResponse.js';
import type { MetricsSample as _governor_v1_MetricsSample, MetricsSample__Output as _governor_v1_MetricsSample__Output } from './governor/v1/MetricsSample.js';
import type { PolicyCounters as _governor_v1_PolicyCounters, PolicyCounters__Output as _governor_v1_PolicyCounters__Output } from './governor/v1/PolicyCounters.js';
import type { PolicyRuleState as _governor_v1_PolicyRuleState, PolicyRuleState__Output as _governor_v1_PolicyRuleState__Output } from './governor/v1/PolicyRuleState.js';
import type { PolicyTransition as _governor_v1_PolicyTransition, PolicyTransition__Output as _governor_v1_PolicyTransition__Output } from './governor/v1/PolicyTransition.js';
import type { RevokeAgentRequest as _governor_v1_RevokeAgentRequest, RevokeAgentRequest__Output as _governor_v1_RevokeAgentRequest__Output } from './governor/v1/RevokeAgentRequest.js';
import type { Rollout as _governor_v1_Rollout, Rollout__Output as _governor_v1_Rollout__Output } from './governor/v1/Rollout.js';
import type { RolloutBatch as _governor_v1_RolloutBatch, RolloutBatch__Output as _governor_v1_RolloutBatch__Output } from './governor/v1/RolloutBatch.js';
import type { RolloutHandler as _governor_v1_RolloutHandler, RolloutHandler__Output as _governor_v1_RolloutHandler__Output } from './governor/v1/RolloutHandler.js';
import type { RolloutInstance as _governor_v1_RolloutInstance, RolloutInstance__Output as _governor_v1_RolloutInstance__Output } from './governor/v1/RolloutInstance.js';
import type { RolloutRef as _governor_v1_RolloutRef, RolloutRef__Output as _governor_v1_RolloutRef__Output } from './governor/v1/RolloutRef.js';
import type { StartRolloutRequest as _governor_v1_StartRolloutRequest, StartRolloutRequest__Output as _governor_v1_StartRolloutRequest__Output } from './governor/v1/StartRolloutRequest.js';
import type { StatsRequest as _governor_v1_StatsRequest, StatsRequest__Output as _governor_v1_StatsRequest__Output } from './governor/v1/StatsRequest.js';
import type { TailLogsRequest as _governor_v1_TailLogsRequest, TailLogsRequest__Output as _governor_v1_TailLogsRequest__Output } from './governor/v1/TailLogsRequest.js';
import type { TailLogsResponse as _governor_v1_TailLogsResponse, TailLogsResponse__Output as _governor_v1_TailLogsResponse__Output } from './governor/v1/TailLogsResponse.js';
import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from './governor/v1/TargetSet.js';
import type { WatchEvent as _governor_v1_WatchEvent, WatchEvent__Output as _governor_v1_WatchEvent__Output } from './governor/v1/WatchEvent.js';
import type { WatchNotice as _governor_v1_WatchNotice, WatchNotice__Output as _governor_v1_WatchNotice__Output } from './governor/v1/WatchNotice.js';
import type { WatchRequest as _governor_v1_WatchRequest, WatchRequest__Output as _governor_v1_WatchRequest__Output } from './governor/v1/WatchRequest.js';
import type { WatchSnapshot as _governor_v1_WatchSnapshot, WatchSnapshot__Output as _governor_v1_WatchSnapshot__Output } from './governor/v1/WatchSnapshot.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  governor: {
    v1: {
      Admin: SubtypeConstructor<typeof grpc.Client, _governor_v1_AdminClient> & { service: _governor_v1_AdminDefinition }
      AgentInfo: MessageTypeDefinition<_governor_v1_AgentInfo, _governor_v1_AgentInfo__Output>
      AgentMetrics: MessageTypeDefinition<_governor_v1_AgentMetrics, _governor_v1_AgentMetrics__Output>
      AgentPolicies: MessageTypeDefinition<_governor_v1_AgentPolicies, _governor_v1_AgentPolicies__Output>
      AgentRef: MessageTypeDefinition<_governor_v1_AgentRef, _governor_v1_AgentRef__Output>
      AppliedHandler: MessageTypeDefinition<_governor_v1_AppliedHandler, _governor_v1_AppliedHandler__Output>
      ApplyRequest: MessageTypeDefinition<_governor_v1_ApplyRequest, _governor_v1_ApplyRequest__Output>
      ApplyResponse: MessageTypeDefinition<_governor_v1_ApplyResponse, _governor_v1_ApplyResponse__Output>
      AttachRequest: MessageTypeDefinition<_governor_v1_AttachRequest, _governor_v1_AttachRequest__Output>
      ClearExecutionsRequest: MessageTypeDefinition<_governor_v1_ClearExecutionsRequest, _governor_v1_ClearExecutionsRequest__Output>
      ClearExecutionsResponse: MessageTypeDefinition<_governor_v1_ClearExecutionsResponse, _governor_v1_ClearExecutionsResponse__Output>
      ControlRequest: MessageTypeDefinition<_governor_v1_ControlRequest, _governor_v1_ControlRequest__Output>
      ControlResponse: MessageTypeDefinition<_governor_v1_ControlResponse, _governor_v1_ControlResponse__Output>
      DeleteRequest: MessageTypeDefinition<_governor_v1_DeleteRequest, _governor_v1_DeleteRequest__Output>
      DetachRequest: MessageTypeDefinition<_governor_v1_DetachRequest, _governor_v1_DetachRequest__Output>
      ErrorInfo: MessageTypeDefinition<_governor_v1_ErrorInfo, _governor_v1_ErrorInfo__Output>
      ExecClientFrame: MessageTypeDefinition<_governor_v1_ExecClientFrame, _governor_v1_ExecClientFrame__Output>
      ExecExit: MessageTypeDefinition<_governor_v1_ExecExit, _governor_v1_ExecExit__Output>
      ExecResize: MessageTypeDefinition<_governor_v1_ExecResize, _governor_v1_ExecResize__Output>
      ExecServerFrame: MessageTypeDefinition<_governor_v1_ExecServerFrame, _governor_v1_ExecServerFrame__Output>
      ExecStart: MessageTypeDefinition<_governor_v1_ExecStart, _governor_v1_ExecStart__Output>
      ExecStarted: MessageTypeDefinition<_governor_v1_ExecStarted, _governor_v1_ExecStarted__Output>
      ExecutionRecord: MessageTypeDefinition<_governor_v1_ExecutionRecord, _governor_v1_ExecutionRecord__Output>
      ExecutionStats: MessageTypeDefinition<_governor_v1_ExecutionStats, _governor_v1_ExecutionStats__Output>
      ExitInfo: MessageTypeDefinition<_governor_v1_ExitInfo, _governor_v1_ExitInfo__Output>
      GovernorTelemetry: MessageTypeDefinition<_governor_v1_GovernorTelemetry, _governor_v1_GovernorTelemetry__Output>
      GroupStats: MessageTypeDefinition<_governor_v1_GroupStats, _governor_v1_GroupStats__Output>
      HostMetrics: MessageTypeDefinition<_governor_v1_HostMetrics, _governor_v1_HostMetrics__Output>
      InstanceChange: MessageTypeDefinition<_governor_v1_InstanceChange, _governor_v1_InstanceChange__Output>
      InstanceHistory: MessageTypeDefinition<_governor_v1_InstanceHistory, _governor_v1_InstanceHistory__Output>
      InstanceInfo: MessageTypeDefinition<_governor_v1_InstanceInfo, _governor_v1_InstanceInfo__Output>
      InstanceMetrics: MessageTypeDefinition<_governor_v1_InstanceMetrics, _governor_v1_InstanceMetrics__Output>
      InstanceMetricsInfo: MessageTypeDefinition<_governor_v1_InstanceMetricsInfo, _governor_v1_InstanceMetricsInfo__Output>
      InstanceOutcome: MessageTypeDefinition<_governor_v1_InstanceOutcome, _governor_v1_InstanceOutcome__Output>
      InstanceStatus: MessageTypeDefinition<_governor_v1_InstanceStatus, _governor_v1_InstanceStatus__Output>
      LabelAgentRequest: MessageTypeDefinition<_governor_v1_LabelAgentRequest, _governor_v1_LabelAgentRequest__Output>
      LifecycleEvent: MessageTypeDefinition<_governor_v1_LifecycleEvent, _governor_v1_LifecycleEvent__Output>
      ListAgentsRequest: MessageTypeDefinition<_governor_v1_ListAgentsRequest, _governor_v1_ListAgentsRequest__Output>
      ListAgentsResponse: MessageTypeDefinition<_governor_v1_ListAgentsResponse, _governor_v1_ListAgentsResponse__Output>
      ListExecutionsRequest: MessageTypeDefinition<_governor_v1_ListExecutionsRequest, _governor_v1_ListExecutionsRequest__Output>
      ListExecutionsResponse: MessageTypeDefinition<_governor_v1_ListExecutionsResponse, _governor_v1_ListExecutionsResponse__Output>
      ListInstancesRequest: MessageTypeDefinition<_governor_v1_ListInstancesRequest, _governor_v1_ListInstancesRequest__Output>
      ListInstancesResponse: MessageTypeDefinition<_governor_v1_ListInstancesResponse, _governor_v1_ListInstancesResponse__Output>
      ListMastersRequest: MessageTypeDefinition<_governor_v1_ListMastersRequest, _governor_v1_ListMastersRequest__Output>
      ListMastersResponse: MessageTypeDefinition<_governor_v1_ListMastersResponse, _governor_v1_ListMastersResponse__Output>
      ListPoliciesRequest: MessageTypeDefinition<_governor_v1_ListPoliciesRequest, _governor_v1_ListPoliciesRequest__Output>
      ListPoliciesResponse: MessageTypeDefinition<_governor_v1_ListPoliciesResponse, _governor_v1_ListPoliciesResponse__Output>
      ListRolloutsRequest: MessageTypeDefinition<_governor_v1_ListRolloutsRequest, _governor_v1_ListRolloutsRequest__Output>
      ListRolloutsResponse: MessageTypeDefinition<_governor_v1_ListRolloutsResponse, _governor_v1_ListRolloutsResponse__Output>
      MasterInfo: MessageTypeDefinition<_governor_v1_MasterInfo, _governor_v1_MasterInfo__Output>
      MetricsHistoryRequest: MessageTypeDefinition<_governor_v1_MetricsHistoryRequest, _governor_v1_MetricsHistoryRequest__Output>
      MetricsHistoryResponse: MessageTypeDefinition<_governor_v1_MetricsHistoryResponse, _governor_v1_MetricsHistoryResponse__Output>
      MetricsRequest: MessageTypeDefinition<_governor_v1_MetricsRequest, _governor_v1_MetricsRequest__Output>
      MetricsResponse: MessageTypeDefinition<_governor_v1_MetricsResponse, _governor_v1_MetricsResponse__Output>
      MetricsSample: MessageTypeDefinition<_governor_v1_MetricsSample, _governor_v1_MetricsSample__Output>
      PolicyCounters: MessageTypeDefinition<_governor_v1_PolicyCounters, _governor_v1_PolicyCounters__Output>
      PolicyRuleState: MessageTypeDefinition<_governor_v1_PolicyRuleState, _governor_v1_PolicyRuleState__Output>
      PolicyTransition: MessageTypeDefinition<_governor_v1_PolicyTransition, _governor_v1_PolicyTransition__Output>
      RevokeAgentRequest: MessageTypeDefinition<_governor_v1_RevokeAgentRequest, _governor_v1_RevokeAgentRequest__Output>
      Rollout: MessageTypeDefinition<_governor_v1_Rollout, _governor_v1_Rollout__Output>
      RolloutBatch: MessageTypeDefinition<_governor_v1_RolloutBatch, _governor_v1_RolloutBatch__Output>
      RolloutHandler: MessageTypeDefinition<_governor_v1_RolloutHandler, _governor_v1_RolloutHandler__Output>
      RolloutInstance: MessageTypeDefinition<_governor_v1_RolloutInstance, _governor_v1_RolloutInstance__Output>
      RolloutRef: MessageTypeDefinition<_governor_v1_RolloutRef, _governor_v1_RolloutRef__Output>
      StartRolloutRequest: MessageTypeDefinition<_governor_v1_StartRolloutRequest, _governor_v1_StartRolloutRequest__Output>
      StatsRequest: MessageTypeDefinition<_governor_v1_StatsRequest, _governor_v1_StatsRequest__Output>
      TailLogsRequest: MessageTypeDefinition<_governor_v1_TailLogsRequest, _governor_v1_TailLogsRequest__Output>
      TailLogsResponse: MessageTypeDefinition<_governor_v1_TailLogsResponse, _governor_v1_TailLogsResponse__Output>
      TargetSet: MessageTypeDefinition<_governor_v1_TargetSet, _governor_v1_TargetSet__Output>
      WatchEvent: MessageTypeDefinition<_governor_v1_WatchEvent, _governor_v1_WatchEvent__Output>
      WatchNotice: MessageTypeDefinition<_governor_v1_WatchNotice, _governor_v1_WatchNotice__Output>
      WatchRequest: MessageTypeDefinition<_governor_v1_WatchRequest, _governor_v1_WatchRequest__Output>
      WatchSnapshot: MessageTypeDefinition<_governor_v1_WatchSnapshot, _governor_v1_WatchSnapshot__Output>
    }
  }
}

