// Original file: proto/governor/v1/admin.proto

import type { PolicyCounters as _governor_v1_PolicyCounters, PolicyCounters__Output as _governor_v1_PolicyCounters__Output } from '../../governor/v1/PolicyCounters.js';

export interface GovernorTelemetry {
  /**
   * always-on | on-demand | mixed.
   */
  'resource_mode'?: (string);
  'handlers_configured'?: (number);
  'instances_running'?: (number);
  'by_temperature'?: ({[key: string]: number});
  'total_memory_bytes'?: (number | string);
  /**
   * Estimated memory saved vs running every on-demand instance always-on (from last measured hot RSS).
   */
  'memory_saved_bytes'?: (number | string);
  'avg_cold_start_ms'?: (number | string);
  'cold_starts_last_hour'?: (number);
  /**
   * Resource policies over the fleet (as the agents last reported): rules by state, and lifetime actions.
   */
  'policies_by_state'?: ({[key: string]: number});
  'policy_actions'?: (_governor_v1_PolicyCounters | null);
}

export interface GovernorTelemetry__Output {
  /**
   * always-on | on-demand | mixed.
   */
  'resource_mode': (string);
  'handlers_configured': (number);
  'instances_running': (number);
  'by_temperature': ({[key: string]: number});
  'total_memory_bytes': (number);
  /**
   * Estimated memory saved vs running every on-demand instance always-on (from last measured hot RSS).
   */
  'memory_saved_bytes': (number);
  'avg_cold_start_ms': (number);
  'cold_starts_last_hour': (number);
  /**
   * Resource policies over the fleet (as the agents last reported): rules by state, and lifetime actions.
   */
  'policies_by_state': ({[key: string]: number});
  'policy_actions': (_governor_v1_PolicyCounters__Output | null);
}
