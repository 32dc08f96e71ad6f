/**
 * Checking the shape of a loaded JSON document (a state file) before anything uses it. A file that parses
 * but holds the wrong shape is refused with the file, the field path and what was expected:
 * `/var/lib/gov/master.json: executions: expected an array, got string`. Never silently emptied.
 */
import { ValidationError } from './errors.js';

/** `null`, `array`, `string`, `number`, `boolean`, `object`. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Field paths within one file: `specs.web.versions[0].spec`. */
export const FILE_REFUSAL =
  'refusing to start — repair or move the file (a missing file starts empty, an existing one is never emptied)';

export class ShapeChecker {
  /** `file` names where the document came from; `refusal` says what happens and what to do (a file's by default). */
  constructor(
    readonly file: string,
    readonly refusal: string = FILE_REFUSAL,
  ) {}

  fail(at: string, reason: string): never {
    throw new ValidationError(`${this.file}: ${at || '(top level)'}: ${reason}; ${this.refusal}`);
  }

  private expect(at: string, v: unknown, want: string, ok: boolean): void {
    if (!ok) this.fail(at, `expected ${want}, got ${typeName(v)}`);
  }

  object(at: string, v: unknown): Record<string, unknown> {
    this.expect(at, v, 'an object', typeName(v) === 'object');
    return v as Record<string, unknown>;
  }

  array(at: string, v: unknown): unknown[] {
    this.expect(at, v, 'an array', Array.isArray(v));
    return v as unknown[];
  }

  string(at: string, v: unknown): string {
    this.expect(at, v, 'a string', typeof v === 'string');
    return v as string;
  }

  number(at: string, v: unknown): number {
    this.expect(at, v, 'a number', typeof v === 'number' && Number.isFinite(v));
    return v as number;
  }

  boolean(at: string, v: unknown): boolean {
    this.expect(at, v, 'true or false', typeof v === 'boolean');
    return v as boolean;
  }

  /** A string from a fixed set. */
  oneOf<S extends string>(at: string, v: unknown, allowed: readonly S[]): S {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      this.fail(at, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v) ?? typeName(v)}`);
    return v as S;
  }

  /** An object whose every value passes `each(path, value)`. */
  record(at: string, v: unknown, each: (at: string, value: unknown, key: string) => void): void {
    for (const [k, x] of Object.entries(this.object(at, v))) each(join(at, k), x, k);
  }

  /** `null` or what `check` accepts. */
  nullable(at: string, v: unknown, check: (at: string, v: unknown) => unknown): void {
    if (v !== null) check(at, v);
  }

  /** Absent (`undefined`) or what `check` accepts. */
  optional(at: string, v: unknown, check: (at: string, v: unknown) => unknown): void {
    if (v !== undefined) check(at, v);
  }
}

/** `a` + `b` → `a.b` (or `a["b c"]` when `b` is not a plain key). */
export function join(at: string, key: string | number): string {
  if (typeof key === 'number') return `${at}[${key}]`;
  const part = /^[A-Za-z0-9_@#-]+$/.test(key) ? key : JSON.stringify(key);
  return at ? `${at}.${part}` : part;
}
