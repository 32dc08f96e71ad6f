// Original file: proto/governor/v1/admin.proto

import type { HostMetrics as _governor_v1_HostMetrics, HostMetrics__Output as _governor_v1_HostMetrics__Output } from '../../governor/v1/HostMetrics.js';

export interface AgentInfo {
  /**
   * Agent id (certificate CN).
   */
  'id'?: (string);
  /**
   * True while its stream is open and heartbeats arrive within the grace.
   */
  'connected'?: (boolean);
  'hostname'?: (string);
  /**
   * Labels set by an admin (`gov agents label`): the only ones handler selectors match.
   */
  'labels'?: ({[key: string]: string});
  /**
   * Governor version the agent runs.
   */
  'version'?: (string);
  /**
   * Last message from the agent, ISO-8601.
   */
  'last_seen'?: (string);
  /**
   * True once `gov agents revoke` was called on it.
   */
  'revoked'?: (boolean);
  /**
   * Latest host metrics.
   */
  'host'?: (_governor_v1_HostMetrics | null);
  /**
   * Labels the agent declared itself (its `--labels`), bounded; shown only, never used to select specs.
   */
  'reported_labels'?: ({[key: string]: string});
  /**
   * How the agent tracks handler processes: cgroup | pgroup (Hello.tracking); empty: not reported.
   */
  'tracking'?: (string);
}

export interface AgentInfo__Output {
  /**
   * Agent id (certificate CN).
   */
  'id': (string);
  /**
   * True while its stream is open and heartbeats arrive within the grace.
   */
  'connected': (boolean);
  'hostname': (string);
  /**
   * Labels set by an admin (`gov agents label`): the only ones handler selectors match.
   */
  'labels': ({[key: string]: string});
  /**
   * Governor version the agent runs.
   */
  'version': (string);
  /**
   * Last message from the agent, ISO-8601.
   */
  'last_seen': (string);
  /**
   * True once `gov agents revoke` was called on it.
   */
  'revoked': (boolean);
  /**
   * Latest host metrics.
   */
  'host': (_governor_v1_HostMetrics__Output | null);
  /**
   * Labels the agent declared itself (its `--labels`), bounded; shown only, never used to select specs.
   */
  'reported_labels': ({[key: string]: string});
  /**
   * How the agent tracks handler processes: cgroup | pgroup (Hello.tracking); empty: not reported.
   */
  'tracking': (string);
}
