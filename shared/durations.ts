/** Parsing of human-friendly durations, byte sizes and CPU percentages used in config and CLI flags. */
import { ValidationError } from './errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * The longest delay a Node timer can run: 2^31-1 ms (about 24.8 days). Node fires a longer timer after
 * 1 ms, so a `30d` health interval would probe continuously: every duration that drives a timer is
 * refused above this, and every computed delay is capped at it (`timerDelay`).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `24d20h31m23.647s`: an exact duration, every unit spelled out (for limits in error messages). */
export function exactDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ];
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0 || out === '') out += rest % 1000 === 0 ? `${rest / 1000}s` : `${(rest / 1000).toFixed(3)}s`;
  return out;
}

/** Why `ms` is refused when it is above `maxMs` (null when it is not). */
function overLimit(input: unknown, ms: number, maxMs: number): string | null {
  if (ms <= maxMs) return null;
  const what = maxMs === MAX_TIMER_MS ? 'the longest timer Node can run' : 'the longest allowed';
  return `${JSON.stringify(input)} exceeds ${what}, ${exactDuration(maxMs)} (${maxMs} ms)`;
}

/** Why a value is not a duration: the one wording, whatever the value's source. */
function notADuration(input: unknown): string {
  // JSON would print Infinity and NaN (YAML's .inf, .nan) as null.
  const shown = typeof input === 'number' ? String(input) : JSON.stringify(input);
  return `${shown} is not a duration (use e.g. 500ms, 10s, 5m)`;
}

/**
 * Parses `250ms`, `10s`, `1.5m`, `2h`, `1d` (or a compound like `1m30s`) into milliseconds; throws on
 * anything else. The one duration parser: by default a duration drives a timer, so more than
 * MAX_TIMER_MS is refused with the limit named (a RangeError); pass `maxMs: Infinity` for spans that
 * never become a timer (e.g. `--since 90d`).
 */
export function parseDuration(input: string, maxMs: number = MAX_TIMER_MS): number {
  const text = String(input).trim();
  if (text === '0') return 0;
  const parts = text.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)/g);
  if (!parts || parts.join('') !== text) throw new Error(notADuration(input));
  let total = 0;
  for (const part of parts) {
    const m = DURATION_RE.exec(part);
    if (!m) throw new Error(notADuration(input));
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
  }
  const ms = Math.round(total);
  const over = overLimit(input, ms, maxMs);
  if (over) throw new RangeError(over);
  return ms;
}

/** A duration given as a number of seconds (YAML `stop_timeout: 10`), bounded as parseDuration bounds it. */
export function secondsToMs(seconds: number, maxMs: number = MAX_TIMER_MS): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(notADuration(seconds));
  const ms = Math.round(seconds * 1000);
  const over = overLimit(seconds, ms, maxMs);
  if (over) throw new RangeError(over);
  return ms;
}

/**
 * A duration as a config file, a spec or a flag writes it: text (`10s`, `1m30s`) or a number of seconds
 * (YAML `stop_timeout: 10`), in ms. Throws an Error with the reason (a RangeError above `maxMs`); callers
 * put the file and key, or the flag, in front.
 */
export function durationMs(value: unknown, maxMs: number = MAX_TIMER_MS): number {
  if (typeof value === 'number') return secondsToMs(value, maxMs);
  if (typeof value !== 'string') throw new Error(notADuration(value));
  return parseDuration(value, maxMs);
}

/**
 * A duration setting (a CLI flag or a settings-file key): parsed and bounded, refused as
 * `WHERE: reason` where WHERE names the flag (`--min-healthy`) or the file and key (`m.yaml: heartbeat_interval`).
 */
export function parseDurationSetting(
  value: unknown,
  where: string,
  refuse: (message: string) => Error = (m) => new ValidationError(m),
): number {
  try {
    return durationMs(value);
  } catch (err) {
    throw refuse(`${where}: ${(err as Error).message}`);
  }
}

/**
 * A point back in time as `--since` writes it: an ISO-8601 time (`2025-01-31T12:00:00Z`) or a duration ago
 * (`10m`, `90d`: a span, never a timer, so not bounded), as epoch ms at `now`; null when it is neither.
 */
export function sinceMs(text: string, now: number): number | null {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    return Number.isFinite(ms) ? ms : null;
  }
  try {
    return now - parseDuration(t, Infinity);
  } catch {
    return null;
  }
}

/**
 * A computed delay made safe for a timer: NaN and negatives become 0, anything above MAX_TIMER_MS
 * becomes MAX_TIMER_MS (the timer then fires late, never after 1 ms).
 */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** Formats milliseconds as a short human duration (`850ms`, `12s`, `3m4s`, `2h1m`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses `512MiB`, `1GiB`, `100MB`, `4096` into bytes; throws on anything else. */
export function parseBytes(input: string | number): number {
  const n = bytesOf(input);
  // Beyond what a cgroup file takes (the kernel refused 1e+300 and the handler ran unlimited).
  if (n > MAX_BYTES) throw new Error(`${JSON.stringify(input)} is more than the largest size, 8 PiB`);
  return n;
}

/** The largest size taken (8 PiB, the largest exact integer here). */
export const MAX_BYTES = Number.MAX_SAFE_INTEGER;

function bytesOf(input: unknown): number {
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) return Math.round(input);
  const m = typeof input === 'string' ? /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(input.trim()) : null;
  const unit = m ? BYTE_UNITS[(m[2] as string).toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new Error(`${JSON.stringify(input)} is not a size (use e.g. 512MiB, 1GiB, 100MB)`);
  return Math.round(Number(m[1]) * unit);
}

/** Formats a byte count with binary units (`12.3 MiB`). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Parses a CPU share such as `150%` (1.5 cores) or `0.5` (cores) into a percentage of one core. */
export function parseCpuPercent(input: string | number): number {
  // A list or a map is no CPU share, whatever String() makes of it.
  const text = typeof input === 'string' || typeof input === 'number' ? String(input).trim() : '';
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const value = pct ? Number(pct[1]) : /^\d+(?:\.\d+)?$/.test(text) ? Number(text) * 100 : NaN;
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${JSON.stringify(input)} is not a CPU limit (use e.g. 50%, 150%)`);
  if (value > MAX_CPU_PERCENT)
    throw new Error(
      `${JSON.stringify(input)} is more than ${MAX_CPU_PERCENT}% (${MAX_CPU_PERCENT / 100} cores)`,
    );
  return value;
}

/** The largest CPU share taken: 1,000 cores. */
export const MAX_CPU_PERCENT = 100_000;

/**
 * Why `ms` is no lease length (`gov ensure --hold`, ControlRequest.hold_ms), or null when it is one: a whole
 * number of ms, more than 0 and at most MAX_TIMER_MS (the lease's end is a timer on the agent). The one
 * rule for CLI, master and agent.
 */
export function holdProblem(ms: number): string | null {
  if (Number.isNaN(ms)) return 'NaN is not a lease length: it must be a whole number of ms, more than 0';
  if (ms <= 0) return `${ms} ms is not a lease length: it must be more than 0`;
  if (!Number.isInteger(ms) && Number.isFinite(ms))
    return `${ms} ms is not a lease length: it must be a whole number of ms`;
  if (ms > MAX_TIMER_MS) return overLimit(`${ms}ms`, ms, MAX_TIMER_MS);
  return null;
}
