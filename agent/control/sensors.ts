/**
 * The control loop's sensors (DESIGN §9 Policies): what a rule's `metric` reads, per instance and per host.
 * Only the metrics some rule asks for are read. A metric that cannot be read here is a reading with the
 * reason (`{unavailable}`), never a made-up number: the rule shows why it has no value.
 *
 * Per instance (from the supervisor's metrics sample, process/sampler.ts, at the metrics interval): `cpu`
 * (share of one core), `rss` (bytes, the tree), `rss_growth` (bytes/s between two samples of the same
 * process), `fds` (entries of /proc/PID/fd over the tree), `restarts_1h` (restarts seen in the last hour:
 * counted from when this agent began measuring the instance), and the instance cgroup's `*.pressure` avg10
 * (cgroup v2 only). Per host (every control interval): MemAvailable, load1, /proc/pressure/{cpu,memory,io}
 * some/full avg10 (percent) and `on_demand.hot`.
 *
 * The source is a seam (`SensorSource`): tests drive any metric through it (the host's real pressure cannot
 * be forced safely). GPU sensors are out of scope.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import type { HostMetric, InstanceMetric } from '../../shared/policy-rules.js';
import { TreeReader, type TreeRef } from '../process/process-tree.js';

/** No value here, and why (the kernel has no PSI, cgroup v1, not running, first sample, …). */
export interface Unavailable {
  unavailable: string;
}
export type Reading = number | Unavailable;

export function isUnavailable(r: unknown): r is Unavailable {
  return typeof r === 'object' && r !== null && 'unavailable' in r;
}

/**
 * One instance as the instance sensors see it at a metrics sample, and where they write its readings: one
 * record per instance, kept by the caller and rewritten in place at every sample (`instanceInput` makes
 * one), so that a sample allocates nothing.
 */
export interface InstanceInput {
  /** Instance key (`web#1`). */
  readonly key: string;
  running: boolean;
  /** Its main process (a new one restarts `rss_growth`); null when not known. */
  root: number | null;
  /** Its process tree, whose fds are counted (process-tree.ts: what metrics sum over); null when not known. */
  tree: TreeRef | null;
  cpu_percent: number;
  memory_bytes: number;
  restarts: number;
  /** Its cgroup v2 directory, or why it has no pressure files. */
  cgroup: { dir: string } | Unavailable;
  /** The metrics to read (its rules'), fixed for the record's life. */
  readonly metrics: readonly InstanceMetric[];
  /** Written by the source at each sample, one per metric (same order): its value, or why it has none ('':
   * it has one). */
  readonly values: Float64Array;
  readonly unavailable: string[];
}

/** An input's cgroup when none of its metrics is a pressure one (the directory is not looked up). */
export const NO_CGROUP: Unavailable = { unavailable: 'not read: no rule reads pressure' };

/** A record for `key` reading `metrics` (not running, no reading yet). */
export function instanceInput(key: string, metrics: readonly InstanceMetric[]): InstanceInput {
  return {
    key,
    running: false,
    root: null,
    tree: null,
    cpu_percent: 0,
    memory_bytes: 0,
    restarts: 0,
    cgroup: NO_CGROUP,
    metrics: [...metrics],
    values: new Float64Array(metrics.length),
    unavailable: metrics.map(() => 'not read yet'),
  };
}

/** Whether `metric` is read from the instance's cgroup (its `*.pressure` files). */
export function isPressureMetric(metric: string): boolean {
  return metric.startsWith('pressure.');
}

export type Readings<M extends string> = Map<M, Reading>;

/** Where readings come from: the real one below, or a test's. */
export interface SensorSource {
  /** Host metrics (`wanted` only), read now. */
  host(wanted: ReadonlySet<HostMetric>, now: number): Readings<HostMetric>;
  /** Each input's metrics, from one metrics sample taken at `now`, written into its `values` and
   * `unavailable`. `inputs` is every instance of the sample that some rule reads. */
  instances(inputs: readonly InstanceInput[], now: number): void;
}

