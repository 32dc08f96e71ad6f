/**
 * A writer of the Prometheus text exposition format (version 0.0.4), built as one string: the master's
 * per-instance series are written straight from its data, without a label map per series (a scrape of
 * 500 agents × 10 instances stays cheap). Label values are escaped here, in one place.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export type Labels = ReadonlyArray<readonly [name: string, value: string]>;

export class Exposition {
  /** Appended to piece by piece: cheaper than an array of lines joined (fewer strings, one flattening). */
  private out = '';

  /** The `# HELP` and `# TYPE` lines of a family; its samples follow with `sample`. */
  family(name: string, type: MetricType, help: string): this {
    this.out += `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
    return this;
  }

  /** One sample line; `labels` already rendered by `labels()` (or '' for none). */
  sample(name: string, labels: string, value: number): this {
    this.out += name;
    this.out += labels;
    this.out += ' ';
    this.out += formatValue(value);
    this.out += '\n';
    return this;
  }

  /** A histogram's `_bucket` (cumulative), `_sum` and `_count` lines. */
  histogram(name: string, labelPairs: Labels, h: HistogramData): this {
    let cumulative = 0;
    h.bounds.forEach((le, i) => {
      cumulative += h.counts[i] ?? 0;
      this.sample(`${name}_bucket`, labels([...labelPairs, ['le', formatValue(le)]]), cumulative);
    });
    this.sample(`${name}_bucket`, labels([...labelPairs, ['le', '+Inf']]), h.count);
    this.sample(`${name}_sum`, labels(labelPairs), h.sum);
    return this.sample(`${name}_count`, labels(labelPairs), h.count);
  }

  text(): string {
    return this.out;
  }
}

/** `{a="x",b="y"}`, values escaped (backslash, double quote, newline); '' without labels. */
export function labels(pairs: Labels): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

export function escapeLabel(v: string): string {
  return /["\\\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** A histogram's state: `counts[i]` observations in (bounds[i-1], bounds[i]]; beyond the last: only `count`. */
export interface HistogramData {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum: number;
  count: number;
}

export function newHistogram(bounds: readonly number[]): HistogramData {
  return { bounds, counts: bounds.map(() => 0), sum: 0, count: 0 };
}

export function observe(h: HistogramData, v: number): void {
  const i = h.bounds.findIndex((le) => v <= le);
  if (i >= 0) h.counts[i] = (h.counts[i] ?? 0) + 1;
  h.sum += v;
  h.count++;
}

/**
 * `text` with every label value (as written: escaped) replaced by `map(value)`; the same string when no
 * value changes. A scan, not a regular expression: a scrape of thousands of series stays cheap.
 */
export function mapLabelValues(text: string, map: (value: string) => string): string {
  const out: string[] = [];
  let copied = 0;
  let i = text.indexOf('="');
  while (i >= 0) {
    const start = i + 2;
    let end = text.indexOf('"', start);
    // A quote preceded by an odd run of backslashes is escaped: part of the value.
    while (end >= 0 && oddBackslashesBefore(text, end)) end = text.indexOf('"', end + 1);
    if (end < 0) break;
    const value = text.slice(start, end);
    const mapped = map(value);
    if (mapped !== value) {
      out.push(text.slice(copied, start), mapped);
      copied = end;
    }
    i = text.indexOf('="', end + 1);
  }
  if (out.length === 0) return text;
  out.push(text.slice(copied));
  return out.join('');
}

function oddBackslashesBefore(text: string, at: number): boolean {
  let n = 0;
  while (at - n - 1 >= 0 && text.charCodeAt(at - n - 1) === 92) n++;
  return n % 2 === 1;
}
