/**
 * Messages put through the real agent-link codec (the serializers grpc-js uses on the stream), so a test
 * sees exactly what the other side reads: unset fields with their defaults, maps and oneofs as decoded.
 */
import type { AgentMessage, AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type {
  MasterMessage,
  MasterMessage__Output,
} from '../../proto/generated/governor/v1/MasterMessage.js';
import { loadProtos } from '../../shared/proto.js';

const connect = () => loadProtos().link.governor.v1.AgentLink.service.Connect;

/** An agent's message as the master reads it. */
export function fromAgent(msg: AgentMessage): AgentMessage__Output {
  const c = connect();
  return c.requestDeserialize(c.requestSerialize(msg));
}

/** A master's message as the agent reads it. */
export function fromMaster(msg: MasterMessage): MasterMessage__Output {
  const c = connect();
  return c.responseDeserialize(c.responseSerialize(msg));
}
