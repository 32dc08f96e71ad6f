// Original file: proto/governor/v1/agent_link.proto


export interface Welcome {
  /**
   * How often each side sends an application heartbeat, ms.
   */
  'heartbeat_interval_ms'?: (number);
  /**
   * How often the agent pushes metrics, ms.
   */
  'metrics_interval_ms'?: (number);
}

export interface Welcome__Output {
  /**
   * How often each side sends an application heartbeat, ms.
   */
  'heartbeat_interval_ms': (number);
  /**
   * How often the agent pushes metrics, ms.
   */
  'metrics_interval_ms': (number);
}
