/**
 * One CPU counter per instance, read from ONE cgroup file: what lets the metrics sample skip the /proc reads
 * of a handler none of whose processes ran since its last full read (sampler.ts; an idle agent with 100
 * handlers would otherwise read some 400 /proc files every interval). Detected ONCE at agent start:
 * - v2 (the tracking layout is cgroup v2, cgroup-tracking.ts): `usage_usec` of `cpu.stat` in the instance's own
 *   tracking group (the handle's `cgroup`), which the kernel keeps with or without the cpu controller.
 * - v1 (a `cpuacct` hierarchy under the cgroup root, alone or mounted with `cpu`):
 *   `<root>/<cpuacct mount>/governor/<scope>/<instance>`, which a spawn joins like the other v1 controllers
 *   (`prepare` gives its cgroup.procs to cgroups-backend.ts); `cpuacct.usage` (ns). Found again by path after
 *   an agent restart; emptied groups go with the housekeeping sweep.
 * None (no v2 tracking group, no v1 cpuacct): `usage` is null and every sample reads /proc, as it did.
 * A counter that reads 0 is no counter (a group nobody joined: the instance was spawned before it existed).
 * The agent's scope group above the instance groups counts them all (hierarchically, what ran in a group
 * since removed included): while ITS counter has not moved, nothing in any group ran and each group's counter
 * is the one read the round before — one read per sample for an idle agent (`round`).
 * Nothing here throws.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../shared/logger.js';
import type { Handle } from './backend.js';
import {
  NOTHING_SWEPT,
  readText,
  sweepScope,
  type SweepResult,
  type TrackingLayout,
} from './cgroup-tracking.js';

const V1_CPUACCT_DIRS = ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu'];

export interface CpuAccountingOptions {
  /** The cgroup filesystem root (the agent's --cgroup-root). */
  root: string;
  /** This agent's directory under `governor/` (one per data dir). */
  scope: string;
  /** The tracking layout (cgroup-tracking.ts); null: tracking is off. */
  tracking: TrackingLayout | null;
  logger: Logger;
}

/** Which counter to read under `root` given the tracking layout; null when none. */
export function detectCpuAccounting(
  root: string,
  tracking: TrackingLayout | null,
): { kind: 'v2' } | { kind: 'v1'; base: string } | null {
  if (tracking?.version === 2) return { kind: 'v2' };
  const base = V1_CPUACCT_DIRS.map((d) => path.join(root, d)).find((d) =>
    existsSync(path.join(d, 'cpuacct.usage')),
  );
  return base ? { kind: 'v1', base } : null;
}

export class CpuAccounting {
  readonly kind: 'v1' | 'v2' | null;
  /** `<cpuacct mount>/governor/<scope>` (v1), the tracking groups' `<base>/governor/<scope>` (v2). */
  private readonly scopeDir: string;
  private readonly log: Logger;
  /** The scope's counter at the last round, and each instance's counter read since it last moved. */
  private scopeCounter: number | null = null;
  private readonly known = new Map<string, { pid: number; n: number }>();

  constructor(opts: CpuAccountingOptions) {
    this.log = opts.logger.named('cgroups');
    const d = detectCpuAccounting(opts.root, opts.tracking);
    this.kind = d?.kind ?? null;
    const base = d?.kind === 'v1' ? d.base : d?.kind === 'v2' ? opts.tracking!.base : null;
    this.scopeDir = base ? path.join(base, 'governor', opts.scope) : '';
  }

  /**
   * One sample's reader of instance counters (see the top of this file): when the scope's counter has not
   * moved since the last round, an instance's counter is the one read before, without a read.
   */
  round(): (key: string, h: Handle) => number | null {
    if (this.kind === null) return () => null;
    const scope = this.scopeUsage();
    const still = scope !== null && scope === this.scopeCounter;
    this.scopeCounter = scope;
    if (!still) this.known.clear();
    return (key, h) => {
      // Only for the same process: a respawn whose shim could not join the group leaves the scope still.
      const before = still ? this.known.get(key) : undefined;
      if (before !== undefined && before.pid === h.pid) return before.n;
      const n = this.usage(key, h);
      if (n !== null) this.known.set(key, { pid: h.pid, n });
      else this.known.delete(key);
      return n;
    };
  }

  /** v1: creates instance `key`'s cpuacct group and returns its cgroup.procs for the spawn to join; else null. */
  prepare(key: string): string | null {
    if (this.kind !== 'v1') return null;
    const dir = path.join(this.scopeDir, key);
    try {
      mkdirSync(dir, { recursive: true });
      return path.join(dir, 'cgroup.procs');
    } catch (err) {
      this.log.warn('cpuacct cgroup not created; this handler is sampled from /proc every time', {
        dir,
        err,
      });
      return null;
    }
  }

  /** Whether instance `key` had a counter in the last round (its processes are in a counted group). */
  counted(key: string): boolean {
    return this.known.has(key);
  }

  /**
   * A watch of the scope counter for one periodic chore: each call tells which instances did not run since
   * the chore's previous call — all those in counted groups, when nothing in the scope ran — or null when
   * something may have. What did not run did not exit, fork or write a log.
   */
  quietWatch(): () => ((key: string) => boolean) | null {
    let last: number | null = null;
    return () => {
      const cpu = this.scopeUsage();
      const still = cpu !== null && cpu === last;
      last = cpu;
      return still ? (key) => this.counted(key) : null;
    };
  }

  /** The counter of all this agent's instance groups together (the scope group); null when none. */
  scopeUsage(): number | null {
    return this.kind === null ? null : this.counterIn(this.scopeDir);
  }

  /**
   * The CPU time instance `key` (handle `h`) used so far, in the group's own unit (a counter: only compared
   * with an earlier reading of the same group); null when there is none to read.
   */
  usage(key: string, h: Handle): number | null {
    if (this.kind === 'v2') return h.cgroup ? this.counterIn(h.cgroup) : null;
    return this.kind === 'v1' ? this.counterIn(path.join(this.scopeDir, key)) : null;
  }

  /**
   * `usage` in seconds: exact (the kernel's runtime, not /proc's 10 ms ticks per process), and counting what
   * processes of the group that exited since used — what the idle look's CPU window reads where it can.
   */
  seconds(key: string, h: Handle): number | null {
    const n = this.usage(key, h);
    return n === null ? null : n / (this.kind === 'v2' ? 1e6 : 1e9);
  }

  /** The counter of group `dir` (v2 `cpu.stat` usage_usec, v1 `cpuacct.usage`); null when none or 0. */
  private counterIn(dir: string): number | null {
    let n = NaN;
    if (this.kind === 'v2') {
      const text = readText(path.join(dir, 'cpu.stat'));
      n = text?.startsWith('usage_usec ') ? parseInt(text.slice(11), 10) : NaN;
    } else if (this.kind === 'v1') {
      n = parseInt(readText(path.join(dir, 'cpuacct.usage')) ?? '', 10);
    }
    return Number.isFinite(n) && n > 0 ? n : null;
  }

  /** Removes this agent's empty v1 cpuacct groups but `keep` (the housekeeping sweep; v2: the tracking's). */
  sweep(keep: ReadonlySet<string> = new Set()): SweepResult {
    return this.kind === 'v1' ? sweepScope(this.scopeDir, keep, this.log) : NOTHING_SWEPT;
  }
}
