// Original file: proto/governor/v1/common.proto


export interface PolicyCounters {
  /**
   * Actions taken, dry-run actions recorded, actions held back by a cooldown or the agent's budget.
   */
  'actions'?: (number | string);
  'dry_run'?: (number | string);
  'suppressed_cooldown'?: (number | string);
  'suppressed_budget'?: (number | string);
}

export interface PolicyCounters__Output {
  /**
   * Actions taken, dry-run actions recorded, actions held back by a cooldown or the agent's budget.
   */
  'actions': (number);
  'dry_run': (number);
  'suppressed_cooldown': (number);
  'suppressed_budget': (number);
}
