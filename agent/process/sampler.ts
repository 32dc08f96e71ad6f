/**
 * Resource sampling summed over each handler's process tree, read straight from /proc. Who is in a tree is
 * process-tree.ts's: everything in the handler's tracking cgroup, else the tree below its verified shim and
 * its provably owned process group (an observed process: the tree below it while it is the recorded
 * process); a PID that fails verification is never counted. CPU and RSS come from each member's
 * /proc/PID/stat. CPU % is the CPU time a process used since it was last sampled over the time between
 * (first sample: since it started), like `ps`/`top` and pidusage before; no file descriptor is kept open.
 * The kernel counts CPU time in clock ticks (10 ms): over a window of a few ms one tick is hundreds of percent
 * of a core, so a window shorter than MIN_CPU_WINDOW_MS (two samples close together: `gov metrics` right after
 * the periodic sample, an idle check after a policy's) reports the process's last rate and keeps the window
 * open for the next sample.
 * CPU seconds are a counter per tree (identity: its key and its root's recorded start time, so a respawn
 * starts a new one): each sample adds what every process in the tree used since the tree's previous sample
 * (a process new to the tree: all it used since it started), so a child that exits never makes it go down.
 * A tree may come with the CPU counter of the cgroup that holds it (cpu-accounting.ts: one file per tree).
 * While that counter has not moved since the tree's last full read, none of its processes ran: none forked,
 * exited or used CPU, so the tree is not read again — its last figures stand, with 0 % CPU, and its members'
 * CPU windows move on as if read. What changes without running is looked at every `refreshMs`: RSS (lowered by
 * reclaim or swap-out) from the members' own stat files, without listing the tree again — a member gone,
 * replaced or that used CPU makes it a full read. A process moved into the cgroup by someone else may not
 * move the counter: the tree is read in full at least every `fullMs` (FULL_REFRESHES × refreshMs by default)
 * all the same.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readProcStat } from '../../shared/proc.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { TreeReader, type TreeRef } from './process-tree.js';

/**
 * A tree whose cgroup counter did not move is still read in full at least every this many metrics intervals
 * (what changes without running, RSS after reclaim, is then at most that old).
 */
export const FULL_READ_INTERVALS = 12;

/** A tree whose counter did not move is listed again (children included) at least every this many refreshes. */
export const FULL_REFRESHES = 5;

/** A CPU rate is measured over at least this long (10 ticks at 100 Hz: off by at most 10 % of a core). */
export const MIN_CPU_WINDOW_MS = 100;

export interface TreeUsage {
  cpu_percent: number;
  /** CPU time the tree used since this sampler began measuring it (a counter), seconds. */
  cpu_seconds: number;
  memory_bytes: number;
  processes: number;
}

interface Seen {
  startTime: string;
  /** utime + stime, clock ticks. */
  ticks: number;
  at: number;
  /** Its CPU % as last measured (reported for a window shorter than MIN_CPU_WINDOW_MS). */
  percent: number;
}

/** One tree's CPU counter: its root's recorded start time, the total, and each member's CPU time when last sampled. */
interface TreeCpu {
  rootStart: string;
  ticks: number;
  members: Map<number, { startTime: string; ticks: number }>;
  at: number;
  /** The cgroup's CPU counter at the last full read (null: none came with it), that read's time and figures. */
  counter: number | null;
  readAt: number;
  usage: TreeUsage | null;
  /** When the tree was last listed in full (a memory refresh, memoryRefresh(), moves readAt only). */
  fullAt: number;
}

export class MetricsSampler {
  /** pid → its CPU time when last sampled (identity: its start time). */
  private readonly history = new Map<number, Seen>();
  /** tree key → its CPU counter (kept per tree: a sample of another tree must not eat its deltas). */
  private readonly trees = new Map<string, TreeCpu>();

