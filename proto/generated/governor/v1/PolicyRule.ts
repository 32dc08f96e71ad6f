// Original file: proto/governor/v1/spec.proto

import type { PolicyCondition as _governor_v1_PolicyCondition, PolicyCondition__Output as _governor_v1_PolicyCondition__Output } from '../../governor/v1/PolicyCondition.js';
import type { PolicyAction as _governor_v1_PolicyAction, PolicyAction__Output as _governor_v1_PolicyAction__Output } from '../../governor/v1/PolicyAction.js';

/**
 * One resource policy rule (DESIGN §9; YAML in shared/policy-rules.ts): when `when` holds, `action` is
 * taken once — not again until the value has crossed back (hysteresis), nor within `cooldown_ms` of the
 * last action. In a handler spec it applies to each instance; in the agent's config file (agent-wide) to
 * the host.
 */
export interface PolicyRule {
  /**
   * `^[a-z0-9][a-z0-9._-]{0,62}$`, unique among the rules of one spec (or of the agent config).
   */
  'name'?: (string);
  'when'?: (_governor_v1_PolicyCondition | null);
  'action'?: (_governor_v1_PolicyAction | null);
  /**
   * After an action, no other by this rule for this long (ms); 0: none.
   */
  'cooldown_ms'?: (number);
  /**
   * mode: dry-run: record what it would do, never act.
   */
  'dry_run'?: (boolean);
}

/**
 * One resource policy rule (DESIGN §9; YAML in shared/policy-rules.ts): when `when` holds, `action` is
 * taken once — not again until the value has crossed back (hysteresis), nor within `cooldown_ms` of the
 * last action. In a handler spec it applies to each instance; in the agent's config file (agent-wide) to
 * the host.
 */
export interface PolicyRule__Output {
  /**
   * `^[a-z0-9][a-z0-9._-]{0,62}$`, unique among the rules of one spec (or of the agent config).
   */
  'name': (string);
  'when': (_governor_v1_PolicyCondition__Output | null);
  'action': (_governor_v1_PolicyAction__Output | null);
  /**
   * After an action, no other by this rule for this long (ms); 0: none.
   */
  'cooldown_ms': (number);
  /**
   * mode: dry-run: record what it would do, never act.
   */
  'dry_run': (boolean);
}
