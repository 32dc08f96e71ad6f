/** Fleet-level telemetry (`governor` in `gov metrics --json`, DESIGN §3), computed from instance metrics. */
import type { GovernorTelemetry } from '../proto/generated/governor/v1/GovernorTelemetry.js';
import type { InstanceMetrics__Output } from '../proto/generated/governor/v1/InstanceMetrics.js';
import type { HandlerSpec } from '../shared/spec.js';

export function fleetTelemetry(
  specs: HandlerSpec[],
  instances: Array<{ agent: string; metrics: InstanceMetrics__Output }>,
): GovernorTelemetry {
  const modes = new Set(specs.map((s) => s.mode));
  const byTemperature: Record<string, number> = { cold: 0, warming: 0, hot: 0, cooling: 0 };
  let total = 0;
  let saved = 0;
  let coldStartSum = 0;
  let coldStartCount = 0;
  let lastHour = 0;
  let running = 0;
  for (const { metrics: m } of instances) {
    total += m.memory_bytes;
    if (m.state === 'running') running++;
    if (m.mode === 'on-demand') {
      const t = m.temperature || 'cold';
      byTemperature[t] = (byTemperature[t] ?? 0) + 1;
      if (t === 'cold') saved += m.last_hot_memory_bytes;
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
    avg_cold_start_ms: coldStartCount ? coldStartSum / coldStartCount : 0,
    cold_starts_last_hour: lastHour,
  };
}
