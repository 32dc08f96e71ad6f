// Original file: proto/governor/v1/spec.proto

import type { ExecProbe as _governor_v1_ExecProbe, ExecProbe__Output as _governor_v1_ExecProbe__Output } from '../../governor/v1/ExecProbe.js';

/**
 * A readiness and liveness probe.
 */
export interface HealthCheck {
  /**
   * TCP connect to this port on 127.0.0.1.
   */
  'tcp'?: (number);
  /**
   * HTTP(S) GET of this URL; 2xx is healthy.
   */
  'http'?: (string);
  /**
   * Run this argv; exit 0 is healthy.
   */
  'exec'?: (_governor_v1_ExecProbe | null);
  /**
   * Between probes, ms.
   */
  'interval_ms'?: (number);
  /**
   * Per probe, ms.
   */
  'timeout_ms'?: (number);
  /**
   * Passing probes in a row to turn healthy.
   */
  'healthy_threshold'?: (number);
  /**
   * Failing probes in a row to turn unhealthy.
   */
  'unhealthy_threshold'?: (number);
  /**
   * Restart a running instance that turns unhealthy.
   */
  'restart_on_unhealthy'?: (boolean);
  /**
   * Exactly one probe.
   */
  'probe'?: "tcp"|"http"|"exec";
}

/**
 * A readiness and liveness probe.
 */
export interface HealthCheck__Output {
  /**
   * TCP connect to this port on 127.0.0.1.
   */
  'tcp'?: (number);
  /**
   * HTTP(S) GET of this URL; 2xx is healthy.
   */
  'http'?: (string);
  /**
   * Run this argv; exit 0 is healthy.
   */
  'exec'?: (_governor_v1_ExecProbe__Output | null);
  /**
   * Between probes, ms.
   */
  'interval_ms': (number);
  /**
   * Per probe, ms.
   */
  'timeout_ms': (number);
  /**
   * Passing probes in a row to turn healthy.
   */
  'healthy_threshold': (number);
  /**
   * Failing probes in a row to turn unhealthy.
   */
  'unhealthy_threshold': (number);
  /**
   * Restart a running instance that turns unhealthy.
   */
  'restart_on_unhealthy': (boolean);
  /**
   * Exactly one probe.
   */
  'probe'?: "tcp"|"http"|"exec";
}