  /**
   * @param maxAgeMs how long the history of a PID not sampled any more is kept; > the sampling interval.
   * @param clock the time between two samples of a process.
   * @param refreshMs a tree whose cgroup counter did not move has its members' RSS read again this often.
   * @param fullMs ... and is listed again in full this often.
   */
  constructor(
    private readonly maxAgeMs: number,
    private readonly clock: Clock = systemClock,
    private readonly refreshMs = 60_000,
    private readonly fullMs = refreshMs * FULL_REFRESHES,
  ) {}

  /**
   * Samples the process trees `trees` (process-tree.ts), results by tree key; a tree with no live member
   * (provably its) is left out of the result. `counters`: tree key → the CPU counter of the cgroup that holds
   * it, where there is one (see the top of this file).
   */
  sample(trees: readonly TreeRef[], counters?: ReadonlyMap<string, number>): Promise<Map<string, TreeUsage>> {
    const result = new Map<string, TreeUsage>();
    if (trees.length === 0) return Promise.resolve(result);
    const now = this.clock.now();
    const { hz, pageBytes } = sysconf();
    const reader = new TreeReader();
    let uptimeS: number | null = null;
    for (const ref of trees) {
      const counted = counters?.get(ref.key) ?? null;
      const still = this.unchanged(ref, counted, now);
      if (still) {
        result.set(ref.key, still);
        continue;
      }
      const refreshed = this.memoryRefresh(ref, counted, now, pageBytes);
      if (refreshed) {
        result.set(ref.key, refreshed);
        continue;
      }
      const usage: TreeUsage = { cpu_percent: 0, cpu_seconds: 0, memory_bytes: 0, processes: 0 };
      const tree = reader.members(ref);
      const counter = tree.length > 0 ? this.treeCpu(ref, now) : null;
      const members = new Map<number, { startTime: string; ticks: number }>();
      for (const st of tree) {
        const ticks = st.utime + st.stime;
        const before = counter?.members.get(st.pid);
        const since = before && before.startTime === st.startTime ? before.ticks : 0;
        if (counter) counter.ticks += Math.max(0, ticks - since);
        members.set(st.pid, { startTime: st.startTime, ticks: Math.max(ticks, since) });
        const prev = this.history.get(st.pid);
        // A window that runs backwards (the clock was stepped back) is not one: measured afresh from here.
        const known = prev !== undefined && prev.startTime === st.startTime && now >= prev.at;
        let cpu: number;
        if (known && now - prev.at < MIN_CPU_WINDOW_MS) {
          cpu = prev.percent; // too short a window to measure: its last rate; the window stays open
        } else {
          if (known) {
            cpu = ((ticks - prev.ticks) / hz / ((now - prev.at) / 1000)) * 100;
          } else {
            // First sample of this process: its average since it started.
            uptimeS ??= Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
            const aliveS = uptimeS - Number(st.startTime) / hz;
            cpu = aliveS > 0 ? (ticks / hz / aliveS) * 100 : 0;
          }
          cpu = Math.max(0, cpu);
          this.history.set(st.pid, { startTime: st.startTime, ticks, at: now, percent: cpu });
        }
        usage.cpu_percent += cpu;
        usage.memory_bytes += st.rssPages * pageBytes;
        usage.processes++;
      }
      if (counter) {
        counter.members = members;
        usage.cpu_seconds = counter.ticks / hz;
        counter.counter = counted;
        counter.readAt = now;
        counter.fullAt = now;
        counter.usage = { ...usage };
      }
      if (usage.processes > 0) result.set(ref.key, usage);
    }
    // forEach, not for-of: a sample runs too rarely to be optimized, and unoptimized for-of over a Map allocates
    // an iterator result and an entry array per member (most of an idle agent's allocation, with sameExact's).
    this.history.forEach((seen, pid) => {
      if (now - seen.at > this.maxAgeMs) this.history.delete(pid);
    });
    this.trees.forEach((t, key) => {
      if (now - t.at > this.maxAgeMs) this.trees.delete(key);
    });
    return Promise.resolve(result);
  }

