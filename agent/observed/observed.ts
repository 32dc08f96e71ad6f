/**
 * Observed processes (DESIGN §3 observe-only): processes the agent did not start, attached by PID or found
 * by discovery. Each is identified by PID + start time (+ command-line hash after a restart), checked from
 * /proc (exists, not a zombie, same start time — the equivalent of signal 0 without calling kill at all),
 * measured with the handlers' sampler, and NEVER signalled: nothing here can signal, and the backend guard
 * refuses any process group holding one. Ended ones are reported once (`GONE`) and dropped.
 *
 * This file is the set's lifecycle (restore, attach, detach, check, discover) and its persistence; one
 * entry's status and identity checks are in entry.ts, rule limits (cpu cgroup, memory watch) in
 * limits.ts.
 */
import { NotFoundError, StateError, ValidationError } from '../../shared/errors.js';
import type { DurableStore } from '../../shared/durable-store.js';
import type { Logger } from '../../shared/logger.js';
import { handlerObservedClash } from '../../shared/observed.js';
import { hashCmdline, isPid, readCmdline, readProcStat, type ProcStat } from '../../shared/proc.js';
import { isName, nameRefusal } from '../../shared/names.js';
import type { Cgroups } from '../process/cgroups.js';
import { cgroupPids } from '../process/cgroup-tracking.js';
import { isHelperGroup } from '../process/helper-groups.js';
import { DiscoveryScanner, type DiscoverRule } from './discovery.js';
import type { InstanceStatus } from '../instance/instance.js';
import { appendEvent, type InstanceState } from '../instance/lifecycle.js';
import type { TreeUsage } from '../process/sampler.js';
import type { TreeRef } from '../process/process-tree.js';
import {
  goneSinceRestart,
  newObservedEntry,
  observedStatus,
  stillAlive,
  type ObservedEntry,
} from './entry.js';
import { applyCpuLimit, memoryCrossing } from './limits.js';
import { emptyObserved, type ObservedRecord, type ObservedState } from './record.js';
import type { SupervisorEmitter } from '../supervisor/events.js';
import type { InstanceRegistry } from '../supervisor/instance-registry.js';
import type { CompiledOptions } from '../supervisor/options.js';
import type { AgentState } from '../supervisor/state-store.js';

const COMMAND_MAX = 200;

export class ObservedSet {
  private readonly entries = new Map<string, ObservedEntry>();
  private ignored = new Set<string>();
  private readonly scanner: DiscoveryScanner | null;
  private readonly log: Logger;

  constructor(
    private readonly opts: Pick<CompiledOptions, 'clock' | 'logger' | 'discover'>,
    private readonly store: DurableStore<AgentState>,
    private readonly cgroups: Cgroups,
    /** The supervisor: hears every state change and event of an observed process. */
    private readonly sup: SupervisorEmitter,
    /** The governed instances: their names and process groups are never taken by an observed process. */
    private readonly handlers: InstanceRegistry,
    /** Every process in this agent's instance cgroups (CgroupTracking.pids): the handlers', never observed. */
    private readonly trackedPids: () => ReadonlySet<number>,
  ) {
    this.log = opts.logger.named('observed');
    this.scanner = opts.discover.length > 0 ? new DiscoveryScanner(opts.discover) : null;
  }

  /** PIDs that are process groups/sessions of governed handlers (held unrecorded strays too): never attached. */
  private governedGroups(): ReadonlySet<number> {
    const set = new Set<number>();
    for (const h of this.handlers.governedHandles()) if (h.pgid > 0) set.add(h.pgid); // not a group-only handle's 0
    return set;
  }

  /**
   * The processes of governed handlers' cgroups: never attached (a daemon that left its handler's process
   * group and session is still the handler's; observed, it would be spared by every stop of it).
   */
  private governedPids(): ReadonlySet<number> {
    const set = new Set<number>();
    for (const h of this.handlers.governedHandles()) {
      if (h.cgroup !== undefined) for (const pid of cgroupPids(h.cgroup)) set.add(pid);
    }
    return set;
  }

  /**
   * Why a process is this agent's own and can never be observed, or null: it is in one of the agent's
   * instance cgroups (a handler's, also what an exited main left there while it is drained), or in the group
   * of an `exec:` health check the agent runs (process/helper-groups.ts). Observed, such a process would be
   * spared by every stop of its handler, or be killed by the agent (a probe's timeout) while "never
   * signalled".
   */
  private agentsOwn(st: ProcStat, tracked: ReadonlySet<number>): string | null {
    if (tracked.has(st.pid)) return "it is in a handler's cgroup";
    if (isHelperGroup(st.pgid)) return "it is one of the agent's health checks";
    return null;
  }

  /** True when a handler (or instance key) of this agent is named so. */
  private isHandlerName(name: string): boolean {
    for (const i of this.handlers.values()) if (i.spec.name === name || i.name === name) return true;
    return false;
  }

