// Original file: proto/governor/v1/admin.proto


export interface WatchRequest {
  /**
   * true: first replay the kept events with an index above `since` (since 0: every kept event).
   */
  'resume'?: (boolean);
  'since'?: (number | string);
  /**
   * Start with a snapshot of the current state (agents, instances, rollouts): what a live view needs.
   * A snapshot is also sent, after a notice, whenever `since` cannot be served (the ring no longer holds
   * it, or it is above this master's newest index: the master restarted).
   */
  'snapshot'?: (boolean);
  /**
   * true: stay and send live events; false: end the stream after the replay and snapshot.
   */
  'follow'?: (boolean);
  /**
   * Only events of these handlers / these agents (empty: all). Agent events pass the handler filter.
   */
  'handlers'?: (string)[];
  'agents'?: (string)[];
  /**
   * Only these kinds (empty: all but metrics): instance | health | execution | rollout | agent | metrics.
   * snapshot and notice events are always sent.
   */
  'kinds'?: (string)[];
  /**
   * Metrics samples (kind metrics), opt-in: at most one per agent per this many ms (0: none, unless
   * `kinds` names metrics: then every sample the agents push).
   */
  'metrics_interval_ms'?: (number | string);
  /**
   * resume: the epoch of the events `since` was taken from (WatchEvent.epoch). Indexes start again from 1
   * when the master restarts: an index from another epoch is served as unknown_index (notice + snapshot).
   * Empty: `since` is taken as an index of this master's life.
   */
  'epoch'?: (string);
}

export interface WatchRequest__Output {
  /**
   * true: first replay the kept events with an index above `since` (since 0: every kept event).
   */
  'resume': (boolean);
  'since': (number);
  /**
   * Start with a snapshot of the current state (agents, instances, rollouts): what a live view needs.
   * A snapshot is also sent, after a notice, whenever `since` cannot be served (the ring no longer holds
   * it, or it is above this master's newest index: the master restarted).
   */
  'snapshot': (boolean);
  /**
   * true: stay and send live events; false: end the stream after the replay and snapshot.
   */
  'follow': (boolean);
  /**
   * Only events of these handlers / these agents (empty: all). Agent events pass the handler filter.
   */
  'handlers': (string)[];
  'agents': (string)[];
  /**
   * Only these kinds (empty: all but metrics): instance | health | execution | rollout | agent | metrics.
   * snapshot and notice events are always sent.
   */
  'kinds': (string)[];
  /**
   * Metrics samples (kind metrics), opt-in: at most one per agent per this many ms (0: none, unless
   * `kinds` names metrics: then every sample the agents push).
   */
  'metrics_interval_ms': (number);
  /**
   * resume: the epoch of the events `since` was taken from (WatchEvent.epoch). Indexes start again from 1
   * when the master restarts: an index from another epoch is served as unknown_index (notice + snapshot).
   * Empty: `since` is taken as an index of this master's life.
   */
  'epoch': (string);
}
