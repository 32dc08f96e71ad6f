/**
 * A ProcessBackend decorator that puts each spawned handler into its instance's cgroups: its tracking group
 * (cgroup-tracking.ts, whether or not it has limits) and, with limits, the limit groups (advisory limits,
 * cgroups.ts; on v2 the same directory). The groups are prepared before the spawn; the shim is moved in
 * right after it, and the handler moves itself in before it execs (a tiny `sh` prefix writes `$$` to each
 * cgroup.procs), so no child forked in between escapes. The handle records the tracking group (`cgroup`).
 * Any limit failure leaves the handler running unlimited: a limit never blocks a start. A `type: forking`
 * handler cannot be tracked without a cgroup: its spawn is refused with why. A handler that may be frozen
 * (`idle_action: freeze`) joins its v1 freezer group the same way (freezer.ts; on v2 the tracking group is
 * the one frozen), and every handler its v1 cpuacct group (cpu-accounting.ts; on v2 the tracking group's
 * cpu.stat is the counter).
 */
import type { LimitsSpec, ProcessType } from '../../shared/spec.js';
import type { ProcessBackend, ShimProcess, SpawnRequest, Spawned } from './backend.js';
import { BackendDecorator } from './decorator.js';
import { hasLimits, type Cgroups } from './cgroups.js';
import type { CgroupTracking } from './cgroup-tracking.js';
import type { Freezer } from './freezer.js';
import type { CpuAccounting } from './cpu-accounting.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** `sh -c JOIN gov-cgroup N procs... command...`: writes its PID to N cgroup.procs files, then execs. */
export const JOIN_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do { echo $$ > "$1"; } 2>/dev/null; shift; n=$((n-1)); done; exec "$@"';

export function joinArgv(procs: string[], command: string[]): string[] {
  return ['/bin/sh', '-c', JOIN_SCRIPT, 'gov-cgroup', String(procs.length), ...procs, ...command];
}

/** The command a `joinArgv` command runs (the command itself when it has no join prefix). */
export function unjoinArgv(argv: string[]): string[] {
  if (argv[0] !== '/bin/sh' || argv[1] !== '-c' || argv[2] !== JOIN_SCRIPT || argv[3] !== 'gov-cgroup')
    return argv;
  const n = Number(argv[4]);
  return Number.isInteger(n) && n >= 0 && argv.length >= 5 + n ? argv.slice(5 + n) : argv;
}

export class LimitedBackend extends BackendDecorator {
  constructor(
    inner: ProcessBackend,
    private readonly cgroups: Cgroups,
    /** The limits of an instance key (from its spec); undefined or empty for none. */
    private readonly limitsOf: (instance: string) => LimitsSpec | undefined,
    /** Tracking groups; null: process groups only. */
    private readonly tracking: CgroupTracking | null = null,
    /** The process type of an instance key (absent: simple). */
    private readonly typeOf: (instance: string) => ProcessType | undefined = () => undefined,
    /** The freezer, and whether an instance key may be frozen (its spec's idle_action). */
    private readonly freezer: Freezer | null = null,
    private readonly freezable: (instance: string) => boolean = () => false,
    /** The per-instance CPU counters (v1: a cpuacct group to join); null: none. */
    private readonly accounting: CpuAccounting | null = null,
  ) {
    super(inner);
  }

  /** Shims with the command they run without this decorator's join prefix (what the instance launched). */
  override listShims(runDir: string): ShimProcess[] {
    return this.inner.listShims(runDir).map((shim) => ({ ...shim, command: unjoinArgv(shim.command) }));
  }

  override spawn(req: SpawnRequest): Spawned {
    const tracked = this.tracking?.prepare(req.name) ?? null;
    if (!tracked && this.typeOf(req.name) === 'forking')
      throw new Error(
        `type: forking needs a cgroup to track the daemon, and this agent has none ` +
          `(tracking: pgroup${this.tracking?.reason ? `: ${this.tracking.reason}` : ''})`,
      );
    const limits = this.limitsOf(req.name);
    const group = hasLimits(limits) ? this.cgroups.prepare(req.name, limits) : null;
    const trackProcs = tracked ? path.join(tracked, 'cgroup.procs') : null;
    const freezeProcs = this.freezable(req.name) ? (this.freezer?.prepare(req.name) ?? null) : null;
    const acctProcs = this.accounting?.prepare(req.name) ?? null;
    const procs = [
      ...new Set([
        ...(trackProcs ? [trackProcs] : []),
        ...(group?.procs ?? []),
        ...(freezeProcs ? [freezeProcs] : []),
        ...(acctProcs ? [acctProcs] : []),
      ]),
    ];
    if (procs.length === 0) return this.inner.spawn(req);
    const sp = this.inner.spawn({ ...req, command: joinArgv(procs, req.command) });
    // Synchronously, in the same tick as prepare(): the group is never empty for a sweep to remove.
    if (tracked && this.tracking?.join(tracked, sp.handle.pid)) sp.handle.cgroup = tracked;
    const limitProcs = (group?.procs ?? []).filter((p) => p !== trackProcs);
    if (group && limitProcs.length > 0) this.cgroups.join({ procs: limitProcs }, sp.handle.pid);
    // Refused: the shim is not in its freezer group, and a freeze falls back to a stop (freezer.ts says why).
    if (freezeProcs) writeQuiet(freezeProcs, String(sp.handle.pid));
    // Refused: its counter stays 0, which reads as no counter (the tree is read from /proc every sample).
    if (acctProcs && !(group?.procs ?? []).includes(acctProcs)) writeQuiet(acctProcs, String(sp.handle.pid));
    return sp;
  }
}

function writeQuiet(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {
    /* see the caller */
  }
}
