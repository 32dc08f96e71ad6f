/**
 * Advisory limits through cgroups (DESIGN §3): detects v2 (`cpu.max`, `memory.max`, `pids.max`) or v1
 * (`cpu.cfs_quota_us`, `memory.limit_in_bytes`, `pids.max`) under a cgroup root, creates one group per
 * instance under `<root>/[controller/]governor/<scope>/<group>`, writes the limits and moves processes in by
 * PID (never a signal). When cgroups are not usable it logs ONE warning and everything runs unlimited: a
 * limit never blocks a start. Empty groups are removed by `sweep()` (an instance's group once it ended, and
 * stale groups left by an earlier agent run).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { LimitsSpec } from '../../shared/spec.js';
import {
  AGENT_LEAF,
  NOTHING_SWEPT,
  addSweeps,
  readText,
  sweepScope,
  type SweepResult,
} from './cgroup-tracking.js';

/** The CFS period used for CPU quotas (the kernel default). */
export const CPU_PERIOD_US = 100_000;
/** The smallest quota the kernel accepts. */
export const MIN_CPU_QUOTA_US = 1_000;
/** The default cgroup root. */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * Where each controller's hierarchy starts: for v2 all are the unified root (when the controller is
 * available there), for v1 the `cpu` (or `cpu,cpuacct`), `memory` and `pids` mounts. Null: not available.
 */
export interface CgroupLayout {
  version: 1 | 2;
  cpu: string | null;
  memory: string | null;
  pids: string | null;
}

/** The controllers limits are written to, in the order `prepare` writes them. */
export const LIMIT_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;
export type LimitController = (typeof LIMIT_CONTROLLERS)[number];

const V1_CPU_DIRS = ['cpu,cpuacct', 'cpu', 'cpuacct,cpu'];

/**
 * Detects the cgroup version under `root`: v2 when `root/cgroup.controllers` lists cpu, memory or pids,
 * else v1 when a cpu, memory or pids hierarchy is mounted below it; null when none (hybrid systems whose
 * cgroup2 has no controllers are v1 here).
 */
export function detectCgroups(root: string): CgroupLayout | null {
  const controllers = readText(path.join(root, 'cgroup.controllers'));
  if (controllers !== null) {
    const set = new Set(controllers.split(/\s+/).filter(Boolean));
    const at = (c: LimitController): string | null => (set.has(c) ? root : null);
    if (LIMIT_CONTROLLERS.some((c) => set.has(c))) {
      return { version: 2, cpu: at('cpu'), memory: at('memory'), pids: at('pids') };
    }
  }
  const cpuDir = V1_CPU_DIRS.map((d) => path.join(root, d)).find((d) =>
    existsSync(path.join(d, 'cpu.cfs_quota_us')),
  );
  const memDir = path.join(root, 'memory');
  const memory = existsSync(path.join(memDir, 'memory.limit_in_bytes')) ? memDir : null;
  const pids = v1PidsHierarchy(path.join(root, 'pids'));
  if (!cpuDir && !memory && !pids) return null;
  return { version: 1, cpu: cpuDir ?? null, memory, pids };
}

/**
 * `dir` when a v1 pids hierarchy is mounted there. Unlike cpu and memory, the root group of the pids
 * hierarchy has no `pids.max` (only its children do), so a mount is recognised by `pids.max` where its top
 * is a child group (a container's view) or by `release_agent`, which only a v1 hierarchy's root group has.
 */
function v1PidsHierarchy(dir: string): string | null {
  const mounted = ['pids.max', 'release_agent'].some((f) => existsSync(path.join(dir, f)));
  return mounted ? dir : null;
}

/** CFS quota for a share of CPU: `percent`/100 cores per period (150% → 150 000 µs per 100 000 µs). */
export function cpuQuotaUs(percent: number, periodUs = CPU_PERIOD_US): number {
  return Math.max(MIN_CPU_QUOTA_US, Math.round((percent / 100) * periodUs));
}

/** The files and values to write for `limits`, per controller (absent limits are written as unlimited). */
export function limitWrites(
  version: 1 | 2,
  limits: LimitsSpec,
): Record<LimitController, Array<[string, string]>> {
  const quota = limits.cpu_percent !== undefined ? cpuQuotaUs(limits.cpu_percent) : null;
  const mem = limits.memory_bytes !== undefined ? String(limits.memory_bytes) : null;
  // The same file and value on v1 and v2: at most this many tasks (threads included); forks past it fail
  // with EAGAIN, nothing is killed.
  const pids: Array<[string, string]> = [['pids.max', String(limits.pids ?? 'max')]];
  if (version === 2) {
    return {
      cpu: [['cpu.max', `${quota ?? 'max'} ${CPU_PERIOD_US}`]],
      // No swap: the memory limit must end a handler that exceeds it, not page it out.
      memory: [
        ['memory.max', mem ?? 'max'],
        ['memory.swap.max', mem ? '0' : 'max'],
      ],
      pids,
    };
  }
  return {
    cpu: [
      ['cpu.cfs_period_us', String(CPU_PERIOD_US)],
      ['cpu.cfs_quota_us', String(quota ?? -1)],
    ],
    // memsw (memory+swap) must stay >= the memory limit: lift it, set the limit, then bound it.
    memory: [
      ['memory.memsw.limit_in_bytes', '-1'],
      ['memory.limit_in_bytes', mem ?? '-1'],
      ['memory.memsw.limit_in_bytes', mem ?? '-1'],
    ],
    pids,
  };
}

