/** Linux /proc helpers: process identity (start time, state, groups) and liveness that sees zombies. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';

/** The largest PID Linux hands out (PID_MAX_LIMIT on 64-bit). */
export const PID_MAX = 2 ** 22;

/** A process id Governor may be asked about: an integer from 2 (1 is init) to PID_MAX. */
export function isPid(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 2 && n <= PID_MAX;
}

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T, ... (`Z` = zombie: dead but not yet reaped). */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** Field 22: start time in clock ticks since boot; with the PID, a stable identity. */
  startTime: string;
  utime: number;
  stime: number;
  rssPages: number;
  /**
   * Field 20: threads left. A leader shown as `Z` with more than one is still exiting (its other threads
   * hold its files, a listening socket among them); absent where a ProcStat is made by hand.
   */
  threads?: number;
}

/** Reads /proc/PID/stat; null when the process does not exist, or when it could not be read. */
export function readProcStat(pid: number): ProcStat | null {
  try {
    return readProcStatStrict(pid);
  } catch {
    return null;
  }
}

/**
 * Reads /proc/PID/stat; null only when the process does not exist (ENOENT, ESRCH). Any other failure (EMFILE:
 * the agent out of descriptors, ENOMEM) throws: a read that failed is no proof that a process is gone, and
 * whoever decides that a handler exited must not take it for one.
 */
export function readProcStatStrict(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    throw err;
  }
  return parseProcStat(pid, text);
}

/** Parses the text of /proc/PID/stat (the command name may contain spaces and parentheses). */
export function parseProcStat(pid: number, text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    pgid: Number(rest[2]),
    sid: Number(rest[3]),
    utime: Number(rest[11]),
    stime: Number(rest[12]),
    startTime: rest[19] ?? '',
    rssPages: Number(rest[21]),
    threads: Number(rest[17]),
  };
}

/** The process's argv from /proc/PID/cmdline; null when gone. */
export function readCmdline(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const parts = raw.split('\0');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  } catch {
    return null;
  }
}

/** The process's working directory (/proc/PID/cwd); null when gone or unreadable. */
export function readCwd(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

/** The process's environment from /proc/PID/environ (as it was started); null when gone or unreadable. */
export function readEnviron(pid: number): Map<string, string> | null {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return null;
  }
  const env = new Map<string, string>();
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

export function hashCmdline(argv: string[]): string {
  return createHash('sha256').update(argv.join('\0')).digest('hex').slice(0, 16);
}

/** True when the PID exists and is not a zombie (orphans may be reaped late, so kill(pid, 0) is not enough). */
export function isAlive(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

/** Lists all numeric PIDs under /proc. */
export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/**
 * The children of `pid` (from /proc/PID/task/PID/children; by a ppid scan where that file is missing);
 * empty when it is gone. Zombies included: callers check the state.
 */
export function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !isAlive(pid)) return [];
  }
  return listPids().filter((p) => readProcStat(p)?.ppid === pid);
}

/**
 * The children of `pid` from the kernel's per-thread lists (/proc/PID/task/TID/children): a child forked
 * by any thread is listed under that thread, so a multi-threaded process has every task read. Costs one
 * read per thread, never a walk of /proc; null when that file is missing (kernel without
 * CONFIG_PROC_CHILDREN) or the process is gone. Zombies included: callers check the state.
 */
export function childrenOfThreads(pid: number, threads = 0): number[] | null {
  const read = (tid: number | string): number[] => {
    const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(' ').map(Number);
  };
  try {
    if (threads === 1) return read(pid);
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return read(tid);
      } catch {
        return []; // the thread ended between the listing and the read
      }
    });
  } catch {
    return null;
  }
}
