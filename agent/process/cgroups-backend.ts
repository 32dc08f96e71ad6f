/**
 * A ProcessBackend decorator that puts each spawned handler into its instance's cgroup (advisory limits).
 * The group is prepared before the spawn; the shim is moved in right after it, and the handler moves itself
 * in before it execs (a tiny `sh` prefix writes `$$` to each cgroup.procs), so no child forked in between
 * escapes the limit. Any cgroup failure leaves the handler running unlimited: a limit never blocks a start.
 */
import type { LimitsSpec } from '../../shared/spec.js';
import type { ProcessBackend, SpawnRequest, Spawned } from './backend.js';
import { BackendDecorator } from './decorator.js';
import { hasLimits, type Cgroups } from './cgroups.js';

/** `sh -c JOIN gov-cgroup N procs... command...`: writes its PID to N cgroup.procs files, then execs. */
export const JOIN_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do { echo $$ > "$1"; } 2>/dev/null; shift; n=$((n-1)); done; exec "$@"';

export function joinArgv(procs: string[], command: string[]): string[] {
  return ['/bin/sh', '-c', JOIN_SCRIPT, 'gov-cgroup', String(procs.length), ...procs, ...command];
}

export class LimitedBackend extends BackendDecorator {
  constructor(
    inner: ProcessBackend,
    private readonly cgroups: Cgroups,
    /** The limits of an instance key (from its spec); undefined or empty for none. */
    private readonly limitsOf: (instance: string) => LimitsSpec | undefined,
  ) {
    super(inner);
  }

  override spawn(req: SpawnRequest): Spawned {
    const limits = this.limitsOf(req.name);
    const group = hasLimits(limits) ? this.cgroups.prepare(req.name, limits) : null;
    if (!group) return this.inner.spawn(req);
    const sp = this.inner.spawn({ ...req, command: joinArgv(group.procs, req.command) });
    // Synchronously, in the same tick as prepare(): the group is never empty for a sweep to remove.
    this.cgroups.join(group, sp.handle.pid);
    return sp;
  }
}
