/**
 * Handler specs on the agent link (proto/governor/v1/spec.proto): the one conversion between
 * shared/spec.ts HandlerSpec and the wire message, used by both sides (the master sends specs in APPLY
 * and UPDATE, the agent reports its cache in its hello). A spec read from the wire is validated again
 * with the apply validator (revalidateSpec) before anyone uses it: `specsFromWire` refuses the whole
 * list, naming the first bad field, or returns specs exactly as `gov apply` would have compiled them.
 */
import type {
  HandlerSpec as WireSpec,
  HandlerSpec__Output as WireSpecOut,
} from '../proto/generated/governor/v1/HandlerSpec.js';
import type { HealthCheck__Output } from '../proto/generated/governor/v1/HealthCheck.js';
import type {
  PolicyRule as WireRule,
  PolicyRule__Output as WireRuleOut,
} from '../proto/generated/governor/v1/PolicyRule.js';
import { ValidationError } from './errors.js';
import type { PolicyAction, PolicyRule } from './policy-rules.js';
import type { HandlerSpec, HealthSpec } from './spec.js';
import { revalidateSpec } from './spec-raw.js';
import { MAX_MAP_KEYS, MAX_YAML_BYTES, MAX_YAML_NODES } from './yaml-input.js';

export type { WireSpec, WireSpecOut };

/** Optional spec fields that go on the wire under their own name, unset when the spec lacks them. */
const ACTIVITY_KEYS = [
  'notify',
  'start_timeout_ms',
  'watchdog_ms',
  'idle_cpu_percent',
  'idle_action',
  'frozen_timeout_ms',
] as const;

/** A spec as the wire message (optional fields set only when the spec has them). */
export function specToWire(spec: HandlerSpec): WireSpec {
  const w: WireSpec = {
    name: spec.name,
    count: spec.count ?? 1, // specs stored before `count` existed
    agents: spec.agents,
    selector: spec.selector,
    command: spec.command,
    env: spec.env,
    restart: spec.restart,
    start_seconds: spec.start_seconds,
    start_retries: spec.start_retries,
    backoff: spec.backoff ?? null,
    stop_signal: spec.stop_signal,
    stop_timeout_ms: spec.stop_timeout_ms,
    mode: spec.mode,
    idle_timeout_ms: spec.idle_timeout_ms,
    health: spec.health ? healthToWire(spec.health) : null,
    limits: spec.limits ?? null,
    update: spec.update ?? null,
    labels: spec.labels,
    log: spec.log ?? null,
    inherit_env: spec.inherit_env ? { names: spec.inherit_env } : null,
    policies: (spec.policies ?? []).map(ruleToWire),
  };
  if (spec.cwd !== undefined) w.cwd = spec.cwd;
  if (spec.user !== undefined) w.user = spec.user;
  if (spec.group !== undefined) w.group = spec.group;
  if (spec.type !== undefined) w.type = spec.type;
  if (spec.pid_file !== undefined) w.pid_file = spec.pid_file;
  for (const k of ACTIVITY_KEYS) if (spec[k] !== undefined) Object.assign(w, { [k]: spec[k] });
  return w;
}

function healthToWire(h: HealthSpec): WireSpec['health'] {
  const { tcp, http, exec, ...rest } = h;
  if (tcp !== undefined) return { ...rest, tcp };
  if (http !== undefined) return { ...rest, http };
  return { ...rest, exec: { argv: exec ?? [] } };
}

/**
 * A wire spec in the shape of HandlerSpec, field for field, NOT validated: a missing message becomes an
 * empty map so that the validator names what is missing in it.
 */
function fromWire(w: WireSpecOut): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    name: w.name,
    count: w.count,
    agents: w.agents,
    selector: w.selector,
    command: w.command,
    env: w.env,
    restart: w.restart,
    start_seconds: w.start_seconds,
    start_retries: w.start_retries,
    backoff: { ...w.backoff },
    stop_signal: w.stop_signal,
    stop_timeout_ms: w.stop_timeout_ms,
    mode: w.mode,
    idle_timeout_ms: w.idle_timeout_ms,
    limits: limitsFromWire(w.limits),
    update: { ...w.update },
    labels: w.labels,
    log: { ...w.log },
  };
  if (w.cwd !== undefined) spec.cwd = w.cwd;
  if (w.inherit_env) spec.inherit_env = w.inherit_env.names;
  if (w.user !== undefined) spec.user = w.user;
  if (w.group !== undefined) spec.group = w.group;
  if (w.type !== undefined) spec.type = w.type;
  if (w.pid_file !== undefined) spec.pid_file = w.pid_file;
  for (const k of ACTIVITY_KEYS) if (w[k] !== undefined) spec[k] = w[k];
  if (w.health) spec.health = healthFromWire(w.health);
  if (w.policies?.length) spec.policies = w.policies.map(ruleFromWire);
  return spec;
}

function ruleToWire(r: PolicyRule): WireRule {
  const { when: c, do: a } = r;
  const when: WireRule['when'] = {
    metric: c.metric,
    for_ms: c.for_ms,
    smooth_half_life_ms: c.smooth_half_life_ms ?? 0,
    forecast_ms: c.forecast_ms ?? 0,
  };
  for (const k of ['above', 'below', 'clear_below', 'clear_above'] as const)
    if (c[k] !== undefined) when[k] = c[k];
  const action: WireRule['action'] = { kind: a.kind };
  if (a.kind === 'cool') Object.assign(action, { order: a.order, max: a.max });
  if (a.kind === 'limit_cpu') action.cpu_percent = a.cpu_percent;
  if (a.kind === 'limit_memory') action.memory_bytes = a.memory_bytes;
  if (a.kind === 'signal') action.signal = a.signal;
  return { name: r.name, when, action, cooldown_ms: r.cooldown_ms, dry_run: r.dry_run };
}

