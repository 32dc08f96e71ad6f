// Original file: proto/governor/v1/common.proto


/**
 * One rule for one subject (an instance, or the host for agent-wide rules).
 */
export interface PolicyRuleState {
  'rule'?: (string);
  /**
   * The handler whose spec holds the rule; empty: agent-wide (the agent's config).
   */
  'handler'?: (string);
  /**
   * Instance key (`web#1`); empty: agent-wide.
   */
  'instance'?: (string);
  'metric'?: (string);
  /**
   * armed | pending | firing | cooling-down | cleared.
   */
  'state'?: (string);
  /**
   * Last raw sample, the smoothed value and the forecast (has_forecast false: no forecast asked).
   */
  'raw'?: (number | string);
  'value'?: (number | string);
  'forecast'?: (number | string);
  'has_forecast'?: (boolean);
  /**
   * The action in words (`restart`, `limit_cpu 50%`, ...).
   */
  'action'?: (string);
  'dry_run'?: (boolean);
  /**
   * The last action taken (or, dry-run, that would have been) and when (ISO-8601); empty: none yet.
   */
  'last_action'?: (string);
  'last_action_at'?: (string);
  /**
   * The execution that recorded it.
   */
  'last_execution_id'?: (string);
  /**
   * No sample yet (the sensor is unavailable here, e.g. PSI without /proc/pressure): why.
   */
  'unavailable'?: (string);
}

/**
 * One rule for one subject (an instance, or the host for agent-wide rules).
 */
export interface PolicyRuleState__Output {
  'rule': (string);
  /**
   * The handler whose spec holds the rule; empty: agent-wide (the agent's config).
   */
  'handler': (string);
  /**
   * Instance key (`web#1`); empty: agent-wide.
   */
  'instance': (string);
  'metric': (string);
  /**
   * armed | pending | firing | cooling-down | cleared.
   */
  'state': (string);
  /**
   * Last raw sample, the smoothed value and the forecast (has_forecast false: no forecast asked).
   */
  'raw': (number);
  'value': (number);
  'forecast': (number);
  'has_forecast': (boolean);
  /**
   * The action in words (`restart`, `limit_cpu 50%`, ...).
   */
  'action': (string);
  'dry_run': (boolean);
  /**
   * The last action taken (or, dry-run, that would have been) and when (ISO-8601); empty: none yet.
   */
  'last_action': (string);
  'last_action_at': (string);
  /**
   * The execution that recorded it.
   */
  'last_execution_id': (string);
  /**
   * No sample yet (the sensor is unavailable here, e.g. PSI without /proc/pressure): why.
   */
  'unavailable': (string);
}
