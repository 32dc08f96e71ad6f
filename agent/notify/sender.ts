/**
 * Who sent a notify datagram: the kernel-verified sender PID (SCM_CREDENTIALS) mapped to the instance it
 * belongs to. The facts are read from /proc AT ONCE in the receive callback: `systemd-notify --ready` run
 * from a handler's shell script is a child that may exit right after sending (a zombie still has its
 * /proc/PID/stat and cgroup file; a reaped one is gone, and its message is ignored as from an unknown PID).
 * The ancestor chain (one /proc read per ancestor up to PID 1, most of a message's cost) is read on its
 * first use, still inside that synchronous callback: only a handler without a tracking cgroup needs it.
 *
 * The rule (one place, also used to check a MAINPID=): with cgroup tracking, the sender is in the
 * instance's tracking cgroup (or a group below it: `/proc/PID/cgroup` names the path, whatever the
 * hierarchy); without one (pgroup tracking, older handles), it is in the shim's session or process group,
 * or a descendant of the shim (a process that left both with setsid and reparented is not found: that is
 * what cgroup tracking is for).
 */
import { readFileSync } from 'node:fs';
import { readProcStat } from '../../shared/proc.js';
import type { Handle } from '../process/backend.js';

export interface SenderFacts {
  pid: number;
  /** /proc/PID/stat field 22. */
  startTime: string;
  sid: number;
  pgid: number;
  /** Every hierarchy's path from /proc/PID/cgroup (`/` entries left out). */
  cgroupPaths: string[];
  /** Parent, grandparent … (at most MAX_ANCESTORS, stops at PID 1); read from /proc on first use. */
  readonly ancestors: number[];
}

const MAX_ANCESTORS = 32;

/** The sender's facts, or null when /proc/PID is gone (or PID is not a process). */
export function readSender(pid: number): SenderFacts | null {
  if (!Number.isInteger(pid) || pid <= 1) return null;
  const st = readProcStat(pid);
  if (!st) return null;
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    /* gone meanwhile: the stat facts still count */
  }
  const cgroupPaths = text
    .split('\n')
    .map((line) => line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1))
    .filter((p) => p.length > 1);
  let ancestors: number[] | null = null;
  return {
    pid,
    startTime: st.startTime,
    sid: st.sid,
    pgid: st.pgid,
    cgroupPaths,
    get ancestors(): number[] {
      ancestors ??= ancestorsOf(st.ppid);
      return ancestors;
    },
  };
}

/** `ppid` and its ancestors (at most MAX_ANCESTORS, stops at PID 1 or at a process gone meanwhile). */
function ancestorsOf(ppid: number): number[] {
  const ancestors: number[] = [];
  for (let p = ppid; p > 1 && ancestors.length < MAX_ANCESTORS;) {
    ancestors.push(p);
    const up = readProcStat(p);
    if (!up) break;
    p = up.ppid;
  }
  return ancestors;
}

/**
 * The part of a tracking cgroup directory that /proc/PID/cgroup shows (`/governor/<scope>/<instance>`,
 * maybe under the agent's own v2 path): from its `/governor/` on.
 */
function trackingTail(dir: string): string {
  const i = dir.lastIndexOf('/governor/');
  return i >= 0 ? dir.slice(i) : dir;
}

/** True when the process `s` belongs to the handler whose handle is `h` (see the file comment). */
export function belongsTo(s: SenderFacts, h: Handle): boolean {
  if (h.cgroup !== undefined) {
    const tail = trackingTail(h.cgroup);
    return s.cgroupPaths.some((p) => p.endsWith(tail) || p.includes(`${tail}/`));
  }
  return s.sid === h.pid || s.pgid === h.pgid || s.pid === h.pid || s.ancestors.includes(h.pid);
}