/** A wire rule in the shape of PolicyRule, NOT validated (a missing message: an empty map). */
function ruleFromWire(w: WireRuleOut): Record<string, unknown> {
  const c = w.when;
  const when: Record<string, unknown> = c ? { metric: c.metric, for_ms: c.for_ms } : {};
  if (c) {
    for (const k of ['above', 'below', 'clear_below', 'clear_above'] as const)
      if (c[k] !== undefined) when[k] = c[k];
    if (c.smooth_half_life_ms > 0) when.smooth_half_life_ms = c.smooth_half_life_ms;
    if (c.forecast_ms > 0) when.forecast_ms = c.forecast_ms;
  }
  return { name: w.name, when, do: actionFromWire(w.action), cooldown_ms: w.cooldown_ms, dry_run: w.dry_run };
}

function actionFromWire(a: WireRuleOut['action']): Record<string, unknown> {
  if (!a) return {};
  const kind = a.kind as PolicyAction['kind'];
  switch (kind) {
    case 'cool':
      return { kind, order: a.order || 'least-recently-used', max: a.max || 1 }; // unset: the defaults
    case 'limit_cpu':
      return { kind, cpu_percent: a.cpu_percent };
    case 'limit_memory':
      return { kind, memory_bytes: a.memory_bytes };
    case 'signal':
      return { kind, signal: a.signal };
    default:
      return { kind };
  }
}

function limitsFromWire(l: WireSpecOut['limits']): Record<string, number> {
  const out: Record<string, number> = {};
  if (l?.cpu_percent !== undefined) out.cpu_percent = l.cpu_percent;
  if (l?.memory_bytes !== undefined) out.memory_bytes = l.memory_bytes;
  if (l?.pids !== undefined) out.pids = l.pids;
  return out;
}

function healthFromWire(h: HealthCheck__Output): Record<string, unknown> {
  const { tcp, http, exec, probe, ...rest } = h;
  const out: Record<string, unknown> = { ...rest };
  if (probe === 'tcp') out.tcp = tcp;
  if (probe === 'http') out.http = http;
  if (probe === 'exec') out.exec = exec?.argv ?? [];
  return out;
}

/**
 * Specs read from the wire, each validated with the apply validator; the first bad one refuses the whole
 * list with a ValidationError `<from>: <field>[i].<key>: <reason>`. Duplicate names are refused too.
 */
export function specsFromWire(list: readonly WireSpecOut[], field: string, from: string): HandlerSpec[] {
  const seen = new Set<string>();
  return list.map((w, i) => {
    const spec = revalidateSpec(fromWire(w), `${field}[${i}]`, from);
    if (seen.has(spec.name))
      throw new ValidationError(`${from}: ${field}[${i}].name: duplicate handler name ${spec.name}`);
    seen.add(spec.name);
    return spec;
  });
}

/**
 * One wire spec an agent reports (Hello.cached_specs, adopted into the master's store), validated like
 * `specsFromWire` and held to the bounds `gov apply` holds its YAML to (checkSpecBounds): otherwise one
 * spec could be as large as a message (4 MiB), where an applied one is at most MAX_YAML_BYTES.
 */
export function specFromWire(w: WireSpecOut, at: string, from: string): HandlerSpec {
  const raw = fromWire(w);
  checkSpecBounds(raw, at, from);
  return revalidateSpec(raw, at, from);
}

/** A spec's size as a whole: its JSON serialization in UTF-8 bytes (how the master stores it). */
export function specBytes(spec: unknown): number {
  return Buffer.byteLength(JSON.stringify(spec) ?? '', 'utf8');
}

/**
 * Refuses (ValidationError `<from>: <at>[.<key>]: …`) a spec beyond the YAML input limits of
 * shared/yaml-input.ts: more than MAX_YAML_BYTES serialized, a map with more than MAX_MAP_KEYS keys, or
 * more than MAX_YAML_NODES values in all. Checked before the validator, whose cost grows with the spec.
 */
export function checkSpecBounds(spec: Record<string, unknown>, at: string, from: string): void {
  let nodes = 0;
  const walk = (v: unknown, path: string): void => {
    if (++nodes > MAX_YAML_NODES)
      throw new ValidationError(`${from}: ${at}: more than ${MAX_YAML_NODES} values in one spec`);
    if (typeof v !== 'object' || v === null) return;
    const entries = Object.entries(v);
    if (!Array.isArray(v) && entries.length > MAX_MAP_KEYS)
      throw new ValidationError(
        `${from}: ${path}: ${entries.length} keys, more than ${MAX_MAP_KEYS} in one map`,
      );
    for (const [k, x] of entries) walk(x, Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`);
  };
  walk(spec, at);
  const bytes = specBytes(spec);
  if (bytes > MAX_YAML_BYTES)
    throw new ValidationError(
      `${from}: ${at}: too large: ${bytes} bytes serialized; the limit for a spec is ${MAX_YAML_BYTES} bytes (as for a YAML file)`,
    );
}