const HOUR_MS = 3_600_000;
const NOT_RUNNING: Unavailable = { unavailable: 'not running' };
const FIRST_SAMPLE: Unavailable = { unavailable: 'first sample of this process' };
const ROOT_UNKNOWN: Unavailable = { unavailable: 'its main process is not known yet' };

/** Some time in `times` is an hour old at `now` (a loop, no closure: this runs for every instance at every
 * sample). */
function anyHourOld(times: readonly number[], now: number): boolean {
  for (let k = 0; k < times.length; k++) if (now - times[k]! >= HOUR_MS) return true;
  return false;
}

/** `some avg10=1.50 avg60=… total=…` / `full …` → avg10 per line kind (percent). */
export function parsePressure(text: string): { some?: number; full?: number } {
  const out: { some?: number; full?: number } = {};
  for (const line of text.split('\n')) {
    const m = /^(some|full)\s.*\bavg10=([0-9.]+)/.exec(line.trim());
    if (m) out[m[1] as 'some' | 'full'] = Number(m[2]);
  }
  return out;
}

function readOr(file: string): string | Unavailable {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return { unavailable: `${file}: ${errorMessage(err)}` };
  }
}

/** A pressure metric (`host.memory.pressure.some`, `pressure.io.full`) → [kind, line]. */
function psiParts(metric: string): [string, 'some' | 'full'] | null {
  const m = /(?:^|\.)(cpu|memory|io)\.pressure\.(some|full)$|^pressure\.(cpu|memory|io)\.(some|full)$/.exec(
    metric,
  );
  if (!m) return null;
  return [(m[1] ?? m[3])!, (m[2] ?? m[4]) as 'some' | 'full'];
}

/** A pressure reading from `file` (its `line`), or why there is none. */
function pressureOf(file: string, line: 'some' | 'full', texts: Map<string, string | Unavailable>): Reading {
  let text = texts.get(file);
  if (text === undefined) {
    text = readOr(file);
    texts.set(file, text);
  }
  if (isUnavailable(text)) return { unavailable: `no pressure stall information (${text.unavailable})` };
  const v = parsePressure(text)[line];
  return v === undefined ? { unavailable: `${file} has no "${line}" line` } : v;
}

interface Seen {
  root: number | null;
  rss: number;
  at: number;
  restarts: number;
  /** When restarts were seen (epoch ms), the last hour's. */
  restartTimes: number[];
  /** The `instances` call that last saw it (one not seen at the latest call is gone). */
  call: number;
}

export interface ProcSensorOptions {
  /** /proc (tests may point it at a directory of their own). */
  procRoot?: string;
  /** on_demand.hot: on-demand instances hot or warming now. */
  onDemandHot: () => number;
}

/** The real sensors: /proc, the instance cgroups, and the supervisor's metrics sample. */
export class ProcSensors implements SensorSource {
  /** Per instance, what the last sample showed (one record per instance, updated in place). */
  private readonly seen = new Map<string, Seen>();
  private calls = 0;
  /** The trees' reader of the sample being read (process-tree.ts; its walk of /proc is shared). */
  private reader: TreeReader | null = null;
  private readonly proc: string;

  constructor(private readonly opts: ProcSensorOptions) {
    this.proc = opts.procRoot ?? '/proc';
  }

  host(wanted: ReadonlySet<HostMetric>): Readings<HostMetric> {
    const out: Readings<HostMetric> = new Map();
    const texts = new Map<string, string | Unavailable>();
    for (const metric of wanted) {
      if (metric === 'on_demand.hot') out.set(metric, this.opts.onDemandHot());
      else if (metric === 'host.memory.available') out.set(metric, this.memAvailable());
      else if (metric === 'host.load1') out.set(metric, this.load1());
      else {
        const parts = psiParts(metric);
        if (parts) out.set(metric, pressureOf(path.join(this.proc, 'pressure', parts[0]), parts[1], texts));
      }
    }
    return out;
  }

