/**
 * Resource policy rules (DESIGN §9) as the spec and the agent config give them (`policies:`), compiled:
 * durations in ms, sizes in bytes, CPU as a share of a core. The parser and validator live here (one
 * rule in one place: `gov apply`, the agent's config file and the agent re-validating a spec from the
 * wire all use them); the engine that evaluates them is agent/control/.
 *
 * The types below are the contract (issue 15): fields may be added, never renamed.
 *
 * YAML (a handler spec's `policies:`, or the agent config's for agent-wide rules):
 *   - name: leak
 *     when: {metric: rss, above: 400MiB, for: 2m, smooth: ema(30s), clear_below: 300MiB, forecast: 60s}
 *     do: restart                      # or {limit_cpu: 50%}, {limit_memory: 1GiB}, {signal: SIGUSR2},
 *                                      #    {cool: on-demand, order: least-recently-used, max: 3}
 *     cooldown: 15m
 *     mode: dry-run                    # or enforce (the default)
 * Thresholds of byte metrics (BYTE_METRICS) take sizes; `cpu` takes a share of a core (0.9) or `90%`.
 */
import { durationMs, formatBytes, parseCpuPercent } from './durations.js';
import { isName, nameRefusal } from './names.js';
import { signalNameOf, signalRefusal } from './signals.js';
import { checkKeys, Ctx, isObj, oneOf, parseSize, type Obj } from './spec-fields.js';

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

/** At most this many instances cooled by one `cool` action. */
export const MAX_COOL = 1000;

/** `for`, `cooldown`, `forecast`, `smooth` travel as uint32 ms (spec.proto PolicyCondition / PolicyRule). */
export const MAX_POLICY_MS = 2 ** 32 - 1;

/** Actions an agent-wide rule may take: it acts on the host's on-demand instances, or only tells. */
export const AGENT_ACTIONS: readonly PolicyActionKind[] = ['cool', 'alert'];

const RULE_KEYS = ['name', 'when', 'do', 'cooldown', 'mode'] as const;
const WHEN_KEYS = [
  'metric',
  'above',
  'below',
  'for',
  'clear_below',
  'clear_above',
  'smooth',
  'forecast',
] as const;
const MODES = ['enforce', 'dry-run'] as const;
/** Actions written as a bare word (`do: restart`); the others take a value (`do: {limit_cpu: 50%}`). */
const WORD_ACTIONS: readonly PolicyActionKind[] = ['restart', 'stop', 'freeze', 'alert', 'cool'];
const VALUE_ACTIONS: readonly PolicyActionKind[] = ['cool', 'limit_cpu', 'limit_memory', 'signal'];

const show = (v: unknown): string => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)));

/** Refusals name the file, the key path and the reason: `handlers.yaml: policies[1].when.metric: …`. */
class RuleCtx extends Ctx {
  constructor(
    file: string,
    readonly scope: PolicyScope,
    /** The handler's mode (handler scope). */
    readonly mode: string,
  ) {
    super(file);
  }
}

/**
 * `policies:` of a handler spec (YAML, already parsed): the compiled rules, or a ValidationError naming
 * `file`, the key path under `at` (`handlers[0].policies[1].when.metric`) and the reason. `mode` is the
 * handler's mode (`cool` needs on-demand).
 */
export function parseHandlerPolicies(v: unknown, file: string, at: string, mode: string): PolicyRule[] {
  return parseRules(new RuleCtx(file, 'handler', mode), at, v);
}

/**
 * `policies:` of the agent's config file (agent-wide rules over host metrics): the compiled rules, or a
 * ValidationError naming `file`, the key path under `at` (`policies[0].do`) and the reason.
 */
export function parseAgentPolicies(v: unknown, file: string, at = 'policies'): PolicyRule[] {
  return parseRules(new RuleCtx(file, 'agent', ''), at, v);
}

function parseRules(ctx: RuleCtx, at: string, v: unknown): PolicyRule[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return ctx.fail(at, 'must be a list of rules');
  if (v.length > MAX_POLICY_RULES) ctx.fail(at, `${v.length} rules; at most ${MAX_POLICY_RULES}`);
  const seen = new Set<string>();
  return v.map((raw, i) => {
    const rule = parseRule(ctx, `${at}[${i}]`, raw);
    if (seen.has(rule.name)) ctx.fail(`${at}[${i}].name`, `duplicate rule name ${show(rule.name)}`);
    seen.add(rule.name);
    return rule;
  });
}

