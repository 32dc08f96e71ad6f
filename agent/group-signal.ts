/**
 * The one rule for signalling a handler's process group (DESIGN §3, §8 items 2 and 11). Every group signal
 * the agent sends goes through `groupSignalVerdict`, so a stop can SIGKILL a group whose leader (the shim)
 * already exited, and still never signal a group that is not provably ours.
 *
 * Why it is safe: the kernel does not hand out a PID while any process still uses it as its process group
 * (or session) id. So a group whose leader is gone but which still has members is the same group we
 * started, and a process that now has PID == PGID with another start time means the number was reused.
 */
import { listPids, readProcStat, type ProcStat } from '../shared/proc.js';

export type GroupVerdict = { ok: true } | { ok: false; reason: string };

function dead(st: ProcStat): boolean {
  return st.state === 'Z' || st.state === 'X';
}

/**
 * The pure rule: signal `-pgid` only when the process with PID == PGID is the recorded leader (same start
 * time; a zombie leader still holds the group), or no such process exists and the group has a live member.
 */
export function decideGroupSignal(
  pgid: number,
  leaderStartTime: string,
  leader: ProcStat | null,
  hasLiveMember: boolean,
): GroupVerdict {
  if (leader !== null) {
    if (leader.startTime === leaderStartTime && leader.pgid === pgid) return { ok: true };
    if (leader.startTime !== leaderStartTime) {
      return {
        ok: false,
        reason: `pid ${pgid} was reused: start time ${leader.startTime} differs from recorded ${leaderStartTime}`,
      };
    }
    // The recorded leader moved to another group: its old group (if any) is not provably ours.
    if (!hasLiveMember) return { ok: false, reason: `group ${pgid} is empty` };
    return { ok: true };
  }
  if (!hasLiveMember) return { ok: false, reason: `group ${pgid} is gone` };
  return { ok: true };
}

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const pid of listPids()) {
    const st = readProcStat(pid);
    if (st && st.pgid === pgid && !dead(st)) out.push(pid);
  }
  return out;
}

/** The rule applied to the live system: may `-pgid` be signalled for a leader that started at `startTime`? */
export function groupSignalVerdict(pgid: number, leaderStartTime: string): GroupVerdict {
  const leader = readProcStat(pgid);
  if (leader !== null && leader.startTime === leaderStartTime && leader.pgid === pgid) return { ok: true };
  return decideGroupSignal(pgid, leaderStartTime, leader, groupMembers(pgid).length > 0);
}

/** Sends `signal` to the group only when the rule allows it; false when not sent. */
export function signalOwnedGroup(pgid: number, leaderStartTime: string, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  if (!groupSignalVerdict(pgid, leaderStartTime).ok) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
