import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentCommand as _governor_v1_AgentCommand, AgentCommand__Output as _governor_v1_AgentCommand__Output } from './governor/v1/AgentCommand.js';
import type { AgentLinkClient as _governor_v1_AgentLinkClient, AgentLinkDefinition as _governor_v1_AgentLinkDefinition } from './governor/v1/AgentLink.js';
import type { AgentMessage as _governor_v1_AgentMessage, AgentMessage__Output as _governor_v1_AgentMessage__Output } from './governor/v1/AgentMessage.js';
import type { Backoff as _governor_v1_Backoff, Backoff__Output as _governor_v1_Backoff__Output } from './governor/v1/Backoff.js';
import type { CommandResult as _governor_v1_CommandResult, CommandResult__Output as _governor_v1_CommandResult__Output } from './governor/v1/CommandResult.js';
import type { ErrorInfo as _governor_v1_ErrorInfo, ErrorInfo__Output as _governor_v1_ErrorInfo__Output } from './governor/v1/ErrorInfo.js';
import type { ExecEnd as _governor_v1_ExecEnd, ExecEnd__Output as _governor_v1_ExecEnd__Output } from './governor/v1/ExecEnd.js';
import type { ExecFrame as _governor_v1_ExecFrame, ExecFrame__Output as _governor_v1_ExecFrame__Output } from './governor/v1/ExecFrame.js';
import type { ExecOpen as _governor_v1_ExecOpen, ExecOpen__Output as _governor_v1_ExecOpen__Output } from './governor/v1/ExecOpen.js';
import type { ExecOpened as _governor_v1_ExecOpened, ExecOpened__Output as _governor_v1_ExecOpened__Output } from './governor/v1/ExecOpened.js';
import type { ExecProbe as _governor_v1_ExecProbe, ExecProbe__Output as _governor_v1_ExecProbe__Output } from './governor/v1/ExecProbe.js';
import type { ExecWindow as _governor_v1_ExecWindow, ExecWindow__Output as _governor_v1_ExecWindow__Output } from './governor/v1/ExecWindow.js';
import type { ExitInfo as _governor_v1_ExitInfo, ExitInfo__Output as _governor_v1_ExitInfo__Output } from './governor/v1/ExitInfo.js';
import type { HandlerSpec as _governor_v1_HandlerSpec, HandlerSpec__Output as _governor_v1_HandlerSpec__Output } from './governor/v1/HandlerSpec.js';
import type { HealthCheck as _governor_v1_HealthCheck, HealthCheck__Output as _governor_v1_HealthCheck__Output } from './governor/v1/HealthCheck.js';
import type { Heartbeat as _governor_v1_Heartbeat, Heartbeat__Output as _governor_v1_Heartbeat__Output } from './governor/v1/Heartbeat.js';
import type { Hello as _governor_v1_Hello, Hello__Output as _governor_v1_Hello__Output } from './governor/v1/Hello.js';
import type { HostMetrics as _governor_v1_HostMetrics, HostMetrics__Output as _governor_v1_HostMetrics__Output } from './governor/v1/HostMetrics.js';
import type { InstanceMetrics as _governor_v1_InstanceMetrics, InstanceMetrics__Output as _governor_v1_InstanceMetrics__Output } from './governor/v1/InstanceMetrics.js';
import type { InstanceStatus as _governor_v1_InstanceStatus, InstanceStatus__Output as _governor_v1_InstanceStatus__Output } from './governor/v1/InstanceStatus.js';
import type { LifecycleEvent as _governor_v1_LifecycleEvent, LifecycleEvent__Output as _governor_v1_LifecycleEvent__Output } from './governor/v1/LifecycleEvent.js';
import type { Limits as _governor_v1_Limits, Limits__Output as _governor_v1_Limits__Output } from './governor/v1/Limits.js';
import type { LocalExecution as _governor_v1_LocalExecution, LocalExecution__Output as _governor_v1_LocalExecution__Output } from './governor/v1/LocalExecution.js';
import type { LocalExecutionAck as _governor_v1_LocalExecutionAck, LocalExecutionAck__Output as _governor_v1_LocalExecutionAck__Output } from './governor/v1/LocalExecutionAck.js';
import type { LogRotation as _governor_v1_LogRotation, LogRotation__Output as _governor_v1_LogRotation__Output } from './governor/v1/LogRotation.js';
import type { MasterMessage as _governor_v1_MasterMessage, MasterMessage__Output as _governor_v1_MasterMessage__Output } from './governor/v1/MasterMessage.js';
import type { MetricsReport as _governor_v1_MetricsReport, MetricsReport__Output as _governor_v1_MetricsReport__Output } from './governor/v1/MetricsReport.js';
import type { NameList as _governor_v1_NameList, NameList__Output as _governor_v1_NameList__Output } from './governor/v1/NameList.js';
import type { PolicyAction as _governor_v1_PolicyAction, PolicyAction__Output as _governor_v1_PolicyAction__Output } from './governor/v1/PolicyAction.js';
import type { PolicyCondition as _governor_v1_PolicyCondition, PolicyCondition__Output as _governor_v1_PolicyCondition__Output } from './governor/v1/PolicyCondition.js';
import type { PolicyCounters as _governor_v1_PolicyCounters, PolicyCounters__Output as _governor_v1_PolicyCounters__Output } from './governor/v1/PolicyCounters.js';
import type { PolicyReport as _governor_v1_PolicyReport, PolicyReport__Output as _governor_v1_PolicyReport__Output } from './governor/v1/PolicyReport.js';
import type { PolicyRule as _governor_v1_PolicyRule, PolicyRule__Output as _governor_v1_PolicyRule__Output } from './governor/v1/PolicyRule.js';
import type { PolicyRuleState as _governor_v1_PolicyRuleState, PolicyRuleState__Output as _governor_v1_PolicyRuleState__Output } from './governor/v1/PolicyRuleState.js';
import type { PolicyTransition as _governor_v1_PolicyTransition, PolicyTransition__Output as _governor_v1_PolicyTransition__Output } from './governor/v1/PolicyTransition.js';
import type { ResultAck as _governor_v1_ResultAck, ResultAck__Output as _governor_v1_ResultAck__Output } from './governor/v1/ResultAck.js';
import type { UpdatePolicy as _governor_v1_UpdatePolicy, UpdatePolicy__Output as _governor_v1_UpdatePolicy__Output } from './governor/v1/UpdatePolicy.js';
import type { Welcome as _governor_v1_Welcome, Welcome__Output as _governor_v1_Welcome__Output } from './governor/v1/Welcome.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  governor: {
    v1: {
      AgentCommand: MessageTypeDefinition<_governor_v1_AgentCommand, _governor_v1_AgentCommand__Output>
      AgentLink: SubtypeConstructor<typeof grpc.Client, _governor_v1_AgentLinkClient> & { service: _governor_v1_AgentLinkDefinition }
      AgentMessage: MessageTypeDefinition<_governor_v1_AgentMessage, _governor_v1_AgentMessage__Output>
      Backoff: MessageTypeDefinition<_governor_v1_Backoff, _governor_v1_Backoff__Output>
      CommandKind: EnumTypeDefinition
      CommandResult: MessageTypeDefinition<_governor_v1_CommandResult, _governor_v1_CommandResult__Output>
      ErrorInfo: MessageTypeDefinition<_governor_v1_ErrorInfo, _governor_v1_ErrorInfo__Output>
      ExecEnd: MessageTypeDefinition<_governor_v1_ExecEnd, _governor_v1_ExecEnd__Output>
      ExecFrame: MessageTypeDefinition<_governor_v1_ExecFrame, _governor_v1_ExecFrame__Output>
      ExecOpen: MessageTypeDefinition<_governor_v1_ExecOpen, _governor_v1_ExecOpen__Output>
      ExecOpened: MessageTypeDefinition<_governor_v1_ExecOpened, _governor_v1_ExecOpened__Output>
      ExecProbe: MessageTypeDefinition<_governor_v1_ExecProbe, _governor_v1_ExecProbe__Output>
      ExecWindow: MessageTypeDefinition<_governor_v1_ExecWindow, _governor_v1_ExecWindow__Output>
      ExitInfo: MessageTypeDefinition<_governor_v1_ExitInfo, _governor_v1_ExitInfo__Output>
      HandlerSpec: MessageTypeDefinition<_governor_v1_HandlerSpec, _governor_v1_HandlerSpec__Output>
      HealthCheck: MessageTypeDefinition<_governor_v1_HealthCheck, _governor_v1_HealthCheck__Output>
      Heartbeat: MessageTypeDefinition<_governor_v1_Heartbeat, _governor_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_governor_v1_Hello, _governor_v1_Hello__Output>
      HostMetrics: MessageTypeDefinition<_governor_v1_HostMetrics, _governor_v1_HostMetrics__Output>
      InstanceMetrics: MessageTypeDefinition<_governor_v1_InstanceMetrics, _governor_v1_InstanceMetrics__Output>
      InstanceStatus: MessageTypeDefinition<_governor_v1_InstanceStatus, _governor_v1_InstanceStatus__Output>
      LifecycleEvent: MessageTypeDefinition<_governor_v1_LifecycleEvent, _governor_v1_LifecycleEvent__Output>
      Limits: MessageTypeDefinition<_governor_v1_Limits, _governor_v1_Limits__Output>
      LocalExecution: MessageTypeDefinition<_governor_v1_LocalExecution, _governor_v1_LocalExecution__Output>
      LocalExecutionAck: MessageTypeDefinition<_governor_v1_LocalExecutionAck, _governor_v1_LocalExecutionAck__Output>
      LogRotation: MessageTypeDefinition<_governor_v1_LogRotation, _governor_v1_LogRotation__Output>
      MasterMessage: MessageTypeDefinition<_governor_v1_MasterMessage, _governor_v1_MasterMessage__Output>
      MetricsReport: MessageTypeDefinition<_governor_v1_MetricsReport, _governor_v1_MetricsReport__Output>
      NameList: MessageTypeDefinition<_governor_v1_NameList, _governor_v1_NameList__Output>
      PolicyAction: MessageTypeDefinition<_governor_v1_PolicyAction, _governor_v1_PolicyAction__Output>
      PolicyCondition: MessageTypeDefinition<_governor_v1_PolicyCondition, _governor_v1_PolicyCondition__Output>
      PolicyCounters: MessageTypeDefinition<_governor_v1_PolicyCounters, _governor_v1_PolicyCounters__Output>
      PolicyReport: MessageTypeDefinition<_governor_v1_PolicyReport, _governor_v1_PolicyReport__Output>
      PolicyRule: MessageTypeDefinition<_governor_v1_PolicyRule, _governor_v1_PolicyRule__Output>
      PolicyRuleState: MessageTypeDefinition<_governor_v1_PolicyRuleState, _governor_v1_PolicyRuleState__Output>
      PolicyTransition: MessageTypeDefinition<_governor_v1_PolicyTransition, _governor_v1_PolicyTransition__Output>
      ResultAck: MessageTypeDefinition<_governor_v1_ResultAck, _governor_v1_ResultAck__Output>
      UpdatePolicy: MessageTypeDefinition<_governor_v1_UpdatePolicy, _governor_v1_UpdatePolicy__Output>
      Welcome: MessageTypeDefinition<_governor_v1_Welcome, _governor_v1_Welcome__Output>
    }
  }
}