  private memAvailable(): Reading {
    const file = path.join(this.proc, 'meminfo');
    const text = readOr(file);
    if (isUnavailable(text)) return text;
    const m = /^MemAvailable:\s+(\d+)\s*kB/m.exec(text);
    return m ? Number(m[1]) * 1024 : { unavailable: `${file} has no MemAvailable line (kernel < 3.14)` };
  }

  private load1(): Reading {
    const file = path.join(this.proc, 'loadavg');
    const text = readOr(file);
    if (isUnavailable(text)) return text;
    const v = Number(text.split(' ')[0]);
    return Number.isFinite(v) ? v : { unavailable: `${file}: unreadable load average` };
  }

  instances(inputs: readonly InstanceInput[], now: number): void {
    const call = ++this.calls;
    this.reader = null; // a new sample: the trees are read anew
    for (let k = 0; k < inputs.length; k++) this.instance(inputs[k]!, now, call);
    // Instances gone since (more records than instances now) are forgotten.
    if (this.seen.size > inputs.length)
      for (const [k, seen] of this.seen) if (seen.call !== call) this.seen.delete(k);
  }

  /** One instance's readings into its record (nothing allocated unless a restart is counted or expires, or
   * a file is read). */
  private instance(i: InstanceInput, now: number, call: number): void {
    let seen = this.seen.get(i.key);
    // From the previous sample of the same process, before the record is updated in place.
    const hasGrowth = seen !== undefined && seen.root === i.root && now > seen.at;
    const growth = hasGrowth ? ((i.memory_bytes - seen!.rss) * 1000) / (now - seen!.at) : 0;
    if (!seen) {
      seen = { root: null, rss: 0, at: 0, restarts: i.restarts, restartTimes: [], call };
      this.seen.set(i.key, seen);
    } else if (anyHourOld(seen.restartTimes, now))
      seen.restartTimes = seen.restartTimes.filter((t) => now - t < HOUR_MS);
    // Restarts the counter shows since the last sample happened in between: counted at this sample.
    for (let n = 0; n < Math.min(i.restarts - seen.restarts, 1000); n++) seen.restartTimes.push(now);
    seen.root = i.running ? i.root : null;
    seen.rss = i.memory_bytes;
    seen.at = now;
    seen.restarts = i.restarts;
    seen.call = call;
    let texts: Map<string, string | Unavailable> | undefined;
    const { metrics, values, unavailable } = i;
    for (let j = 0; j < metrics.length; j++) {
      const metric = metrics[j]!;
      let r: Reading;
      if (metric === 'restarts_1h') r = seen.restartTimes.length;
      else if (!i.running) r = NOT_RUNNING;
      else if (metric === 'cpu') r = i.cpu_percent / 100;
      else if (metric === 'rss') r = i.memory_bytes;
      else if (metric === 'rss_growth') r = hasGrowth ? growth : FIRST_SAMPLE;
      else if (metric === 'fds') r = i.tree === null ? ROOT_UNKNOWN : this.fds(i.tree);
      else {
        const parts = psiParts(metric);
        if (!parts)
          r = NaN; // no sensor of this name: no value
        else
          r = isUnavailable(i.cgroup)
            ? i.cgroup
            : pressureOf(path.join(i.cgroup.dir, `${parts[0]}.pressure`), parts[1], (texts ??= new Map()));
      }
      if (typeof r === 'number') {
        values[j] = r;
        unavailable[j] = '';
      } else {
        values[j] = NaN;
        unavailable[j] = r.unavailable;
      }
    }
  }

  /** Open file descriptors over the processes of `tree` (one TreeReader for a sample's trees). */
  private fds(tree: TreeRef): Reading {
    let n = 0;
    for (const st of (this.reader ??= new TreeReader()).members(tree)) {
      try {
        n += readdirSync(path.join(this.proc, String(st.pid), 'fd')).length;
      } catch (err) {
        // A process that exited meanwhile has none; one we may not read makes the count wrong.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        return { unavailable: `/proc/${st.pid}/fd: ${errorMessage(err)}` };
      }
    }
    return n;
  }
}
