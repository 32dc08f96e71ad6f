/**
 * What fired a decision, in words, for its execution record (params_summary: at most 128 characters on the
 * master) and the log: the values in their units (shared/policy-rules.ts formatPolicyValue).
 */
import { formatPolicyValue, type PolicyRule } from '../../shared/policy-rules.js';
import type { Decision } from './rules.js';

/** `rss raw 412.3 MiB smoothed 405.1 MiB forecast 420.0 MiB above 400.0 MiB`. */
export function describeValues(d: Decision, rule: PolicyRule): string {
  const m = d.metric;
  const f = (v: number) => formatPolicyValue(m, v);
  const w = rule.when;
  const parts = [`${m} raw ${f(d.raw)}`];
  if (w.smooth_half_life_ms) parts.push(`smoothed ${f(d.value)}`);
  if (d.forecast !== undefined) parts.push(`forecast ${f(d.forecast)}`);
  parts.push(w.above !== undefined ? `above ${f(w.above)}` : `below ${f(w.below ?? 0)}`);
  return parts.join(' ').slice(0, 128);
}
