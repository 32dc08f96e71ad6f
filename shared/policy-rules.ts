/**
 * Resource policy rules (DESIGN §9) as the spec and the agent config give them (`policies:`), compiled:
 * durations in ms, sizes in bytes, CPU as a share of a core. The parser and validator live here (one
 * rule in one place: `gov apply`, the agent's config file and the agent re-validating a spec from the
 * wire all use them); the engine that evaluates them is agent/control/.
 *
 * CONTRACT (issue 15): the types below are fixed; the parse/validate functions are built on the
 * policy-spec branch.
 */
import { formatBytes } from './durations.js';

/** Sensors of one instance (handler spec rules). */
export const INSTANCE_METRICS = [
  'cpu', // share of one core over the last sample window (0.9 = 90 %)
  'rss', // bytes, the whole process tree
  'rss_growth', // bytes per second (derivative of rss)
  'fds', // open file descriptors of the tree
  'restarts_1h', // restarts in the last hour
  'pressure.cpu.some', // the instance cgroup's *.pressure avg10 (v2 only; unavailable elsewhere, said so)
  'pressure.memory.some',
  'pressure.memory.full',
  'pressure.io.some',
  'pressure.io.full',
] as const;

/** Sensors of the host (agent-wide rules, in the agent's config). */
export const HOST_METRICS = [
  'host.memory.available', // bytes (MemAvailable)
  'host.load1',
  'host.cpu.pressure.some', // /proc/pressure/* avg10, percent
  'host.cpu.pressure.full',
  'host.memory.pressure.some',
  'host.memory.pressure.full',
  'host.io.pressure.some',
  'host.io.pressure.full',
  'on_demand.hot', // on-demand instances hot (or warming) now
] as const;

export type InstanceMetric = (typeof INSTANCE_METRICS)[number];
export type HostMetric = (typeof HOST_METRICS)[number];
export type PolicyMetric = InstanceMetric | HostMetric;

export const POLICY_ACTIONS = [
  'restart',
  'stop',
  'cool',
  'freeze',
  'limit_cpu',
  'limit_memory',
  'signal',
  'alert',
] as const;
export type PolicyActionKind = (typeof POLICY_ACTIONS)[number];

export const COOL_ORDERS = ['least-recently-used', 'most-memory'] as const;
export type CoolOrder = (typeof COOL_ORDERS)[number];

export interface PolicyCondition {
  metric: PolicyMetric;
  /** Exactly one of above / below. */
  above?: number;
  below?: number;
  /** Must hold continuously this long; 0: at the first sample that crosses. */
  for_ms: number;
  /** Hysteresis (above: clear_below, below: clear_above); absent: the threshold itself. */
  clear_below?: number;
  clear_above?: number;
  /** `smooth: ema(30s)`: EMA half-life; 0 or absent: the raw value. */
  smooth_half_life_ms?: number;
  /** `forecast: 60s`: fire on the Kalman forecast this far ahead; 0 or absent: none. */
  forecast_ms?: number;
}

export type PolicyAction =
  | { kind: 'restart' }
  | { kind: 'stop' }
  | { kind: 'freeze' }
  | { kind: 'alert' }
  | { kind: 'cool'; order: CoolOrder; /** At most this many per action (default 1). */ max: number }
  | { kind: 'limit_cpu'; /** Percent of one core (50 = half a core). */ cpu_percent: number }
  | { kind: 'limit_memory'; memory_bytes: number }
  | { kind: 'signal'; signal: string };

export interface PolicyRule {
  name: string;
  when: PolicyCondition;
  do: PolicyAction;
  /** After an action, no other by this rule for this subject for this long; 0: none. */
  cooldown_ms: number;
  /** `mode: dry-run`. */
  dry_run: boolean;
}

/** Where a rule list comes from: a handler spec (instance metrics) or the agent config (host metrics). */
export type PolicyScope = 'handler' | 'agent';

/** Metrics measured in bytes (`rss_growth`: bytes per second): their thresholds take sizes (`400MiB`). */
export const BYTE_METRICS: readonly PolicyMetric[] = ['rss', 'rss_growth', 'host.memory.available'];

/** A metric's value in words: sizes for byte metrics (`412.0 MiB`, `1.0 MiB/s`), else up to 3 decimals. */
export function formatPolicyValue(metric: string, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if ((BYTE_METRICS as readonly string[]).includes(metric)) {
    const text = `${v < 0 ? '-' : ''}${formatBytes(Math.abs(Math.round(v)))}`;
    return metric === 'rss_growth' ? `${text}/s` : text;
  }
  return String(Math.round(v * 1000) / 1000);
}

/** An action in words (PolicyRuleState.action): `restart`, `limit_cpu 50%`, `cool on-demand lru max 3`. */
export function describePolicyAction(a: PolicyAction): string {
  switch (a.kind) {
    case 'cool':
      return `cool on-demand ${a.order}${a.max > 1 ? ` max ${a.max}` : ''}`;
    case 'limit_cpu':
      return `limit_cpu ${a.cpu_percent}%`;
    case 'limit_memory':
      return `limit_memory ${formatBytes(a.memory_bytes)}`;
    case 'signal':
      return `signal ${a.signal}`;
    default:
      return a.kind;
  }
}

/** At most this many rules in one handler spec or one agent config. */
export const MAX_POLICY_RULES = 32;

/**
 * `policies:` of a handler spec (YAML, already parsed): the compiled rules, or a ValidationError naming
 * `file`, the key path under `at` (`handlers[0].policies[1].when.metric`) and the reason. `mode` is the
 * handler's mode (`cool` needs on-demand).
 */
export function parseHandlerPolicies(v: unknown, file: string, at: string, mode: string): PolicyRule[] {
  void v;
  void file;
  void at;
  void mode;
  throw new Error('not implemented yet');
}

/**
 * `policies:` of the agent's config file (agent-wide rules over host metrics): the compiled rules, or a
 * ValidationError naming `file`, the key path under `at` (`policies[0].do`) and the reason.
 */
export function parseAgentPolicies(v: unknown, file: string, at = 'policies'): PolicyRule[] {
  void v;
  void file;
  void at;
  throw new Error('not implemented yet');
}
