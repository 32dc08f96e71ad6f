/**
 * The one rule for signalling a handler's process group (DESIGN §3, §8 items 2 and 11). Every group signal
 * the agent sends goes through `groupSignalVerdict`, so a stop can SIGKILL a group whose leader (the shim)
 * already exited, and still never signal a group that is not provably ours.
 *
 * Why it is safe: a group led by the recorded leader (PID == PGID, same start time) is ours. A group whose
 * leader is gone is ours only if one of its live members carries this spawn's token (`GOV_SPAWN`, set in
 * every handler's environment and kept in the handle): the kernel keeps a PGID number while the group has
 * members, but once it empties (say while the agent was down) a stranger's daemon can be given the number
 * as its own leaderless group. A process with PID == PGID and another start time means the number was
 * reused. A handle without a token (older state) is never signalled once its leader is gone.
 */
import { listPids, readEnviron, readProcStat, type ProcStat } from '../../shared/proc.js';

/** The environment variable that ties every process of one spawn to its handle. */
export const SPAWN_TOKEN_ENV = 'GOV_SPAWN';

export type GroupVerdict = { ok: true } | { ok: false; reason: string };

function dead(st: ProcStat): boolean {
  return st.state === 'Z' || st.state === 'X';
}

/**
 * The pure rule: signal `-pgid` only when the process with PID == PGID is the recorded leader (same start
 * time; a zombie leader still holds the group), or no such process exists and a live member proves it is
 * of this spawn (`provenMember`: it carries the spawn token).
 */
export function decideGroupSignal(
  pgid: number,
  leaderStartTime: string,
  leader: ProcStat | null,
  hasLiveMember: boolean,
  provenMember: boolean,
): GroupVerdict {
  if (leader !== null) {
    if (leader.startTime === leaderStartTime && leader.pgid === pgid) return { ok: true };
    if (leader.startTime !== leaderStartTime) {
      return {
        ok: false,
        reason: `pid ${pgid} was reused: start time ${leader.startTime} differs from recorded ${leaderStartTime}`,
      };
    }
    // The recorded leader moved to another group: its old group (if any) is ours only by proof.
    if (!hasLiveMember) return { ok: false, reason: `group ${pgid} is empty` };
  } else if (!hasLiveMember) return { ok: false, reason: `group ${pgid} is gone` };
  if (!provenMember)
    return {
      ok: false,
      reason: `group ${pgid} has lost its leader and no member carries this spawn's ${SPAWN_TOKEN_ENV}: not provably ours`,
    };
  return { ok: true };
}

/** The GOV_SPAWN token process `pid` was started with, if any (none when gone or started otherwise). */
export function spawnTokenOf(pid: number): string | undefined {
  return readEnviron(pid)?.get(SPAWN_TOKEN_ENV);
}

/**
 * Whether `pgid` can be a handler's own process group: never 0 (`kill(-0)` is the caller's own group, and
 * kernel threads are in group 0) nor 1 (init's) — a held daemon group with no shim of its own has pgid 0.
 */
export function isHandlerGroup(pgid: number): boolean {
  return Number.isInteger(pgid) && pgid > 1;
}

/** Live (non-zombie) members of process group `pgid` (none for a pgid no handler can have). */
export function groupMembers(pgid: number): number[] {
  if (!isHandlerGroup(pgid)) return [];
  const out: number[] = [];
  for (const pid of listPids()) {
    const st = readProcStat(pid);
    if (st && st.pgid === pgid && !dead(st)) out.push(pid);
  }
  return out;
}

/**
 * The rule applied to the live system: may `-pgid` be signalled for a leader that started at `startTime`,
 * of the spawn whose token is `token` (absent in handles written before tokens)?
 */
export function groupSignalVerdict(pgid: number, leaderStartTime: string, token?: string): GroupVerdict {
  const leader = readProcStat(pgid);
  if (leader !== null && leader.startTime === leaderStartTime && leader.pgid === pgid) return { ok: true };
  const members = groupMembers(pgid);
  const proven = token !== undefined && token !== '' && members.some((pid) => spawnTokenOf(pid) === token);
  return decideGroupSignal(pgid, leaderStartTime, leader, members.length > 0, proven);
}

/** Sends `signal` to the group only when the rule allows it; false when not sent. */
export function signalOwnedGroup(
  pgid: number,
  leaderStartTime: string,
  signal: NodeJS.Signals,
  token?: string,
): boolean {
  if (!isHandlerGroup(pgid)) return false;
  if (!groupSignalVerdict(pgid, leaderStartTime, token).ok) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