function parseRule(ctx: RuleCtx, at: string, raw: unknown): PolicyRule {
  if (!isObj(raw)) return ctx.fail(at, 'must be a map with name, when and do');
  checkKeys(ctx, at, raw, RULE_KEYS);
  if (!isName(raw.name)) return ctx.fail(`${at}.name`, nameRefusal(raw.name, 'rule name'));
  if (raw.when === undefined) ctx.fail(`${at}.when`, 'is required');
  if (raw.do === undefined) ctx.fail(`${at}.do`, 'is required');
  const when = parseWhen(ctx, `${at}.when`, raw.when);
  const action = parseDo(ctx, `${at}.do`, raw.do);
  const mode = raw.mode === undefined ? 'enforce' : oneOf(ctx, `${at}.mode`, raw.mode, MODES);
  return {
    name: raw.name,
    when,
    do: action,
    cooldown_ms: raw.cooldown === undefined ? 0 : policyDuration(ctx, `${at}.cooldown`, raw.cooldown),
    dry_run: mode === 'dry-run',
  };
}

function policyDuration(ctx: RuleCtx, at: string, v: unknown): number {
  try {
    return durationMs(v, MAX_POLICY_MS);
  } catch (err) {
    return ctx.fail(at, (err as Error).message);
  }
}

function parseMetric(ctx: RuleCtx, at: string, v: unknown): PolicyMetric {
  const own: readonly string[] = ctx.scope === 'handler' ? INSTANCE_METRICS : HOST_METRICS;
  if (typeof v === 'string' && own.includes(v)) return v as PolicyMetric;
  if (ctx.scope === 'handler' && (HOST_METRICS as readonly unknown[]).includes(v))
    ctx.fail(
      at,
      `${show(v)} is a host metric: it belongs in the agent's config (agent-wide policies); ` +
        `a handler's rules read ${own.join(', ')}`,
    );
  if (ctx.scope === 'agent' && (INSTANCE_METRICS as readonly unknown[]).includes(v))
    ctx.fail(
      at,
      `${show(v)} is an instance metric: it belongs in a handler spec's policies; ` +
        `agent-wide rules read ${own.join(', ')}`,
    );
  return ctx.fail(at, `unknown metric ${show(v)} (known: ${own.join(', ')})`);
}

/** A threshold of `metric`: a size for byte metrics, `90%` or a share for cpu, else a number. */
function threshold(ctx: RuleCtx, at: string, metric: PolicyMetric, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && BYTE_METRICS.includes(metric)) return parseSize(ctx, at, v);
  if (typeof v === 'string' && metric === 'cpu') {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(v.trim());
    if (m) return Number(m[1]) / 100;
    return ctx.fail(at, `${show(v)} is not a CPU share (use e.g. 0.9 or 90% of one core)`);
  }
  return ctx.fail(at, `${show(v)} must be a number`);
}

