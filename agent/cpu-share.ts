/**
 * The agent's share of the CPU against its own handlers. Every handler runs in its own session (it must
 * outlive the agent), and Linux's autogroup scheduler (`kernel.sched_autogroup_enabled`, on by default in
 * most distributions) gives each session of the root cpu cgroup one equal share, whatever the nice values of
 * its processes. 50 handlers booting at once on 2 cores (a restart of all of them) left the agent one share in
 * 51: it ran about a quarter of the time it was ready to run, and its 50 spawns, which need a few ms of CPU
 * each, took 1.7 s (`gov restart --all` of 50 HTTP apps: 2.8-3.4 s; with its session at nice -10, 2.2 s).
 * Renicing the agent's threads changes nothing there: nice counts only inside a session.
 *
 * So the agent gives its session the weight of `nice` (default -10: 9.3 times a default session's) by
 * writing `/proc/self/autogroup`. Only a busy agent uses it (an idle one has nothing to run), and its
 * handlers keep theirs: each is a new session, at nice 0. It does so only when it leads its own session, as
 * under systemd or any daemon manager: an agent started from a terminal shares its session with the shell
 * and whatever else runs there, which it must not raise. Raising needs root (CAP_SYS_NICE). Where the agent
 * is not in the root cpu cgroup (systemd with CPU accounting), autogroups do not apply and that cgroup's
 * weight decides (`CPUWeight=`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { errorMessage } from '../shared/errors.js';
import { parseProcStat } from '../shared/proc.js';

/** The agent session's nice by default (`--autogroup-nice`). */
export const DEFAULT_AUTOGROUP_NICE = -10;
export const AUTOGROUP_NICE_RULE = 'must be an integer from -20 to 19, or off';

export function isAutogroupNice(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= -20 && (n as number) <= 19;
}

export interface CpuShareFiles {
  /** `kernel.sched_autogroup_enabled`. */
  enabled: string;
  /** The calling process's autogroup ("/autogroup-123 nice 0"). */
  autogroup: string;
  /** /proc/self/stat, for the session id (field 6). */
  stat: string;
}

export const PROC_CPU_SHARE_FILES: CpuShareFiles = {
  enabled: '/proc/sys/kernel/sched_autogroup_enabled',
  autogroup: '/proc/self/autogroup',
  stat: '/proc/self/stat',
};

/** What was done: the session's nice set (`nice`), or why not (`unchanged`). */
export type CpuShare = { nice: number } | { unchanged: string };

/** Gives the agent's session the autogroup nice `nice`, when it leads that session (see above). */
export function raiseCpuShare(nice: number, pid = process.pid, files = PROC_CPU_SHARE_FILES): CpuShare {
  let enabled: string;
  try {
    enabled = readFileSync(files.enabled, 'utf8').trim();
  } catch {
    return { unchanged: 'this kernel has no autogroup scheduling: each process competes on its own nice' };
  }
  if (enabled !== '1') return { unchanged: 'autogroup scheduling is off (kernel.sched_autogroup_enabled 0)' };
  const { sid } = parseProcStat(pid, readFileSync(files.stat, 'utf8'));
  if (sid !== pid)
    return {
      unchanged:
        `the agent shares session ${sid} (its terminal, its parent) and does not raise the others in it: ` +
        'start it in its own session (systemd, setsid) for its CPU share against its handlers',
    };
  try {
    writeFileSync(files.autogroup, String(nice));
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'EPERM' ? 'needs root (CAP_SYS_NICE)' : errorMessage(err);
    return { unchanged: `could not set its session's nice to ${nice}: ${why}` };
  }
  return { nice };
}
