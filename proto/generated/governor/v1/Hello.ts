// Original file: proto/governor/v1/agent_link.proto

import type { InstanceStatus as _governor_v1_InstanceStatus, InstanceStatus__Output as _governor_v1_InstanceStatus__Output } from '../../governor/v1/InstanceStatus.js';

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
   * Hash of the set of specs the agent has cached (so the master can skip resending identical specs).
   */
  'specs_hash'?: (string);
  /**
   * JSON array of the handler specs the agent supervises now (its cache; shared/spec.ts HandlerSpec, the
   * same form as AgentCommand.specs_json). A master with no record of one of these handlers adopts it
   * (validated, restricted to this agent, at most 256 per hello) instead of telling the agent to stop it.
   */
  'cached_specs_json'?: (string);
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
   * Hash of the set of specs the agent has cached (so the master can skip resending identical specs).
   */
  'specs_hash': (string);
  /**
   * JSON array of the handler specs the agent supervises now (its cache; shared/spec.ts HandlerSpec, the
   * same form as AgentCommand.specs_json). A master with no record of one of these handlers adopts it
   * (validated, restricted to this agent, at most 256 per hello) instead of telling the agent to stop it.
   */
  'cached_specs_json': (string);
}
