/**
 * The vocabularies of what an agent reports about an instance: lifecycle states (DESIGN §3, supervisord's),
 * on-demand temperatures and health verdicts. The agent moves between them; the master uses the lists where
 * reported text becomes a fixed vocabulary (Prometheus labels): an agent's report is its own text.
 */
export const INSTANCE_STATES = [
  'stopped',
  'starting',
  'running',
  'backoff',
  'stopping',
  'exited',
  'fatal',
  'unknown',
] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/** An on-demand instance's temperatures (cold → warming → hot → cooling; frozen: paused by the freezer). */
export const TEMPERATURES = ['cold', 'warming', 'hot', 'cooling', 'frozen'] as const;
export type Temperature = (typeof TEMPERATURES)[number];

/** A health check's verdicts; `none`: the handler has no check. */
export const HEALTH_STATUSES = ['none', 'unknown', 'healthy', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** `value` if `list` holds it, else `unknown`. */
function within<T extends string>(list: readonly T[], value: string): T | 'unknown' {
  return (list as readonly string[]).includes(value) ? (value as T) : 'unknown';
}

export const knownState = (state: string): InstanceState => within(INSTANCE_STATES, state);
export const knownTemperature = (t: string): Temperature | 'unknown' => within(TEMPERATURES, t);
export const knownHealth = (health: string): HealthStatus => within(HEALTH_STATUSES, health);
