/**
 * Metric values in words for execution records (params_summary: at most 128 characters on the master) and
 * logs: sizes in MiB, CPU as a percentage of one core, the rest as numbers.
 */
import type { PolicyRule } from '../../shared/policy-rules.js';
import type { Decision } from './rules.js';

const BYTES = new Set(['rss', 'rss_growth', 'host.memory.available']);

/** One value of `metric` in its unit (`412.3MiB`, `93.5%`, `12`, `1.0MiB/s`). */
export function formatMetric(metric: string, v: number): string {
  if (BYTES.has(metric)) return `${(v / 1048576).toFixed(1)}MiB${metric === 'rss_growth' ? '/s' : ''}`;
  if (metric === 'cpu') return `${(v * 100).toFixed(1)}%`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** `rss raw 412.3MiB smoothed 405.1MiB forecast 420.0MiB above 400.0MiB`: what fired a decision. */
export function describeValues(d: Decision, rule: PolicyRule): string {
  const m = d.metric;
  const w = rule.when;
  const threshold =
    w.above !== undefined ? `above ${formatMetric(m, w.above)}` : `below ${formatMetric(m, w.below ?? 0)}`;
  const parts = [`${m} raw ${formatMetric(m, d.raw)}`];
  if (w.smooth_half_life_ms) parts.push(`smoothed ${formatMetric(m, d.value)}`);
  if (d.forecast !== undefined) parts.push(`forecast ${formatMetric(m, d.forecast)}`);
  parts.push(threshold);
  return parts.join(' ').slice(0, 128);
}
