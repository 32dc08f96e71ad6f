/**
 * Field validators for specs: each checks one value at a key path and, on refusal, throws a
 * ValidationError naming the file, the key path and the reason (`handlers[1].stop_timeout: ...`).
 */
import { signalNameOf } from './signals.js';
import { parseEnvTemplate } from './spec-env.js';
import { durationMs, parseBytes } from './durations.js';
import { ValidationError } from './errors.js';
import { labelProblem } from './labels.js';
import { join } from './shape.js';

export type Obj = Record<string, unknown>;

export class Ctx {
  constructor(readonly file: string) {}
  fail(key: string, reason: string): never {
    throw new ValidationError(`${this.file}: ${key}: ${reason}`);
  }
}

export function subMap(ctx: Ctx, at: string, v: unknown): Obj {
  if (v === undefined) return {};
  if (!isObj(v)) return ctx.fail(at, 'must be a map');
  return v;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkKeys(ctx: Ctx, at: string, obj: Obj, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) ctx.fail(`${at}.${k}`, `unknown key (allowed: ${allowed.join(', ')})`);
  }
}

export function str(ctx: Ctx, at: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') ctx.fail(at, `${JSON.stringify(v)} must be a non-empty string`);
  return noNul(ctx, at, v);
}

/** A string that reaches a process (argv, env, cwd) cannot hold a NUL byte: refused here, not at spawn. */
export function noNul(ctx: Ctx, at: string, v: string): string {
  if (v.includes('\0')) ctx.fail(at, `${JSON.stringify(v)} contains a NUL byte`);
  return v;
}

/** An environment variable name: letters, digits and `_`, not starting with a digit (no `=`, newline or NUL). */
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `env`: names by ENV_NAME_RE, values strings without NUL. */
export function envMap(ctx: Ctx, at: string, v: unknown): Record<string, string> {
  const out = stringMap(ctx, at, v);
  for (const k of Object.keys(out)) {
    if (!ENV_NAME_RE.test(k)) {
      ctx.fail(
        `${at}.${JSON.stringify(k)}`,
        'is not an environment variable name (letters, digits and _, not starting with a digit)',
      );
    }
    const template = parseEnvTemplate(out[k]!);
    if ('error' in template) ctx.fail(`${at}.${k}`, template.error);
  }
  return out;
}

/** An absolute path (`cwd`): a relative one would depend on where the agent happens to run. */
export function absolutePath(ctx: Ctx, at: string, v: unknown): string {
  const p = str(ctx, at, v);
  if (!p.startsWith('/')) ctx.fail(at, `${JSON.stringify(p)} must be an absolute path`);
  return p;
}

/** A duration (`10s`, or a number of seconds) in ms; more than a Node timer can run is refused with the limit. */
export function duration(ctx: Ctx, at: string, v: unknown): number {
  try {
    return durationMs(v);
  } catch (err) {
    return ctx.fail(at, (err as Error).message);
  }
}

/** Integers travel as uint32 (spec.proto): a larger one would reach the agent as another number. */
export const MAX_INT_FIELD = 2 ** 32 - 1;

export function int(ctx: Ctx, at: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    ctx.fail(at, `${JSON.stringify(v)} must be an integer ≥ ${min}`);
  return v;
}

export function bool(ctx: Ctx, at: string, v: unknown): boolean {
  if (typeof v !== 'boolean') ctx.fail(at, `${JSON.stringify(v)} must be true or false`);
  return v;
}

export function num(ctx: Ctx, at: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    ctx.fail(at, `${JSON.stringify(v)} must be a number from ${min} to ${max}`);
  }
  return v;
}

export function oneOf<T extends string>(ctx: Ctx, at: string, v: unknown, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T))
    ctx.fail(at, `${JSON.stringify(v)} must be one of ${options.join(' | ')}`);
  return v as T;
}

export function stringMap(ctx: Ctx, at: string, v: unknown): Record<string, string> {
  if (!isObj(v)) return ctx.fail(at, 'must be a map of strings');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    // An object's prototype slot, not a key: stored, it would vanish (a selector of nothing: every agent).
    if (k === '__proto__') ctx.fail(join(at, k), 'is not a key a map of strings may hold');
    if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean')
      ctx.fail(join(at, k), 'must be a string');
    // A handlers file's values arrive as written (parseYamlInput); a spec given as data may hold numbers: a
    // whole one within 2^53 is certain, 1.1 may have been 1.10 and 20 digits lose some: refused.
    if (typeof val === 'number' && !Number.isSafeInteger(val))
      ctx.fail(join(at, k), `the number ${val} may not be what was meant: quote it`);
    out[k] = noNul(ctx, join(at, k), String(val));
  }
  return out;
}

/** Checks every pair of a map of labels (`labels:`, `selector:`) by the label rule (shared/labels.ts). */
export function checkLabelMap(ctx: Ctx, at: string, labels: Record<string, string>): void {
  for (const [k, val] of Object.entries(labels)) {
    const problem = labelProblem(k, val);
    if (problem) ctx.fail(join(at, k), problem);
  }
}

export function stringList(ctx: Ctx, at: string, v: unknown): string[] {
  if (!Array.isArray(v)) return ctx.fail(at, 'must be a list of strings');
  return v.map((x, i) => str(ctx, `${at}[${i}]`, x));
}

export function signal(ctx: Ctx, at: string, v: unknown): NodeJS.Signals {
  const name = signalNameOf(v);
  if (typeof v === 'number') ctx.fail(at, `${v}: a signal is given by its name (e.g. SIGTERM or TERM)`);
  if (name === undefined || name === 'SIGKILL' || name === 'SIGSTOP') {
    ctx.fail(
      at,
      `${JSON.stringify(v)} is not a signal a handler can be asked to stop with (e.g. SIGTERM, SIGINT)`,
    );
  }
  return name;
}

export function parseSize(ctx: Ctx, at: string, v: unknown): number {
  try {
    const n = parseBytes(v as string);
    if (n <= 0) throw new Error('zero');
    return n;
  } catch {
    return ctx.fail(at, `${JSON.stringify(v)} is not a size (use e.g. 512MiB, 1GiB)`);
  }
}