  get discovering(): boolean {
    return this.scanner !== null;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  observedPids(): number[] {
    return [...this.entries.values()].map((e) => e.rec.pid);
  }

  /** Throws the clear refusal for an observed name (stop/restart). */
  refuse(name: string, message: string): void {
    if (this.entries.has(name)) throw new StateError(message);
  }

  /** Re-verifies the persisted set after an agent start: same PID, start time and command line, or dropped. */
  async restore(): Promise<void> {
    const saved = this.store.data.observed ?? emptyObserved();
    this.ignored = new Set(saved.ignored);
    for (const rec of Object.values(saved.processes)) {
      const entry = newObservedEntry(rec);
      const gone = goneSinceRestart(rec);
      this.entries.set(rec.name, entry);
      if (gone) {
        this.drop(entry, `GONE pid=${rec.pid} ${gone}`);
      } else {
        this.transition(entry, 'running', 'RESTORED', `RESTORED pid=${rec.pid} verified after agent restart`);
      }
    }
    await this.save();
  }

  /** Attaches a running process by PID under `name` (DESIGN §6 `gov attach`). */
  async attach(
    pid: number,
    name: string,
    how: { source: 'attach' | 'discover'; rule?: DiscoverRule } = { source: 'attach' },
  ): Promise<InstanceStatus> {
    if (!isName(name)) throw new ValidationError(`name: ${nameRefusal(name)}`);
    if (!isPid(pid)) throw new ValidationError(`pid ${pid} is not a process id`);
    if (this.isHandlerName(name))
      throw new StateError(`${name} is already in use on this agent: ${handlerObservedClash(name, pid)}`);
    if (this.entries.has(name))
      throw new ValidationError(
        `${name} is already in use on this agent by another observed process; pick another name`,
      );
    if (pid === process.pid) throw new ValidationError(`pid ${pid} is the agent itself`);
    const st = readProcStat(pid);
    const argv = st ? readCmdline(pid) : null;
    if (!st || argv === null || st.state === 'X')
      throw new NotFoundError(`no process with pid ${pid} on this agent`);
    if (st.state === 'Z')
      throw new StateError(`pid ${pid} is a zombie (it ended; its parent has not reaped it)`);
    // Before the command line: a handler's process read in the middle of its exec has none for a moment.
    const governed = this.governedGroups();
    if (governed.has(st.pgid) || governed.has(st.sid) || this.governedPids().has(pid))
      throw new StateError(`pid ${pid} belongs to a handler this agent governs; it cannot also be observed`);
    const own = this.agentsOwn(st, this.trackedPids());
    if (own) throw new StateError(`pid ${pid} is this agent's own (${own}); it cannot also be observed`);
    if (argv.length === 0)
      throw new ValidationError(
        `pid ${pid} has no command line: a kernel thread (or a process in the middle of an exec: try again)`,
      );
    const same = [...this.entries.values()].find((e) => e.rec.pid === pid);
    if (same) throw new StateError(`pid ${pid} is already observed as ${same.rec.name}`);
    const rec: ObservedRecord = {
      name,
      pid,
      pgid: st.pgid,
      start_time: st.startTime,
      cmdline_hash: hashCmdline(argv),
      command: argv.join(' ').slice(0, COMMAND_MAX),
      attached_at: this.opts.clock.now(),
      source: how.source,
      ...(how.rule ? { rule: how.rule.name } : {}),
      ...(how.rule && Object.keys(how.rule.limits).length > 0 ? { limits: how.rule.limits } : {}),
    };
    const entry = newObservedEntry(rec);
    this.entries.set(name, entry);
    const limited = applyCpuLimit(this.cgroups, entry, st);
    if (limited) this.event(entry, 'LIMITS', limited);
    // On disk before anyone hears of it: a restarted agent finds it again.
    await this.save();
    if (this.entries.get(name) !== entry)
      throw new StateError(`${name} ended or was detached while being attached`);
    const by = how.rule ? `discovered by rule ${how.rule.name}` : 'by PID';
    this.transition(entry, 'running', 'ATTACHED', `ATTACHED pid=${pid} ${by}; observed, never signalled`);
    return observedStatus(entry);
  }

  /** Forgets an observed process (it keeps running, untouched; a cpu cgroup move is undone). */
  async detach(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) throw new NotFoundError(`no observed process named ${JSON.stringify(name)} on this agent`);
    const { rec } = entry;
    if (rec.cgroup_origin && stillAlive(rec)) this.cgroups.moveTo(rec.cgroup_origin, rec.pid);
    if (rec.source === 'discover') this.ignored.add(`${rec.pid}:${rec.start_time}`);
    this.entries.delete(name);
    this.event(entry, 'DETACHED', `DETACHED pid=${rec.pid}; it keeps running, no longer observed`);
    this.log.info('detached', { instance: name, pid: rec.pid });
    await this.save();
    this.cgroups.sweep();
  }

