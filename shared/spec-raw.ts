/**
 * A compiled handler spec back in the form a user writes (durations as `1500ms`, sizes in bytes), so a
 * spec that arrives already compiled — one an agent reports from its cache — is checked by the same
 * validator as `gov apply` (parseHandler). Fields without a conversion below are passed through as they
 * are, so fields added to the spec later are validated too.
 */
import { isDeepStrictEqual } from 'node:util';
import { ValidationError } from './errors.js';
import { policyRulesToRaw } from './policy-rules.js';
import { parseHandler, type HandlerSpec } from './spec.js';

type Raw = Record<string, unknown>;

const ms = (v: unknown): unknown => (typeof v === 'number' ? `${v}ms` : v);

/** `{stop_timeout_ms: 1500}` → `{stop_timeout: '1500ms'}` one level deep (and the few renamed fields). */
function rawLevel(obj: Raw): Raw {
  const out: Raw = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k.endsWith('_ms')) out[k.slice(0, -3)] = ms(v);
    else out[k] = v;
  }
  return out;
}

export function specToRaw(spec: HandlerSpec): Raw {
  const s = spec as unknown as Raw;
  const raw = rawLevel(s);
  raw.backoff = rawLevel(spec.backoff as unknown as Raw);
  if (spec.health) raw.health = rawLevel(spec.health as unknown as Raw);
  raw.update = rawLevel(spec.update as unknown as Raw);
  const limits: Raw = {};
  if (spec.limits?.cpu_percent !== undefined) limits.cpu = `${spec.limits.cpu_percent}%`;
  if (spec.limits?.memory_bytes !== undefined) limits.memory = spec.limits.memory_bytes;
  if (spec.limits?.pids !== undefined) limits.pids = spec.limits.pids;
  raw.limits = limits;
  if (spec.log) raw.log = { max_size: spec.log.max_bytes, keep: spec.log.keep };
  if (spec.idle_cpu_percent !== undefined) {
    delete raw.idle_cpu_percent;
    raw.idle_cpu = `${spec.idle_cpu_percent}%`;
  }
  if (spec.mode !== 'on-demand') delete raw.idle_timeout; // only allowed (and only meaningful) on-demand
  if (Array.isArray(spec.policies)) raw.policies = policyRulesToRaw(spec.policies);
  return raw;
}

/**
 * Validates a compiled spec with the apply validator; it passes only if validating its user form gives
 * back exactly the same spec. Otherwise throws a ValidationError naming `file` and the field: the one the
 * validator refuses, or the first that differs from what it makes of the spec (`at.backoff.initial_ms`).
 */
export function revalidateSpec(spec: unknown, at: string, file: string): HandlerSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new ValidationError(`${file}: ${at}: must be a handler spec (a map)`);
  const parsed = parseHandler(specToRaw(spec as HandlerSpec), at, file);
  if (!isDeepStrictEqual(parsed, spec)) {
    const d = firstDifference(parsed, spec, at);
    throw new ValidationError(
      `${file}: ${d.at}: is ${describe(d.got)}, but the apply validator makes it ${describe(d.want)}`,
    );
  }
  return parsed;
}

const describe = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v));

/** The first key path (`at.backoff.initial_ms`) where `got` differs from `want`. */
function firstDifference(
  want: unknown,
  got: unknown,
  at: string,
): { at: string; want: unknown; got: unknown } {
  const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null;
  if (isMap(want) && isMap(got) && Array.isArray(want) === Array.isArray(got)) {
    for (const k of new Set([...Object.keys(want), ...Object.keys(got)])) {
      if (!isDeepStrictEqual(want[k], got[k]))
        return firstDifference(want[k], got[k], Array.isArray(want) ? `${at}[${k}]` : `${at}.${k}`);
    }
  }
  return { at, want, got };
}
