/**
 * The context an exec'd program runs in: the instance's own (agent/instance/launch.ts prepareLaunch — its
 * environment with the GOV_* variables, its user and group through setpriv when the agent is root), its
 * spec's cwd, and its cgroups (agent/process: the tracking group, the limit groups when it has limits, and
 * on v1 its cpuacct group, so what it runs counts as the instance's CPU), joined before the program execs —
 * by the native spawn itself (`direct`), or without it by the same `sh` prefix the handler's own spawn
 * uses (`argv`, also a pty's) — so the limits apply to it and
 * a stop of the instance (which kills its cgroup) ends it too. With cgroup tracking the session has its own
 * group under the instance's (`exec-<session>`): what the program starts, a daemon that left its process
 * group with setsid included, ends with the session (the supervisor drains that group when the session
 * ends, and a restarted agent drains those of sessions that died with it). Only a running instance is a context: a
 * stopped one has no group to hold what exec starts (it would run, and stay, outside any); a frozen one
 * would freeze it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError } from '../../shared/errors.js';
import type { HandlerSpec } from '../../shared/spec.js';
import { prepareLaunch, SETPRIV, type LaunchContext } from '../instance/launch.js';
import type { InstanceState } from '../instance/lifecycle.js';
import { joinArgv } from '../process/cgroups-backend.js';
import { hasLimits, type Cgroups } from '../process/cgroups.js';
import type { CgroupTracking } from '../process/cgroup-tracking.js';
import type { CpuAccounting } from '../process/cpu-accounting.js';
import { instanceLogDir, type ExecContext } from './exec-sessions.js';

export interface ExecInstance {
  spec: HandlerSpec;
  index: number;
  state: InstanceState;
  /** Frozen by its on-demand idle_action (agent/process/freezer.ts). */
  frozen: boolean;
}

export interface ExecEnvironment {
  launch: LaunchContext;
  dataDir: string;
  tracking: CgroupTracking | null;
  cgroups: Cgroups;
  /** The per-instance CPU counters (v1: the instance's cpuacct group to join as well); null: none. */
  accounting: CpuAccounting | null;
  /**
   * The kernel's word: is instance `key`'s group frozen or being frozen now (a freeze in progress is not
   * `frozen` until the kernel says every task is)? Absent: only `frozen` is asked.
   */
  freezing?: (key: string) => boolean;
}

export function execContextOf(
  key: string,
  inst: ExecInstance | undefined,
  observed: boolean,
  env: ExecEnvironment,
  command: string[],
  session: string,
): ExecContext & { group: string | null } {
  if (observed)
    throw new StateError(
      `${key} is an observed process (not started by Governor): exec runs only in handlers`,
    );
  if (!inst) throw new NotFoundError(`no instance ${key} on this agent`);
  // Only a running instance has the cgroup that holds (and a stop ends) what exec starts.
  if (inst.state !== 'running')
    throw new StateError(
      `${key} is ${inst.state}, not running: exec runs only in a running instance (start it first)`,
    );
  // A program joining a frozen cgroup (v2) is frozen at once: the session would hang with no output.
  if (inst.frozen)
    throw new StateError(
      `${key} is frozen (on-demand, idle): a program run in it would be frozen too; wake it first (gov ensure)`,
    );
  // Being frozen: a program joining the group now is frozen too, before its exec — and the native spawn's
  // vfork holds the agent's thread until that exec, so the agent would stand still with it (the freeze's own
  // end, and any thaw, included).
  if (env.freezing?.(key))
    throw new StateError(
      `${key} is being frozen: a program run in it would be frozen too; try again once it is frozen (then wake it: gov ensure) or thawed`,
    );
  const launch = prepareLaunch(inst.spec, inst.index, env.launch);
  const procs: string[] = [];
  const tracked = env.tracking?.dirOf(key) ?? null;
  const group = tracked && existsSync(tracked) ? env.tracking!.openSession(key, session) : null;
  const joined = group ?? (tracked && existsSync(tracked) ? tracked : null);
  if (joined) procs.push(path.join(joined, 'cgroup.procs'));
  if (hasLimits(inst.spec.limits)) {
    const limits = env.cgroups.prepare(key, inst.spec.limits);
    for (const p of limits?.procs ?? []) {
      // A limit group the session's group sits in (the same hierarchy) already holds it: joining it would
      // move the program back out of its session's group.
      if (group && group.startsWith(path.dirname(p) + path.sep)) continue;
      if (!procs.includes(p)) procs.push(p);
    }
  }
  const acct = env.accounting?.prepare(key) ?? null;
  if (acct && !procs.includes(acct)) procs.push(acct);
  // Last before the command (after any change of user, which clears it): the program is killed when the
  // agent process dies (kill -9 included), so no session outlives its agent. What the program forks does
  // not inherit it; a stop of the instance ends those.
  const argv = [...launch.prefix, SETPRIV, '--pdeathsig', 'KILL', '--', ...command];
  return {
    argv: procs.length > 0 ? joinArgv(procs, argv) : argv,
    // The same steps for the native spawn, which takes them itself between vfork and exec (program.ts) —
    // not into a group with limits: vfork holds the agent's thread until the exec, which a child already in
    // a CPU quota or at a memory limit runs at that quota (hundreds of ms with `cpu: 1%` kept busy, the
    // whole agent standing still); the chain joins after its own exec, the agent long back at work.
    ...(hasLimits(inst.spec.limits) ? {} : { direct: { command, procs, identity: launch.identity } }),
    cwd: inst.spec.cwd,
    env: launch.env,
    logDir: instanceLogDir(env.dataDir, key),
    group,
  };
}
