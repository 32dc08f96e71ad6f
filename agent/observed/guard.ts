/**
 * The backend every supervisor signal goes through refuses a process group that holds an observed process
 * (DESIGN §8 item 3: observed processes are never signalled by anything the governor does). Attach already
 * refuses PIDs in a handler's group; this guard holds even if a process changed its group afterwards.
 */
import { readProcStat } from '../../shared/proc.js';
import type { Handle, ProcessBackend } from '../process/backend.js';
import { BackendDecorator } from '../process/decorator.js';
import { isHandlerGroup } from '../process/group-signal.js';

export interface ObservedPids {
  /** PIDs of the observed processes. */
  observedPids(): Iterable<number>;
}

export class GuardedBackend extends BackendDecorator {
  constructor(
    inner: ProcessBackend,
    private readonly observed: ObservedPids,
    private readonly onRefused: (handle: Handle, pid: number) => void = () => {},
  ) {
    super(inner);
  }

  /** The observed PID in `pgid`'s process group (or that is `pgid`), if any. */
  observedInGroup(pgid: number): number | null {
    // Group 0 (kernel threads; PID 1 in some containers) and 1 are no handler's: a held daemon group with no
    // shim has pgid 0, and an observed PID 1 made its every signal (`gov signal --main` too) refused.
    if (!isHandlerGroup(pgid)) return null;
    for (const pid of this.observed.observedPids()) {
      if (pid === pgid) return pid;
      const st = readProcStat(pid);
      if (st && st.pgid === pgid) return pid;
    }
    return null;
  }

  override signalGroup(handle: Handle, signal: NodeJS.Signals): boolean {
    const pid = this.observedInGroup(handle.pgid);
    if (pid !== null) {
      this.onRefused(handle, pid);
      return false;
    }
    return this.inner.signalGroup(handle, signal);
  }

  /** Never an observed process in the cgroup (then no `cgroup.kill` either): the others are signalled. */
  override signalCgroup(
    handle: Handle,
    signal: NodeJS.Signals,
    spare?: ReadonlySet<number>,
    groupSignalled?: number,
  ): number {
    const observed = new Set([...this.observed.observedPids(), ...(spare ?? [])]);
    const held =
      observed.size > 0 ? this.inner.cgroupMembers(handle).find((p) => observed.has(p)) : undefined;
    if (held !== undefined) this.onRefused(handle, held);
    return this.inner.signalCgroup(handle, signal, observed, groupSignalled);
  }

  override signalMain(handle: Handle, signal: NodeJS.Signals): boolean {
    const observed = new Set(this.observed.observedPids());
    const pid = observed.has(handle.main_pid ?? 0) ? handle.main_pid! : this.observedInGroup(handle.pgid);
    if (pid !== null) {
      this.onRefused(handle, pid);
      return false;
    }
    return this.inner.signalMain(handle, signal);
  }

  override signalStray(handle: Handle, signal: NodeJS.Signals): boolean {
    const main = handle.main_pid;
    if (main !== undefined) {
      const pid = new Set(this.observed.observedPids()).has(main) ? main : this.observedInGroup(main);
      if (pid !== null) {
        this.onRefused(handle, pid);
        return false;
      }
    }
    return this.inner.signalStray(handle, signal);
  }
}