  /**
   * The figures of tree `ref` when its cgroup counter (`counted`) is the one of its last full
   * read, made less than `refreshMs` ago: its last figures with 0 % CPU, its members' CPU windows moved on to
   * `now` (their CPU time is the same). Null: the tree is to be read.
   */
  private unchanged(ref: TreeRef, counted: number | null, now: number): TreeUsage | null {
    const t = this.current(ref);
    if (counted === null || !t?.usage || t.counter !== counted || now - t.readAt >= this.refreshMs)
      return null;
    return this.standing(t, t.usage, now);
  }

  /**
   * A still tree's refresh (its counter is the one of its last full read, made less than `fullMs` ago): its
   * members' RSS from their stat files, nothing else read. Null — the tree is to be read in full — when a member
   * is gone, is another process, or used CPU since (it ran: it may have forked).
   */
  private memoryRefresh(
    ref: TreeRef,
    counted: number | null,
    now: number,
    pageBytes: number,
  ): TreeUsage | null {
    const t = this.current(ref);
    if (counted === null || !t?.usage || t.counter !== counted || now - t.fullAt >= this.fullMs) return null;
    let memory = 0;
    let same = true;
    t.members.forEach((m, pid) => {
      if (!same) return;
      const st = readProcStat(pid);
      same = !!st && st.state !== 'Z' && st.state !== 'X' && st.startTime === m.startTime;
      // A member that used CPU ran: it may have forked.
      same &&= st!.utime + st!.stime === m.ticks;
      if (same) memory += st!.rssPages * pageBytes;
    });
    if (!same) return null;
    t.usage.memory_bytes = memory;
    t.readAt = now;
    return this.standing(t, t.usage, now);
  }

  /** A still tree's last figures with 0 % CPU; its members' CPU windows move on to `now` (their CPU time is the same). */
  private standing(t: TreeCpu, usage: TreeUsage, now: number): TreeUsage {
    t.at = now;
    t.members.forEach((_, pid) => {
      const seen = this.history.get(pid);
      if (seen) {
        seen.at = now;
        seen.percent = 0;
      }
    });
    // Every field written out: a spread followed by a field is built on a slow path on Node 20, and
    // Object.assign({}, usage, { cpu_percent: 0 }) makes two objects per tree every sample.
    return {
      cpu_percent: 0,
      cpu_seconds: usage.cpu_seconds,
      memory_bytes: usage.memory_bytes,
      processes: usage.processes,
    };
  }

  /** The CPU counter of tree `ref`, if it has one (a respawn, another root start time, has not). */
  private current(ref: TreeRef): TreeCpu | undefined {
    const t = this.trees.get(ref.key);
    return t?.rootStart === ref.rootStart ? t : undefined;
  }

  /** The CPU counter of tree `ref`, made new for a tree not sampled before (or respawned since). */
  private treeCpu(ref: TreeRef, now: number): TreeCpu {
    let t = this.current(ref);
    if (!t) {
      t = {
        rootStart: ref.rootStart,
        ticks: 0,
        members: new Map(),
        at: now,
        counter: null,
        readAt: now,
        usage: null,
        fullAt: now,
      };
      this.trees.set(ref.key, t);
    }
    t.at = now;
    return t;
  }

  /** PIDs whose CPU time is remembered (tests: the history stays bounded). */
  get remembered(): number {
    return this.history.size;
  }
}

let conf: { hz: number; pageBytes: number } | null = null;

/** Clock ticks per second and the page size (getconf, once; Linux's usual values if it cannot be run). */
function sysconf(): { hz: number; pageBytes: number } {
  if (conf) return conf;
  const get = (name: string, dflt: number): number => {
    try {
      const v = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000 }).trim());
      return Number.isInteger(v) && v > 0 ? v : dflt;
    } catch {
      return dflt;
    }
  };
  conf = { hz: get('CLK_TCK', 100), pageBytes: get('PAGESIZE', 4096) };
  return conf;
}
