/**
 * Redaction for what the master serves without authentication (the plaintext HTTP endpoint): command
 * lines and environments are secrets (`--token=…`, `DB_PASSWORD`), and they leak through specs, through
 * lifecycle events and errors that quote a command line ("could not spawn node app.js --token=…"), and
 * through execution errors. `redactPublic()` is the one function applied to every such response body:
 *
 * - structure: `env` maps keep their keys, never their values; `command` / `argv` / `args` / `exec` argv
 *   arrays keep the program (argv[0]) and lose every argument;
 * - text, in every string: each secret the master knows (every argument after the program and every env
 *   value of every spec version it holds, health-check argv included) is replaced wherever it occurs, and
 *   — for what it does not know (a spec deleted since, an agent's own config) — values after secret-looking
 *   names (`--api-key VALUE`, `token=`, `DB_PASSWORD:`) and passwords in URLs (`https://u:PASS@host`).
 *
 * It errs towards removing too much: the authenticated admin API (mTLS) shows everything.
 */
import type { HandlerSpec } from '../../shared/spec.js';

export const REDACTED = '[redacted]';

/** Known values shorter than this are not searched for in free text (they would blank out `code=1`). */
const MIN_SECRET_CHARS = 4;
const SECRET_WORD = String.raw`[\w.-]*(?:token|secret|passw(?:or)?d|pwd|key|auth|credential|cookie|session)[\w.-]*`;
const PATTERNS: Array<[RegExp, string]> = [
  // `--api-key VALUE`, `--token=VALUE`, `-password VALUE`
  [
    new RegExp(String.raw`(^|[\s"'\[,])(-{1,2}${SECRET_WORD})(=|\s+)("[^"]*"|'[^']*'|[^\s"',\]]+)`, 'gi'),
    `$1$2$3${REDACTED}`,
  ],
  // `TOKEN=VALUE`, `db_password: VALUE`, `"api_key":"VALUE"`
  [
    new RegExp(String.raw`\b(${SECRET_WORD})("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',}\]]+)`, 'gi'),
    `$1$2${REDACTED}`,
  ],
  // `scheme://user:PASSWORD@host`
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi, `$1${REDACTED}@`],
];

/** Keys whose value is an argv (program kept, arguments redacted). */
const ARGV_KEYS = new Set(['command', 'argv', 'args', 'exec']);
/** Keys whose value is an environment map (keys kept, values redacted). */
const ENV_KEYS = new Set(['env', 'environment']);

/** A compiled set of known secrets; build one per response with `secretsOf`. */
export class Secrets {
  private readonly re: RegExp | null;

  constructor(values: Iterable<string>) {
    const distinct = [...new Set([...values].filter((v) => v.length >= MIN_SECRET_CHARS))];
    // Longest first, so a secret containing another is removed whole.
    distinct.sort((a, b) => b.length - a.length);
    const forms = distinct.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
    this.re = forms.length ? new RegExp([...new Set(forms)].map(escapeRegExp).join('|'), 'g') : null;
  }

  /** `text` without any known secret nor anything that looks like one. */
  redactText(text: string): string {
    let out = this.re ? text.replace(this.re, REDACTED) : text;
    for (const [re, to] of PATTERNS) out = out.replace(re, to);
    return out;
  }
}

/** Every argument (after the program) and env value of `specs`, health-check argv included. */
export function secretsOf(specs: Iterable<HandlerSpec>): Secrets {
  const values: string[] = [];
  for (const s of specs) {
    values.push(...(s.command ?? []).slice(1), ...Object.values(s.env ?? {}));
    const exec = s.health?.exec;
    if (Array.isArray(exec)) values.push(...exec.slice(1));
    if (typeof s.health?.http === 'string') values.push(...urlSecrets(s.health.http));
  }
  return new Secrets(values.filter((v): v is string => typeof v === 'string'));
}

/** A deep copy of `value` safe to serve without authentication (see the file comment). */
export function redactPublic<T>(value: T, secrets: Secrets): T {
  return walk(value, secrets, '') as T;
}

function walk(v: unknown, secrets: Secrets, key: string): unknown {
  if (typeof v === 'string') return secrets.redactText(v);
  if (Array.isArray(v)) {
    if (ARGV_KEYS.has(key)) return v.map((x, i) => (i === 0 ? walk(x, secrets, '') : REDACTED));
    return v.map((x) => walk(x, secrets, ''));
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out[k] = ENV_KEYS.has(k) && x !== null && typeof x === 'object' ? redactValues(x) : walk(x, secrets, k);
    }
    return out;
  }
  return v;
}

function redactValues(env: object): Record<string, string> {
  return Object.fromEntries(Object.keys(env).map((k) => [k, REDACTED]));
}

/** Query values and userinfo of a URL (health-check URLs may carry a token). */
function urlSecrets(text: string): string[] {
  try {
    const u = new URL(text);
    return [u.password, ...u.searchParams.values()].filter(Boolean);
  } catch {
    return [];
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
