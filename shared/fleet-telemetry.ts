/**
 * Fleet-level telemetry (`governor` in `gov metrics --json`, DESIGN §3), computed from instance metrics.
 * `memory_saved_bytes` estimates what the cold on-demand instances would use if they were always on: each
 * one's last measured hot RSS, or (never measured on its agent) the average hot RSS measured for its
 * handler elsewhere. `avg_cold_start_ms` averages the last hour's cold starts (or, with none in the last
 * hour, the instances' last ones).
 */
import type { GovernorTelemetry } from '../proto/generated/governor/v1/GovernorTelemetry.js';
import type { InstanceMetrics__Output } from '../proto/generated/governor/v1/InstanceMetrics.js';
import { knownTemperature } from './instance-states.js';
import type { HandlerSpec } from './spec.js';

/**
 * Most cold-start durations an instance's figures carry (InstanceMetrics.recent_cold_starts_ms): the agent
 * keeps no more (agent/on-demand/policy.ts recentColdStarts), the master keeps no more of what it is sent.
 */
export const MAX_RECENT_COLD_STARTS = 1000;

export function fleetTelemetry(
  specs: HandlerSpec[],
  instances: Array<{ agent: string; metrics: InstanceMetrics__Output }>,
): GovernorTelemetry {
  const modes = new Set(specs.map((s) => s.mode));
  const byTemperature: Record<string, number> = { cold: 0, warming: 0, hot: 0, cooling: 0, frozen: 0 };
  let total = 0;
  let saved = 0;
  let coldStartSum = 0;
  let coldStartCount = 0;
  let lastHour = 0;
  let running = 0;
  const hotRss = new Map<string, { sum: number; n: number }>();
  for (const { metrics: m } of instances) {
    if (m.mode !== 'on-demand' || m.last_hot_memory_bytes <= 0) continue;
    const h = hotRss.get(m.handler) ?? { sum: 0, n: 0 };
    h.sum += m.last_hot_memory_bytes;
    h.n++;
    hotRss.set(m.handler, h);
  }
  let lastSum = 0;
  let lastCount = 0;
  for (const { metrics: m } of instances) {
    total += m.memory_bytes;
    if (m.state === 'running') running++;
    if (m.mode === 'on-demand') {
      // What an agent reports is its own text: a label vocabulary stays fixed (governor_fleet_on_demand_instances).
      const t = knownTemperature(m.temperature || 'cold');
      byTemperature[t] = (byTemperature[t] ?? 0) + 1;
      const est = hotRss.get(m.handler);
      if (t === 'cold') saved += m.last_hot_memory_bytes || (est ? Math.round(est.sum / est.n) : 0);
      if (m.last_cold_start_ms > 0) {
        lastSum += m.last_cold_start_ms;
        lastCount++;
      }
      lastHour += m.recent_cold_starts_ms.length;
      for (const ms of m.recent_cold_starts_ms) {
        coldStartSum += ms;
        coldStartCount++;
      }
    }
  }
  return {
    resource_mode: modes.size === 0 ? 'always-on' : modes.size > 1 ? 'mixed' : [...modes][0]!,
    handlers_configured: specs.length,
    instances_running: running,
    by_temperature: byTemperature,
    total_memory_bytes: total,
    memory_saved_bytes: saved,
    avg_cold_start_ms: coldStartCount ? coldStartSum / coldStartCount : lastCount ? lastSum / lastCount : 0,
    cold_starts_last_hour: lastHour,
  };
}