function parseWhen(ctx: RuleCtx, at: string, raw: unknown): PolicyCondition {
  if (!isObj(raw)) return ctx.fail(at, 'must be a map with metric and above or below');
  checkKeys(ctx, at, raw, WHEN_KEYS);
  if (raw.metric === undefined) ctx.fail(`${at}.metric`, 'is required');
  const metric = parseMetric(ctx, `${at}.metric`, raw.metric);
  if ((raw.above === undefined) === (raw.below === undefined))
    ctx.fail(at, 'needs exactly one of above, below');
  const when: PolicyCondition = {
    metric,
    for_ms: raw.for === undefined ? 0 : policyDuration(ctx, `${at}.for`, raw.for),
  };
  if (raw.above !== undefined) when.above = threshold(ctx, `${at}.above`, metric, raw.above);
  if (raw.below !== undefined) when.below = threshold(ctx, `${at}.below`, metric, raw.below);
  if (raw.clear_below !== undefined) {
    if (when.above === undefined)
      ctx.fail(`${at}.clear_below`, 'only applies to an above rule (a below rule clears with clear_above)');
    when.clear_below = threshold(ctx, `${at}.clear_below`, metric, raw.clear_below);
    if (!(when.clear_below < when.above))
      ctx.fail(
        `${at}.clear_below`,
        `${formatPolicyValue(metric, when.clear_below)} must be below the threshold ` +
          `(above: ${formatPolicyValue(metric, when.above)}): the rule re-arms once the value falls under it`,
      );
  }
  if (raw.clear_above !== undefined) {
    if (when.below === undefined)
      ctx.fail(`${at}.clear_above`, 'only applies to a below rule (an above rule clears with clear_below)');
    when.clear_above = threshold(ctx, `${at}.clear_above`, metric, raw.clear_above);
    if (!(when.clear_above > when.below))
      ctx.fail(
        `${at}.clear_above`,
        `${formatPolicyValue(metric, when.clear_above)} must be above the threshold ` +
          `(below: ${formatPolicyValue(metric, when.below)}): the rule re-arms once the value rises over it`,
      );
  }
  if (raw.smooth !== undefined) {
    const m = typeof raw.smooth === 'string' ? /^ema\((.+)\)$/.exec(raw.smooth.trim()) : null;
    if (!m)
      ctx.fail(`${at}.smooth`, `${show(raw.smooth)} is not a smoothing (use ema(HALF_LIFE), e.g. ema(30s))`);
    const half = policyDuration(ctx, `${at}.smooth`, m[1]);
    if (half <= 0) ctx.fail(`${at}.smooth`, 'the EMA half-life must be more than 0');
    when.smooth_half_life_ms = half;
  }
  if (raw.forecast !== undefined) {
    const f = policyDuration(ctx, `${at}.forecast`, raw.forecast);
    if (f > 0) when.forecast_ms = f;
  }
  return when;
}

function parseDo(ctx: RuleCtx, at: string, raw: unknown): PolicyAction {
  let action: PolicyAction;
  if (typeof raw === 'string') {
    if (!(WORD_ACTIONS as readonly string[]).includes(raw)) {
      if ((VALUE_ACTIONS as readonly string[]).includes(raw))
        ctx.fail(at, `${raw} needs a value: do: {${raw}: ${exampleValue(raw as PolicyActionKind)}}`);
      ctx.fail(at, `unknown action ${show(raw)} (known: ${POLICY_ACTIONS.join(', ')})`);
    }
    action =
      raw === 'cool'
        ? { kind: 'cool', order: 'least-recently-used', max: 1 }
        : ({ kind: raw } as PolicyAction);
  } else if (isObj(raw)) {
    action = parseDoMap(ctx, at, raw);
  } else {
    return ctx.fail(at, `must be an action (${WORD_ACTIONS.join(', ')}) or a map such as {limit_cpu: 50%}`);
  }
  if (ctx.scope === 'agent' && !AGENT_ACTIONS.includes(action.kind))
    ctx.fail(
      at,
      `${action.kind} is not an agent-wide action: agent-wide rules may ${AGENT_ACTIONS.join(' or ')} ` +
        `(cool acts on the host's on-demand instances); put ${action.kind} in a handler spec's policies`,
    );
  if (ctx.scope === 'handler' && action.kind === 'cool' && ctx.mode !== 'on-demand')
    ctx.fail(
      at,
      `cool only applies to a handler with mode: on-demand (this one is ${ctx.mode || 'always-on'})`,
    );
  return action;
}

function exampleValue(kind: PolicyActionKind): string {
  return (
    { cool: 'on-demand', limit_cpu: '50%', limit_memory: '512MiB', signal: 'SIGUSR2' }[kind as string] ?? '…'
  );
}

