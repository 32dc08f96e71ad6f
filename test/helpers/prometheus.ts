/**
 * Reading the master's /metrics in tests: a real exposition parser (parse-prometheus-text-format, prom2json's
 * shape) with typed results, and `promtool check metrics` (Debian prometheus) when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

export interface ParsedSample {
  labels?: Record<string, string>;
  value?: string;
  /** Histograms: cumulative counts by `le`. */
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: ParsedSample[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => ParsedFamily[];

/** Families by name. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** The samples of `name` whose labels include `match`. */
export function samples(
  families: Map<string, ParsedFamily>,
  name: string,
  match: Record<string, string> = {},
): ParsedSample[] {
  return (families.get(name)?.metrics ?? []).filter((s) =>
    Object.entries(match).every(([k, v]) => s.labels?.[k] === v),
  );
}

/** The one value of `name` with labels including `match` (a number), or undefined when none matches. */
export function valueOf(
  families: Map<string, ParsedFamily>,
  name: string,
  match: Record<string, string> = {},
): number | undefined {
  const found = samples(families, name, match);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(match)}`);
  return found[0]?.value === undefined ? undefined : Number(found[0].value);
}

/**
 * `promtool check metrics` on `text`: its problems (empty: none), or `{ skipped }` with the reason when
 * promtool is not installed.
 */
export function promtoolCheck(text: string): { problems: string } | { skipped: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    return { skipped: 'promtool is not installed (Debian package prometheus)' };
  if (r.error) throw r.error;
  return { problems: `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : `\n(exit ${r.status})`) };
}

/**
 * A labelled histogram's buckets, count and sum, read from the exposition lines (the parser above flattens
 * a histogram's label sets into one and drops their count and sum); undefined when it has no such series.
 */
export function histogramOf(
  text: string,
  name: string,
  match: Record<string, string>,
): { buckets: Record<string, number>; count: number; sum: number } | undefined {
  const want = Object.entries(match).map(([k, v]) => `${k}="${v}"`);
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}_`) && want.every((w) => l.includes(w)));
  if (lines.length === 0) return undefined;
  const valueOfLine = (l: string) => Number(l.slice(l.lastIndexOf(' ') + 1));
  const buckets: Record<string, number> = {};
  let count = NaN;
  let sum = NaN;
  for (const l of lines) {
    if (l.startsWith(`${name}_bucket{`)) buckets[/le="([^"]*)"/.exec(l)?.[1] ?? '?'] = valueOfLine(l);
    else if (l.startsWith(`${name}_count{`)) count = valueOfLine(l);
    else if (l.startsWith(`${name}_sum{`)) sum = valueOfLine(l);
  }
  return { buckets, count, sum };
}
