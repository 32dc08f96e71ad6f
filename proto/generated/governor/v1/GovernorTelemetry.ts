// Original file: proto/governor/v1/admin.proto


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
}
