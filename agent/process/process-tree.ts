/**
 * Who is in a handler's process tree (DESIGN §3 metrics: "summed over the handler's process tree"), for
 * whatever measures it: the metrics sampler (and through it the resource policies and on-demand idleness),
 * on-demand's connection count, a limit override's moves. A PID that fails verification is never counted.
 * - A handle with a tracking cgroup (cgroup-tracking.ts): every live process its group lists (cgroup.procs, its
 *   exec sessions' groups below included), whatever its parent or process group: a grandchild re-parented
 *   when its parent exited, a `type: forking` daemon whose first process (and shim) exited. The shim's PID is
 *   not read: a stranger given that PID is not in the group. One read of cgroup.procs, one listing of the
 *   group's directory, a stat per member; no walk of /proc.
 * - A handle without one (process groups only, handles of older agents): the tree below its shim while the
 *   shim is the recorded process (start time, /proc/PID/stat field 22), and the live members of its process
 *   group while that group is provably the spawn's (group-signal.ts's rule: its leader is the recorded shim,
 *   or the leader is gone and a member carries the spawn's token). Both come from one walk of /proc, shared by
 *   every tree of one reading (`TreeReader`).
 * - A tree with only a root (an observed process): the tree below the root, walked down through the kernel's
 *   children lists, while the root has its recorded start time.
 */
import { childrenOf, childrenOfThreads, listPids, readProcStat, type ProcStat } from '../../shared/proc.js';
import type { Handle } from './backend.js';
import { cgroupPids } from './cgroup-tracking.js';
import { decideGroupSignal, spawnTokenOf } from './group-signal.js';

/** A process tree to read: its identity and where its members are. */
export interface TreeRef {
  /** Names the tree (an instance key, an observed process's name): results and CPU counters are kept by it. */
  key: string;
  /** The root's PID (a handler's shim, an observed process) and its recorded /proc start time. */
  root: number;
  rootStart: string;
  /** The handler's tracking cgroup: its members are the tree. */
  cgroup?: string | undefined;
  /** The handler's process group (its leader is the root) and the spawn's token (group-signal.ts). */
  pgid?: number | undefined;
  token?: string | undefined;
}

/** The tree of instance `key`'s handle. */
export function handleTree(key: string, h: Handle): TreeRef {
  // Every field written out, no spread: one per instance every metrics sample (a spread literal is built on a
  // slow path on Node 20: metrics-report.ts).
  return { key, root: h.pid, rootStart: h.start_time, cgroup: h.cgroup, pgid: h.pgid, token: h.spawn_token };
}

function dead(st: ProcStat): boolean {
  return st.state === 'Z' || st.state === 'X';
}

/** Every process's stat, read once (zombies included), by PID, parent and group. */
interface ProcScan {
  byPid: Map<number, ProcStat>;
  byParent: Map<number, ProcStat[]>;
  byGroup: Map<number, ProcStat[]>;
}

function scanProc(): ProcScan {
  const scan: ProcScan = { byPid: new Map(), byParent: new Map(), byGroup: new Map() };
  const add = (m: Map<number, ProcStat[]>, k: number, st: ProcStat) => {
    const list = m.get(k);
    if (list) list.push(st);
    else m.set(k, [st]);
  };
  for (const pid of listPids()) {
    const st = readProcStat(pid);
    if (!st) continue;
    scan.byPid.set(pid, st);
    add(scan.byParent, st.ppid, st);
    add(scan.byGroup, st.pgid, st);
  }
  return scan;
}

/** Reads the members of trees; one reader per reading (its walk of /proc, when one is needed, is shared). */
export class TreeReader {
  private scan: ProcScan | null = null;

  /** The live processes of `ref`'s tree (see the top of this file); empty when none is provably of it. */
  members(ref: TreeRef): ProcStat[] {
    if (ref.cgroup !== undefined) return cgroupStats(ref.cgroup);
    if (ref.pgid === undefined) {
      const root = readProcStat(ref.root);
      return root && !dead(root) && root.startTime === ref.rootStart ? processTree(ref.root) : [];
    }
    return this.groupTree(ref, ref.pgid);
  }

  /** A handle without a cgroup: the tree below its verified shim and its provably owned process group. */
  private groupTree(ref: TreeRef, pgid: number): ProcStat[] {
    this.scan ??= scanProc();
    const { byPid, byParent, byGroup } = this.scan;
    const out = new Map<number, ProcStat>();
    const root = byPid.get(ref.root);
    if (root && !dead(root) && root.startTime === ref.rootStart) {
      const queue = [root];
      while (queue.length > 0) {
        const st = queue.pop()!;
        if (out.has(st.pid)) continue;
        out.set(st.pid, st);
        for (const c of byParent.get(st.pid) ?? []) if (!dead(c)) queue.push(c);
      }
    }
    const group = (byGroup.get(pgid) ?? []).filter((st) => !dead(st));
    if (group.length > 0) {
      const leader = byPid.get(pgid) ?? null;
      const token = ref.token;
      // The token is read only where it decides: the leader is gone.
      const proven =
        leader === null &&
        token !== undefined &&
        token !== '' &&
        group.some((st) => spawnTokenOf(st.pid) === token);
      if (decideGroupSignal(pgid, ref.rootStart, leader, true, proven).ok)
        for (const st of group) out.set(st.pid, st);
    }
    return [...out.values()];
  }
}

/** The live processes of `ref`'s tree (one reading: see TreeReader). */
export function treeMembers(ref: TreeRef): ProcStat[] {
  return new TreeReader().members(ref);
}

/** The live processes a cgroup lists (and the groups below it). */
function cgroupStats(dir: string): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of cgroupPids(dir)) {
    const st = readProcStat(pid);
    if (st && !dead(st)) out.push(st);
  }
  return out;
}

/**
 * The live processes of the tree rooted at `root` (root first), walked down through the kernel's children
 * lists (one read per process thread, never a walk of /proc); empty when the root is gone. The root's
 * identity is the caller's to check.
 */
export function processTree(root: number): ProcStat[] {
  const out: ProcStat[] = [];
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const st = readProcStat(pid);
    if (!st || dead(st)) continue;
    // A child listed a moment ago may have exited and its PID been reused: it must still be a child.
    if (pid !== root && !seen.has(st.ppid)) continue;
    out.push(st);
    queue.push(...(childrenOfThreads(pid, st.threads) ?? childrenOf(pid)));
  }
  return out;
}
