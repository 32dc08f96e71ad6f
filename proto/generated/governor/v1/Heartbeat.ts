// Original file: proto/governor/v1/agent_link.proto


export interface Heartbeat {
  /**
   * Sender's clock, ms since the epoch.
   */
  'sent_at_ms'?: (number | string);
}

export interface Heartbeat__Output {
  /**
   * Sender's clock, ms since the epoch.
   */
  'sent_at_ms': (number);
}
