/**
 * An operator's signal to a running instance (SIGNAL, `gov signal`): to its whole process group (the one
 * group rule, process/group-signal.ts, through the backend and its observed guard; a daemon that left the
 * group: every process of its cgroup, never an observed one; a verified main that left it with setsid: that
 * main too), or with `main` to the
 * verified main process only (process/main-process.ts). A signal is not a stop: the desired state stays,
 * and a handler that exits because of it follows its restart policy as usual. Nothing is sent to what
 * could not be verified, and then the caller hears why.
 */
import { StateError } from '../../shared/errors.js';
import type { Handle, ProcessBackend } from '../process/backend.js';
import { isCgroupOnly } from '../process/cgroup-tracking.js';
import type { InstanceState } from './lifecycle.js';

/** The states in which an instance has a process to signal. */
export const SIGNALLABLE: ReadonlySet<InstanceState> = new Set(['starting', 'running']);

/** Why instance `name` in `state` cannot be signalled. */
export function notRunningRefusal(name: string, state: InstanceState): string {
  return `${name} is ${state}, not running: nothing signalled`;
}

/**
 * Sends `signal` for an instance whose handle is `h` (its main already recorded when known); returns what
 * was sent (`SIGHUP to pid 123 (group 122)`, `SIGHUP to pid 123 (main only)`). Throws a StateError naming
 * the instance, the process and why when nothing could be sent.
 */
export function sendSignal(
  name: string,
  h: Handle,
  backend: ProcessBackend,
  signal: NodeJS.Signals,
  main: boolean,
): string {
  const pid = h.main_pid;
  // A held daemon group (stray-shims.ts) has no shim and no process group of its own: only its cgroup.
  const cgroupOnly = isCgroupOnly(h);
  if (main) {
    if (pid === undefined)
      throw new StateError(
        `${name}: its main process is not known (${cgroupOnly ? `its daemon in cgroup ${h.cgroup} is not known` : `the shim ${h.pid} has no child`}): ${signal} not sent`,
      );
    if (!backend.signalMain(h, signal))
      throw new StateError(
        `${name}: main pid ${pid} could not be verified (gone, reused, or an observed process): ${signal} not sent`,
      );
    return `${signal} to pid ${pid} (main only)`;
  }
  if (!backend.signalGroup(h, signal)) {
    // A daemon (`type: forking`) has left the shim's group: its cgroup is what holds it.
    const n = backend.signalCgroup(h, signal);
    if (n > 0)
      return pid === undefined && cgroupOnly
        ? `${signal} to ${n} process(es) of cgroup ${h.cgroup}`
        : `${signal} to pid ${pid ?? h.pid} (${n} process(es) of its cgroup)`;
    throw new StateError(
      cgroupOnly
        ? `${name}: cgroup ${h.cgroup} has no process left to signal: ${signal} not sent`
        : `${name}: process group ${h.pgid} is not provably this instance's (or holds an observed process): ${signal} not sent`,
    );
  }
  // A main that left the group (setsid) is the handler all the same: it gets the signal too, verified.
  if (backend.signalStray(h, signal))
    return `${signal} to group ${h.pgid} and to pid ${pid} (the main, in a process group of its own)`;
  return `${signal} to pid ${pid ?? h.pid} (group ${h.pgid})`;
}
