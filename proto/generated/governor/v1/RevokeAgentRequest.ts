// Original file: proto/governor/v1/admin.proto


/**
 * Wire-compatible with AgentRef (older clients send that).
 */
export interface RevokeAgentRequest {
  'agent_id'?: (string);
  /**
   * The id may be one the master has never seen (the leaked certificate of an agent that never
   * connected): a revoked record is made for it. Without it such an id is refused, so that a typo makes
   * no record.
   */
  'unseen'?: (boolean);
}

/**
 * Wire-compatible with AgentRef (older clients send that).
 */
export interface RevokeAgentRequest__Output {
  'agent_id': (string);
  /**
   * The id may be one the master has never seen (the leaked certificate of an agent that never
   * connected): a revoked record is made for it. Without it such an id is refused, so that a typo makes
   * no record.
   */
  'unseen': (boolean);
}
