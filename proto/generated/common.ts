import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ErrorInfo as _governor_v1_ErrorInfo, ErrorInfo__Output as _governor_v1_ErrorInfo__Output } from './governor/v1/ErrorInfo.js';
import type { ExitInfo as _governor_v1_ExitInfo, ExitInfo__Output as _governor_v1_ExitInfo__Output } from './governor/v1/ExitInfo.js';
import type { HostMetrics as _governor_v1_HostMetrics, HostMetrics__Output as _governor_v1_HostMetrics__Output } from './governor/v1/HostMetrics.js';
import type { InstanceMetrics as _governor_v1_InstanceMetrics, InstanceMetrics__Output as _governor_v1_InstanceMetrics__Output } from './governor/v1/InstanceMetrics.js';
import type { InstanceStatus as _governor_v1_InstanceStatus, InstanceStatus__Output as _governor_v1_InstanceStatus__Output } from './governor/v1/InstanceStatus.js';
import type { LifecycleEvent as _governor_v1_LifecycleEvent, LifecycleEvent__Output as _governor_v1_LifecycleEvent__Output } from './governor/v1/LifecycleEvent.js';
import type { PolicyCounters as _governor_v1_PolicyCounters, PolicyCounters__Output as _governor_v1_PolicyCounters__Output } from './governor/v1/PolicyCounters.js';
import type { PolicyRuleState as _governor_v1_PolicyRuleState, PolicyRuleState__Output as _governor_v1_PolicyRuleState__Output } from './governor/v1/PolicyRuleState.js';
import type { PolicyTransition as _governor_v1_PolicyTransition, PolicyTransition__Output as _governor_v1_PolicyTransition__Output } from './governor/v1/PolicyTransition.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  governor: {
    v1: {
      ErrorInfo: MessageTypeDefinition<_governor_v1_ErrorInfo, _governor_v1_ErrorInfo__Output>
      ExitInfo: MessageTypeDefinition<_governor_v1_ExitInfo, _governor_v1_ExitInfo__Output>
      HostMetrics: MessageTypeDefinition<_governor_v1_HostMetrics, _governor_v1_HostMetrics__Output>
      InstanceMetrics: MessageTypeDefinition<_governor_v1_InstanceMetrics, _governor_v1_InstanceMetrics__Output>
      InstanceStatus: MessageTypeDefinition<_governor_v1_InstanceStatus, _governor_v1_InstanceStatus__Output>
      LifecycleEvent: MessageTypeDefinition<_governor_v1_LifecycleEvent, _governor_v1_LifecycleEvent__Output>
      PolicyCounters: MessageTypeDefinition<_governor_v1_PolicyCounters, _governor_v1_PolicyCounters__Output>
      PolicyRuleState: MessageTypeDefinition<_governor_v1_PolicyRuleState, _governor_v1_PolicyRuleState__Output>
      PolicyTransition: MessageTypeDefinition<_governor_v1_PolicyTransition, _governor_v1_PolicyTransition__Output>
    }
  }
}