/** The limit `limits` sets for `controller`, if any. */
function limitOf(limits: LimitsSpec, controller: LimitController): number | undefined {
  if (controller === 'cpu') return limits.cpu_percent;
  return controller === 'memory' ? limits.memory_bytes : limits.pids;
}

export function hasLimits(l: LimitsSpec | undefined): l is LimitsSpec {
  return !!l && LIMIT_CONTROLLERS.some((c) => limitOf(l, c) !== undefined);
}

export interface CgroupOptions {
  /** The cgroup filesystem root (default /sys/fs/cgroup); tests point it at a missing dir. */
  root: string;
  /** This agent's directory under `governor/` (several agents may share a host). */
  scope: string;
  logger: Logger;
  /**
   * v2: the agent's own cgroup path (cgroup-tracking.ts): groups live in its delegated subtree, in the same
   * directory as the instance's tracking group. Default `/` (the root).
   */
  v2OwnPath?: string;
}

/**
 * A prepared group: the `cgroup.procs` files a process must be written to (one per hierarchy that holds a
 * limit of it; one in all on v2), and the group's directory per controller that limits it.
 */
export interface PreparedGroup {
  procs: string[];
  dirs: Partial<Record<LimitController, string>>;
}

export class Cgroups {
  private layout: CgroupLayout | null | undefined;
  private warned = false;
  private readonly log: Logger;

  constructor(private readonly opts: CgroupOptions) {
    this.log = opts.logger.named('cgroups');
  }

  /** The detected layout (detected once). */
  get detected(): CgroupLayout | null {
    if (this.layout === undefined) this.layout = detectCgroups(this.opts.root);
    return this.layout;
  }

  private scopeDir(base: string): string {
    const own = this.detected?.version === 2 ? (this.opts.v2OwnPath ?? '/') : '/';
    return path.join(base, own, 'governor', this.opts.scope);
  }

  /** The start of each available hierarchy (one on v2). */
  private bases(): string[] {
    const l = this.detected;
    if (!l) return [];
    return [...new Set(LIMIT_CONTROLLERS.map((c) => l[c]).filter((b): b is string => b !== null))];
  }

  /** The directory of `group` in each available hierarchy. */
  groupDirs(group: string): string[] {
    return this.bases().map((b) => path.join(this.scopeDir(b), group));
  }

  /** Warns once: limits are advisory and never block a start. */
  private unusable(reason: string, group: string): null {
    if (!this.warned) {
      this.warned = true;
      this.log.warn('advisory limits not applied: cgroups are not writable; handlers run unlimited', {
        root: this.opts.root,
        group,
        reason,
      });
    }
    return null;
  }

  /**
   * Creates (or updates) `group` with `limits` and returns where to write a PID; null when cgroups are not
   * usable (warned once) or a controller a limit needs is missing (nothing is created then). A controller
   * without a limit in `limits` is not joined, and where the group already has it (v2: one directory for
   * all; v1: a hierarchy another caller placed the group in) it is reset to unlimited, so the group has
   * exactly these limits. No limits at all: `{procs: []}`. `only: 'cpu'` considers the CPU share alone.
   * Never throws.
   */
  prepare(group: string, limits: LimitsSpec, only?: 'cpu'): PreparedGroup | null {
    const l = this.detected;
    if (!l)
      return this.unusable(`no cgroup v1/v2 cpu, memory or pids controller under ${this.opts.root}`, group);
    const writes = limitWrites(l.version, limits);
    const wanted = LIMIT_CONTROLLERS.filter(
      (c) => (only === undefined || c === only) && limitOf(limits, c) !== undefined,
    );
    const missing = wanted.find((c) => l[c] === null);
    if (missing) return this.unusable(`no ${missing} controller under ${this.opts.root}`, group);
    const prepared: PreparedGroup = { procs: [], dirs: {} };
    try {
      const first = wanted[0];
      if (l.version === 2 && first) this.enableV2(l[first]!);
      for (const c of LIMIT_CONTROLLERS) {
        const base = l[c];
        if (!base) continue;
        const dir = path.join(this.scopeDir(base), group);
        if (!wanted.includes(c)) {
          // Not limited: lift a limit an earlier prepare (or the shared v2 directory) left behind.
          for (const [file, value] of limitWrites(l.version, {})[c]) {
            if (existsSync(path.join(dir, file))) writeQuiet(path.join(dir, file), value);
          }
          continue;
        }
        mkdirSync(dir, { recursive: true });
        for (const [file, value] of writes[c]) {
          const f = path.join(dir, file);
          // Optional knobs (memsw without swap accounting, swap.max without swap) may be absent.
          if (/swap|memsw/.test(file)) {
            if (existsSync(f)) writeQuiet(f, value);
          } else {
            writeFileSync(f, value);
          }
        }
        prepared.dirs[c] = dir;
        const p = path.join(dir, 'cgroup.procs');
        if (!prepared.procs.includes(p)) prepared.procs.push(p);
      }
    } catch (err) {
      return this.unusable(errorMessage(err), group);
    }
    if (wanted.length > 0) {
      this.log.info('limits prepared', {
        group,
        cpu_percent: limits.cpu_percent,
        memory_bytes: limits.memory_bytes,
        pids: limits.pids,
      });
    }
    return prepared;
  }

