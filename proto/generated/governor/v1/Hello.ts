// Original file: proto/governor/v1/agent_link.proto

import type { InstanceStatus as _governor_v1_InstanceStatus, InstanceStatus__Output as _governor_v1_InstanceStatus__Output } from '../../governor/v1/InstanceStatus.js';
import type { HandlerSpec as _governor_v1_HandlerSpec, HandlerSpec__Output as _governor_v1_HandlerSpec__Output } from '../../governor/v1/HandlerSpec.js';

export interface Hello {
  /**
   * The agent's id; must equal the CN of its client certificate.
   */
  'agent_id'?: (string);
  /**
   * Machine hostname.
   */
  'hostname'?: (string);
  /**
   * Governor version of the agent.
   */
  'version'?: (string);
  /**
   * Labels from the agent config (region, role, ...): reported and shown only. Handler selectors match the
   * labels an admin sets on the master (`gov agents label`), never these (an agent cannot pick its specs).
   */
  'labels'?: ({[key: string]: string});
  /**
   * Status of every instance the agent supervises now (its full inventory).
   */
  'instances'?: (_governor_v1_InstanceStatus)[];
  /**
   * Hash of the spec every instance runs, by instance key (observed processes aside; shared/spec-hash.ts
   * specsHash). When it equals the hash of what the master assigns this agent (each spec once per
   * replica index), the sync after this hello does not resend the specs (AgentCommand.keep_specs).
   */
  'specs_hash'?: (string);
  /**
   * The handler specs the agent supervises now (its cache; one per handler). A master with no record of
   * one of these handlers adopts it (validated with the apply validator, restricted to this agent, at most
   * 256 per agent) instead of telling the agent to stop it.
   */
  'cached_specs'?: (_governor_v1_HandlerSpec)[];
  /**
   * The agent-link protocol the agent speaks (AGENT_LINK_PROTOCOL in shared/proto.ts, raised whenever a
   * change makes builds misread each other). A master refuses a hello of another protocol with
   * FAILED_PRECONDITION before anything is exchanged; 0 (absent) is a build from before this field.
   */
  'protocol'?: (number);
  /**
   * How the agent tracks a handler's processes: "cgroup" (each handler in its own cgroup) or "pgroup"
   * (process groups only: no cgroup could be created; the agent warned once at start).
   */
  'tracking'?: (string);
  /**
   * The agent runs exec sessions (ExecFrame). False: refused — see exec_unavailable; an agent from
   * before exec sends neither field.
   */
  'exec_available'?: (boolean);
  /**
   * Why exec is unavailable (`--no-exec`, or node-pty failed to load: the reason).
   */
  'exec_unavailable'?: (string);
}

export interface Hello__Output {
  /**
   * The agent's id; must equal the CN of its client certificate.
   */
  'agent_id': (string);
  /**
   * Machine hostname.
   */
  'hostname': (string);
  /**
   * Governor version of the agent.
   */
  'version': (string);
  /**
   * Labels from the agent config (region, role, ...): reported and shown only. Handler selectors match the
   * labels an admin sets on the master (`gov agents label`), never these (an agent cannot pick its specs).
   */
  'labels': ({[key: string]: string});
  /**
   * Status of every instance the agent supervises now (its full inventory).
   */
  'instances': (_governor_v1_InstanceStatus__Output)[];
  /**
   * Hash of the spec every instance runs, by instance key (observed processes aside; shared/spec-hash.ts
   * specsHash). When it equals the hash of what the master assigns this agent (each spec once per
   * replica index), the sync after this hello does not resend the specs (AgentCommand.keep_specs).
   */
  'specs_hash': (string);
  /**
   * The handler specs the agent supervises now (its cache; one per handler). A master with no record of
   * one of these handlers adopts it (validated with the apply validator, restricted to this agent, at most
   * 256 per agent) instead of telling the agent to stop it.
   */
  'cached_specs': (_governor_v1_HandlerSpec__Output)[];
  /**
   * The agent-link protocol the agent speaks (AGENT_LINK_PROTOCOL in shared/proto.ts, raised whenever a
   * change makes builds misread each other). A master refuses a hello of another protocol with
   * FAILED_PRECONDITION before anything is exchanged; 0 (absent) is a build from before this field.
   */
  'protocol': (number);
  /**
   * How the agent tracks a handler's processes: "cgroup" (each handler in its own cgroup) or "pgroup"
   * (process groups only: no cgroup could be created; the agent warned once at start).
   */
  'tracking': (string);
  /**
   * The agent runs exec sessions (ExecFrame). False: refused — see exec_unavailable; an agent from
   * before exec sends neither field.
   */
  'exec_available': (boolean);
  /**
   * Why exec is unavailable (`--no-exec`, or node-pty failed to load: the reason).
   */
  'exec_unavailable': (string);
}