  /** Liveness of every observed process; ended (or reused) ones are reported once and dropped. */
  check(): void {
    let changed = false;
    for (const entry of [...this.entries.values()]) {
      const st = readProcStat(entry.rec.pid);
      if (st && st.state !== 'Z' && st.state !== 'X' && st.startTime === entry.rec.start_time) continue;
      const why =
        !st || st.state === 'Z' || st.state === 'X' ? 'ended' : 'ended (pid reused by another process)';
      this.drop(entry, `GONE pid=${entry.rec.pid} ${why}`);
      changed = true;
    }
    if (changed) {
      this.persistInBackground();
      this.cgroups.sweep();
    }
  }

  /** One discovery scan: attaches new matches (named `<rule>-<pid>`). */
  discover(): number {
    if (!this.scanner) return 0;
    const governed = this.governedGroups();
    const governedPids = this.governedPids();
    const observed = new Set(this.observedPids());
    const matches = this.scanner.scan(
      (st) =>
        st.pid === process.pid ||
        observed.has(st.pid) ||
        governed.has(st.pgid) ||
        governed.has(st.sid) ||
        governedPids.has(st.pid) ||
        this.ignored.has(`${st.pid}:${st.startTime}`),
    );
    let attached = 0;
    const tracked = matches.length > 0 ? this.trackedPids() : new Set<number>();
    for (const m of matches) {
      const st = readProcStat(m.pid);
      if (st && this.agentsOwn(st, tracked)) continue; // seen by the scanner: not looked at again
      let name = `${m.rule.name}-${m.pid}`;
      for (let n = 2; this.entries.has(name) || this.isHandlerName(name); n++)
        name = `${m.rule.name}-${m.pid}-${n}`;
      this.attach(m.pid, name, { source: 'discover', rule: m.rule }).then(
        () => undefined,
        (err: unknown) => this.log.warn('discovered process not attached', { pid: m.pid, err }),
      );
      attached++;
    }
    if (this.ignored.size > 0) {
      for (const id of this.ignored) {
        const [pid, start] = id.split(':');
        if (readProcStat(Number(pid))?.startTime !== start) this.ignored.delete(id);
      }
    }
    return attached;
  }

  /** The process tree a metrics sample reads for observed process `name`: below it, while it is the one attached. */
  tree(name: string): TreeRef | null {
    const rec = this.entries.get(name)?.rec;
    return rec ? { key: name, root: rec.pid, rootStart: rec.start_time } : null;
  }

  /** Memory limits of observed processes are watched, not enforced: warn once per crossing (usage by name). */
  noteUsage(usage: ReadonlyMap<string, TreeUsage>): void {
    for (const entry of this.entries.values()) {
      const over = memoryCrossing(entry, usage.get(entry.rec.name));
      if (!over) continue;
      this.event(entry, 'OVER_LIMIT', over.message);
      this.log.warn('observed process over its memory limit (not enforced)', {
        instance: entry.rec.name,
        pid: entry.rec.pid,
        memory_bytes: over.memory_bytes,
        limit: over.limit,
      });
    }
  }

  statuses(): InstanceStatus[] {
    return [...this.entries.values()].map((e) => observedStatus(e));
  }

  status(name: string): InstanceStatus | null {
    const e = this.entries.get(name);
    return e ? observedStatus(e) : null;
  }

  /** Reports the end once (state `exited` + event) and forgets the process. */
  private drop(entry: ObservedEntry, message: string): void {
    this.log.info('observed process gone', { instance: entry.rec.name, pid: entry.rec.pid, why: message });
    if (entry.state === 'running') this.transition(entry, 'exited', 'GONE', message);
    else this.event(entry, 'GONE', message);
    this.entries.delete(entry.rec.name);
  }

  private transition(entry: ObservedEntry, to: InstanceState, type: string, message: string): void {
    const from = entry.state;
    entry.state = to;
    const at = this.opts.clock.now();
    this.log.info('state', { instance: entry.rec.name, from, to, event: message, pid: entry.rec.pid });
    this.event(entry, type, message);
    this.sup.emit('state', { handler: entry.rec.name, from, to, at });
  }

  private event(entry: ObservedEntry, type: string, message: string): void {
    const ev = { at: this.opts.clock.now(), type, message };
    appendEvent(entry.events, ev);
    this.sup.emit('event', { handler: entry.rec.name, event: ev });
  }

  private toState(): ObservedState {
    const processes: Record<string, ObservedRecord> = {};
    for (const [name, e] of this.entries) processes[name] = e.rec;
    return { processes, ignored: [...this.ignored] };
  }

  private save(): Promise<void> {
    const snapshot = this.toState();
    return this.store.update((d) => {
      d.observed = snapshot;
    });
  }

  private persistInBackground(): void {
    this.save().catch((err: unknown) => this.log.error('persist failed', { err }));
  }
}

export { processStartMs } from './entry.js';