  /**
   * v2: controllers must be enabled in every ancestor's subtree_control down to the group's parent, from
   * the agent's own cgroup. A cgroup with processes cannot enable controllers for children ("no internal
   * processes"): the agent first moves itself into a leaf of its own cgroup (AGENT_LEAF, as systemd's
   * Delegate= documentation asks); the root is exempt.
   */
  private enableV2(base: string): void {
    const own = path.join(base, this.opts.v2OwnPath ?? '/');
    if (own !== path.join(base, '/')) moveIntoLeaf(own);
    const parents = [own, path.join(own, 'governor'), this.scopeDir(base)];
    for (const dir of parents) {
      mkdirSync(dir, { recursive: true });
      for (const c of this.v2Controllers()) appendQuiet(path.join(dir, 'cgroup.subtree_control'), `+${c}\n`);
    }
  }

  /**
   * v2: every limit controller the root offers is enabled for Governor's groups (as systemd's Delegate=
   * does), so a group's limit files are all there to set or lift. One write each: a controller the kernel
   * refuses to enable leaves the others working.
   */
  private v2Controllers(): LimitController[] {
    const l = this.detected;
    return LIMIT_CONTROLLERS.filter((c) => l?.[c]);
  }

  /** Moves `pid` (and its future children) into the group; true when every hierarchy took it. */
  join(group: Pick<PreparedGroup, 'procs'>, pid: number): boolean {
    let ok = true;
    for (const p of group.procs) {
      try {
        writeFileSync(p, String(pid));
      } catch (err) {
        ok = false;
        this.log.warn('could not move process into cgroup; it runs unlimited', {
          pid,
          file: p,
          err,
        });
      }
    }
    return ok;
  }

  /** The cgroup.procs file `pid` is in now, per hierarchy of ours (v1 cpu: `/proc/PID/cgroup` lines). */
  currentProcsFile(pid: number, controller: 'cpu' | 'memory'): string | null {
    const l = this.detected;
    const base = l?.[controller];
    if (!l || !base) return null;
    const text = readText(`/proc/${pid}/cgroup`);
    if (!text) return null;
    for (const line of text.split('\n')) {
      const [, ctrls, rel] = line.split(':');
      if (rel === undefined || ctrls === undefined) continue;
      const matches = l.version === 2 ? ctrls === '' : ctrls.split(',').includes(controller);
      if (matches) return path.join(base, rel, 'cgroup.procs');
    }
    return null;
  }

  /** Writes `pid` to a cgroup.procs file (moving it back where it came from); never throws. */
  moveTo(procsFile: string, pid: number): boolean {
    return writeQuiet(procsFile, String(pid));
  }

  /**
   * Removes this agent's empty groups (a group with processes refuses rmdir with EBUSY and is kept for a
   * later sweep), and the scope directory once it is empty. `keep` names groups to leave alone.
   */
  sweep(keep: ReadonlySet<string> = new Set()): SweepResult {
    if (!this.detected) return NOTHING_SWEPT;
    return addSweeps(this.bases().map((base) => sweepScope(this.scopeDir(base), keep, this.log)));
  }
}

/** Moves every process of cgroup `dir` into its leaf AGENT_LEAF (the agent, and threads of it); never throws. */
function moveIntoLeaf(dir: string): void {
  const pids = (readText(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean);
  if (pids.length === 0) return;
  const leaf = path.join(dir, AGENT_LEAF);
  try {
    mkdirSync(leaf, { recursive: true });
  } catch {
    return;
  }
  for (const pid of pids) writeQuiet(path.join(leaf, 'cgroup.procs'), pid);
}

function writeQuiet(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

/** Appends `value` (O_APPEND: cgroupfs takes it as a write; a plain file keeps every line); never throws. */
function appendQuiet(file: string, value: string): void {
  try {
    appendFileSync(file, value);
  } catch {
    /* refused by the kernel: the limit that needs it fails to be written and says so */
  }
}

/** This agent's group directory name: one per data directory, so agents sharing a host never collide. */
export function cgroupScope(dataDir: string): string {
  return `agent-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12)}`;
}
