/**
 * The activity of one on-demand instance (DESIGN §3 "Idleness from activity"): when it was last used or
 * seen busy, and what says it is busy now. Busy while a `gov exec` session is open in it (what exec runs
 * is not in its process tree, and must not be stopped or frozen under the session), while it said
 * `BUSY=1` (until `IDLE=1`), while a lease is held (`ensure --hold`, until its end or `release`), while
 * its process tree has established TCP connections on a port it listens on (tcp-connections.ts), or
 * when the tree used more than `idle_cpu` over the last sampling window. BUSY=1 and the lease hold from the moment they are set; CPU and
 * connections are those of the last measurement (`measure`: a metrics sample, or the idle check's own).
 * A measurement that finds it busy, BUSY=1/IDLE=1, a lease change and any use all restart its idle period;
 * a lease that runs out does so from its end.
 *
 * The lease end lives on the instance (`Instance.leaseUntil`, part of its durable record) so that it
 * survives an agent restart; an ended lease is dropped (and the record written) the first time it is
 * looked at. The decisions themselves are pure, in policy.ts.
 */
import type { Clock } from '../../shared/clock.js';
import { StateError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { DEFAULT_IDLE_CPU_PERCENT } from '../../shared/spec.js';
import type { Instance } from '../instance/instance.js';
import { NO_ACTIVITY, type ActivityStatus } from '../instance/status.js';
import { handleTree, treeMembers } from '../process/process-tree.js';
import { activityOf, busyReason, idleSince, nextIdleCheck, renewLease, temperatureOf } from './policy.js';
import { establishedConnections } from './tcp-connections.js';

/** What the last look at the process tree found: CPU over its sampling window, connections on its ports. */
interface Measured {
  cpuPercent: number | null;
  connections: ReadonlyMap<number, number>;
}

const NOT_MEASURED: Measured = { cpuPercent: null, connections: new Map() };

export class Activity {
  /** The last moment the instance was used or seen busy (epoch ms): its idle period runs from here. */
  lastUse: number;
  /** `BUSY=1` said and no `IDLE=1` since. */
  private saidBusy = false;
  private measured: Measured = NOT_MEASURED;
  /** Whether the last turn announced was to busy (only turns are announced). */
  private announcedBusy = false;

  constructor(
    private readonly inst: Instance,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Tells the instance's listeners its status changed without a state change (busy ↔ idle, lease). */
    private readonly announce: () => void,
  ) {
    this.lastUse = clock.now();
  }

  /** Use through the governor: restarts the idle period. */
  touch(): void {
    this.lastUse = this.clock.now();
  }

  /** Exec sessions open in the instance: busy while any is (a live signal, like BUSY=1). */
  private execSessions = 0;

  /** An exec session opened: busy until the returned function is called (once) as it ends. */
  execSession(): () => void {
    this.execSessions++;
    this.touch();
    this.changed();
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.execSessions--;
      this.touch();
      this.changed();
    };
  }

  /** `BUSY=1` (true) / `IDLE=1` (false): activity either way; true when it changed what was said. */
  setBusy(busy: boolean): boolean {
    this.touch();
    if (busy === this.saidBusy) return false;
    this.saidBusy = busy;
    this.changed();
    return true;
  }

  /**
   * Takes or renews the lease: its end becomes max(current end, now + holdMs), written with the instance's
   * record. Refused for an instance that is not on-demand (no idle timer to hold off). Returns the end.
   */
  async hold(holdMs: number): Promise<number> {
    this.refuseLease('--hold');
    const now = this.clock.now();
    this.touch();
    const until = renewLease(this.liveLease(now), holdMs, now);
    this.inst.leaseUntil = until;
    await this.inst.persist();
    this.changed(true);
    return until;
  }

  /** Ends the lease at once (the idle period starts now); false when none was held. */
  async release(): Promise<boolean> {
    this.refuseLease('release');
    const held = this.liveLease(this.clock.now()) !== null;
    this.inst.leaseUntil = null;
    this.touch();
    await this.inst.persist();
    this.changed(true);
    return held;
  }

  /**
   * Why it is busy now ('' when idle): the live signals (BUSY=1, lease) and, unless `liveOnly`, the last
   * measurement (CPU, connections).
   */
  reason(liveOnly = false): string {
    const n = this.execSessions;
    if (n > 0) return `${n} exec session${n === 1 ? '' : 's'} open`;
    const now = this.clock.now();
    return busyReason(
      {
        saidBusy: this.saidBusy,
        leaseUntil: this.liveLease(now),
        ...(liveOnly ? NOT_MEASURED : this.measured),
        idleCpuPercent: this.inst.spec.idle_cpu_percent ?? DEFAULT_IDLE_CPU_PERCENT,
      },
      now,
    );
  }

  /** Idle for, cools in, busy reason and lease (status.ts): figures only while hot or frozen. */
  status(): ActivityStatus {
    const t = temperatureOf(this.inst.spec.mode, this.inst.state, this.inst.frozen);
    if (t === '') return { ...NO_ACTIVITY };
    const now = this.clock.now();
    const lease = this.liveLease(now);
    if (t !== 'hot' && t !== 'frozen') return { ...NO_ACTIVITY, lease_until: lease };
    const a = activityOf(this.reason(), this.lastUse, lease, this.inst.spec.idle_timeout_ms, now);
    if (t === 'hot') return a;
    // Frozen: what is due next is the frozen_timeout stop (0: none).
    const since = this.inst.frozenSince ?? now;
    const limit = this.inst.spec.frozen_timeout_ms;
    return { ...a, cools_in_ms: limit === undefined ? 0 : Math.max(0, since + limit - now) };
  }

  /**
   * A measurement of the instance's tree: `cpuPercent` over the sampler's window, and its connections
   * read now. Busy, it restarts the idle period.
   */
  measure(cpuPercent: number): void {
    const h = this.inst.handle; // its whole tree: its cgroup when it has one (process-tree.ts)
    const pids = h ? treeMembers(handleTree(this.inst.name, h)).map((p) => p.pid) : [];
    this.measured = { cpuPercent, connections: establishedConnections(pids) };
    if (this.reason()) this.touch();
    this.changed();
  }

  /** A new process: nothing measured of it yet. */
  forgetMeasurement(): void {
    this.measured = NOT_MEASURED;
  }

  /** ms until the idle timer should look again: when the idle action is due, or at the lease's end. */
  nextCheckMs(): number {
    const now = this.clock.now();
    return nextIdleCheck(this.lastUse, this.liveLease(now), this.inst.spec.idle_timeout_ms, now);
  }

  /** Announces a turn between busy and idle (and, `always`, a lease change): the master's ps shows it. */
  changed(always = false): void {
    const busy = this.reason() !== '';
    if (busy === this.announcedBusy && !always) return;
    this.announcedBusy = busy;
    this.announce();
  }

  /** The lease's end while it lasts; one that ran out is dropped (idle from its end: `idleSince`). */
  private liveLease(now: number): number | null {
    const until = this.inst.leaseUntil;
    if (until === null || until > now) return until;
    this.lastUse = idleSince(this.lastUse, until, now);
    this.inst.leaseUntil = null;
    this.inst.persist().catch((err: unknown) => this.log.error('persist failed', { err }));
    return null;
  }

  private refuseLease(what: string): void {
    if (this.inst.spec.mode === 'on-demand') return;
    throw new StateError(
      `${this.inst.name} is ${this.inst.spec.mode}: it has no idle timer, so a lease (${what}) means ` +
        `nothing; leases are for mode: on-demand handlers`,
    );
  }
}
