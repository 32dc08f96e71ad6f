/**
 * Messages put through the real agent-link codec (the serializers grpc-js uses on the stream), so a test
 * sees exactly what the other side reads: unset fields with their defaults, maps and oneofs as decoded.
 */
import type { AgentMessage, AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type {
  MasterMessage,
  MasterMessage__Output,
} from '../../proto/generated/governor/v1/MasterMessage.js';
import type { ExecFrame, ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import type {
  ExecServerFrame,
  ExecServerFrame__Output,
} from '../../proto/generated/governor/v1/ExecServerFrame.js';
import { fieldNumber, loadProtos } from '../../shared/proto.js';
import { Encoded, messageField } from '../../shared/wire-bytes.js';

const connect = () => loadProtos().link.governor.v1.AgentLink.service.Connect;

/** An agent's message as the master reads it. */
export function fromAgent(msg: AgentMessage | Encoded): AgentMessage__Output {
  const c = connect();
  return c.requestDeserialize(c.requestSerialize(msg as AgentMessage));
}

/** An exec frame the agent's sessions send (an object, or output as wire bytes) as the master reads it. */
export function execFromAgent(frame: ExecFrame | Encoded): ExecFrame__Output {
  const msg =
    frame instanceof Encoded
      ? messageField(fieldNumber('governor.v1.AgentMessage', 'exec'), frame)
      : { exec: frame };
  return fromAgent(msg).exec!;
}

/** A master's message as the agent reads it. */
export function fromMaster(msg: MasterMessage): MasterMessage__Output {
  const c = connect();
  return c.responseDeserialize(c.responseSerialize(msg));
}

/** A frame the master writes on an Admin.Exec call (an object, or output as wire bytes) as the CLI reads it. */
export function execToCli(frame: ExecServerFrame | Encoded): ExecServerFrame__Output {
  const c = loadProtos().admin.governor.v1.Admin.service.Exec;
  return c.responseDeserialize(c.responseSerialize(frame as ExecServerFrame));
}