function parseDoMap(ctx: RuleCtx, at: string, raw: Obj): PolicyAction {
  const kinds = Object.keys(raw).filter((k) => (POLICY_ACTIONS as readonly string[]).includes(k));
  if (kinds.length !== 1) {
    const unknown = Object.keys(raw).find((k) => !(POLICY_ACTIONS as readonly string[]).includes(k));
    if (kinds.length === 0 && unknown !== undefined && unknown !== 'order' && unknown !== 'max')
      ctx.fail(`${at}.${unknown}`, `unknown action ${show(unknown)} (known: ${POLICY_ACTIONS.join(', ')})`);
    ctx.fail(at, `needs exactly one action (found: ${kinds.join(', ') || 'none'})`);
  }
  const kind = kinds[0] as PolicyActionKind;
  const v = raw[kind];
  const key = `${at}.${kind}`;
  if (kind !== 'cool') checkKeys(ctx, at, raw, [kind]);
  switch (kind) {
    case 'cool': {
      const options = ctx.scope === 'agent' ? ['cool', 'order', 'max'] : ['cool'];
      for (const k of Object.keys(raw)) {
        if (!options.includes(k))
          ctx.fail(
            `${at}.${k}`,
            ctx.scope === 'handler' && (k === 'order' || k === 'max')
              ? "only applies to agent-wide rules (a handler's rule cools its own instance)"
              : `unknown key (allowed: ${options.join(', ')})`,
          );
      }
      if (v !== 'on-demand')
        ctx.fail(key, `${show(v)}: cool acts on on-demand instances: write cool: on-demand`);
      const order =
        raw.order === undefined ? 'least-recently-used' : oneOf(ctx, `${at}.order`, raw.order, COOL_ORDERS);
      const max = raw.max === undefined ? 1 : raw.max;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_COOL)
        ctx.fail(`${at}.max`, `${show(max)} must be an integer from 1 to ${MAX_COOL}`);
      return { kind, order, max };
    }
    case 'limit_cpu':
      try {
        return { kind, cpu_percent: parseCpuPercent(v as string) };
      } catch (err) {
        return ctx.fail(key, (err as Error).message);
      }
    case 'limit_memory':
      return { kind, memory_bytes: parseSize(ctx, key, v) };
    case 'signal': {
      const name = signalNameOf(v);
      if (name === undefined) ctx.fail(key, signalRefusal(v));
      if (name === 'SIGKILL' || name === 'SIGSTOP')
        ctx.fail(key, `${name} is not a policy signal: use do: stop or do: freeze`);
      return { kind, signal: name };
    }
    default:
      return ctx.fail(key, `${kind} takes no value (write do: ${kind})`);
  }
}

/**
 * Compiled rules back in the form a user writes (durations as `1500ms`, thresholds as numbers), so a rule
 * list that arrives compiled (from the wire, a state file) is checked by the same parser (shared/spec-raw.ts).
 * Its input is not trusted: whatever is not a compiled rule is passed on as it is, for the parser to name.
 */
export function policyRulesToRaw(rules: readonly unknown[]): unknown[] {
  return rules.map((r) => {
    if (!isObj(r) || !isObj(r.when) || !isObj(r.do)) return r;
    const w = r.when;
    const ms = (v: unknown): unknown => (typeof v === 'number' ? `${v}ms` : v);
    const when: Obj = { metric: w.metric, for: ms(w.for_ms) };
    for (const k of ['above', 'below', 'clear_below', 'clear_above'] as const)
      if (w[k] !== undefined) when[k] = w[k];
    if (w.smooth_half_life_ms !== undefined) when.smooth = `ema(${ms(w.smooth_half_life_ms) as string})`;
    if (w.forecast_ms !== undefined) when.forecast = ms(w.forecast_ms);
    const raw: Obj = { name: r.name, when, do: actionToRaw(r.do), cooldown: ms(r.cooldown_ms) };
    raw.mode = r.dry_run === true ? 'dry-run' : r.dry_run === false ? 'enforce' : r.dry_run;
    return raw;
  });
}

function actionToRaw(a: Obj): unknown {
  switch (a.kind) {
    case 'cool':
      return a.order === 'least-recently-used' && a.max === 1
        ? { cool: 'on-demand' }
        : { cool: 'on-demand', order: a.order, max: a.max };
    case 'limit_cpu':
      return { limit_cpu: typeof a.cpu_percent === 'number' ? `${a.cpu_percent}%` : a.cpu_percent };
    case 'limit_memory':
      return { limit_memory: a.memory_bytes };
    case 'signal':
      return { signal: a.signal };
    default:
      return a.kind;
  }
}
