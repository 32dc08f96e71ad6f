// Original file: proto/governor/v1/agent_link.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentMessage as _governor_v1_AgentMessage, AgentMessage__Output as _governor_v1_AgentMessage__Output } from '../../governor/v1/AgentMessage.js';
import type { MasterMessage as _governor_v1_MasterMessage, MasterMessage__Output as _governor_v1_MasterMessage__Output } from '../../governor/v1/MasterMessage.js';

export interface AgentLinkClient extends grpc.Client {
  /**
   * Opens the agent's stream. Only a client certificate with OU=agent may call it, and the hello's
   * agent_id must equal the certificate's CN. The first message must be a hello.
   */
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_governor_v1_AgentMessage, _governor_v1_MasterMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_governor_v1_AgentMessage, _governor_v1_MasterMessage__Output>;
  /**
   * Opens the agent's stream. Only a client certificate with OU=agent may call it, and the hello's
   * agent_id must equal the certificate's CN. The first message must be a hello.
   */
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_governor_v1_AgentMessage, _governor_v1_MasterMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_governor_v1_AgentMessage, _governor_v1_MasterMessage__Output>;
  
}

export interface AgentLinkHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Opens the agent's stream. Only a client certificate with OU=agent may call it, and the hello's
   * agent_id must equal the certificate's CN. The first message must be a hello.
   */
  Connect: grpc.handleBidiStreamingCall<_governor_v1_AgentMessage__Output, _governor_v1_MasterMessage>;
  
}

export interface AgentLinkDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_governor_v1_AgentMessage, _governor_v1_MasterMessage, _governor_v1_AgentMessage__Output, _governor_v1_MasterMessage__Output>
}
