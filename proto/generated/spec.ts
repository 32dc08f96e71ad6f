import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Backoff as _governor_v1_Backoff, Backoff__Output as _governor_v1_Backoff__Output } from './governor/v1/Backoff.js';
import type { ExecProbe as _governor_v1_ExecProbe, ExecProbe__Output as _governor_v1_ExecProbe__Output } from './governor/v1/ExecProbe.js';
import type { HandlerSpec as _governor_v1_HandlerSpec, HandlerSpec__Output as _governor_v1_HandlerSpec__Output } from './governor/v1/HandlerSpec.js';
import type { HealthCheck as _governor_v1_HealthCheck, HealthCheck__Output as _governor_v1_HealthCheck__Output } from './governor/v1/HealthCheck.js';
import type { Limits as _governor_v1_Limits, Limits__Output as _governor_v1_Limits__Output } from './governor/v1/Limits.js';
import type { LogRotation as _governor_v1_LogRotation, LogRotation__Output as _governor_v1_LogRotation__Output } from './governor/v1/LogRotation.js';
import type { NameList as _governor_v1_NameList, NameList__Output as _governor_v1_NameList__Output } from './governor/v1/NameList.js';
import type { PolicyAction as _governor_v1_PolicyAction, PolicyAction__Output as _governor_v1_PolicyAction__Output } from './governor/v1/PolicyAction.js';
import type { PolicyCondition as _governor_v1_PolicyCondition, PolicyCondition__Output as _governor_v1_PolicyCondition__Output } from './governor/v1/PolicyCondition.js';
import type { PolicyRule as _governor_v1_PolicyRule, PolicyRule__Output as _governor_v1_PolicyRule__Output } from './governor/v1/PolicyRule.js';
import type { UpdatePolicy as _governor_v1_UpdatePolicy, UpdatePolicy__Output as _governor_v1_UpdatePolicy__Output } from './governor/v1/UpdatePolicy.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  governor: {
    v1: {
      Backoff: MessageTypeDefinition<_governor_v1_Backoff, _governor_v1_Backoff__Output>
      ExecProbe: MessageTypeDefinition<_governor_v1_ExecProbe, _governor_v1_ExecProbe__Output>
      HandlerSpec: MessageTypeDefinition<_governor_v1_HandlerSpec, _governor_v1_HandlerSpec__Output>
      HealthCheck: MessageTypeDefinition<_governor_v1_HealthCheck, _governor_v1_HealthCheck__Output>
      Limits: MessageTypeDefinition<_governor_v1_Limits, _governor_v1_Limits__Output>
      LogRotation: MessageTypeDefinition<_governor_v1_LogRotation, _governor_v1_LogRotation__Output>
      NameList: MessageTypeDefinition<_governor_v1_NameList, _governor_v1_NameList__Output>
      PolicyAction: MessageTypeDefinition<_governor_v1_PolicyAction, _governor_v1_PolicyAction__Output>
      PolicyCondition: MessageTypeDefinition<_governor_v1_PolicyCondition, _governor_v1_PolicyCondition__Output>
      PolicyRule: MessageTypeDefinition<_governor_v1_PolicyRule, _governor_v1_PolicyRule__Output>
      UpdatePolicy: MessageTypeDefinition<_governor_v1_UpdatePolicy, _governor_v1_UpdatePolicy__Output>
    }
  }
}

