/**
 * Observed processes (DESIGN §3 observe-only): processes the agent did not start, attached by PID or found
 * by discovery. Each is identified by PID + start time (+ command-line hash after a restart), checked from
 * /proc (exists, not a zombie, same start time — the equivalent of signal 0 without calling kill at all),
 * measured with the handlers' sampler, and NEVER signalled: nothing here can signal, and the backend guard
 * refuses any process group holding one. Ended ones are reported once (`GONE`) and dropped.
 *
 * Limits from a discovery rule: the CPU share is applied by moving the process into a cpu cgroup (a PID
 * write, not a signal; moved back on detach). A memory limit is only watched and warned about, because the
 * kernel enforces memory limits by OOM-killing, which would be a kill caused by the governor.
 */
import { readFileSync } from 'node:fs';
import { NotFoundError, StateError, ValidationError, errorMessage } from '../shared/errors.js';
import type { DurableStore } from '../shared/durable-store.js';
import { formatBytes } from '../shared/durations.js';
import type { Logger } from '../shared/logger.js';
import { hashCmdline, readCmdline, readProcStat, type ProcStat } from '../shared/proc.js';
import { NAME_RE } from '../shared/spec.js';
import type { Clock } from './clock.js';
import type { Cgroups } from './cgroups.js';
import { DiscoveryScanner, type DiscoverRule } from './discovery.js';
import type { InstanceStatus, StateChange } from './instance.js';
import { appendEvent, type InstanceEvent, type InstanceState } from './lifecycle.js';
import type { TreeUsage } from './metrics.js';
import { emptyObserved, type ObservedRecord, type ObservedState } from './observed-record.js';
import type { AgentState } from './state-store.js';

export interface ObservedDeps {
  store: DurableStore<AgentState>;
  clock: Clock;
  logger: Logger;
  cgroups: Cgroups;
  rules: readonly DiscoverRule[];
  /** PIDs that are process groups/sessions of governed handlers: never attached. */
  governedGroups(): ReadonlySet<number>;
  /** True when a handler of this agent is named so. */
  isHandlerName(name: string): boolean;
  onState(change: StateChange): void;
  onEvent(name: string, ev: InstanceEvent): void;
}

interface Entry {
  rec: ObservedRecord;
  state: InstanceState;
  events: InstanceEvent[];
  startedAt: number | null;
  overMemory: boolean;
}

const COMMAND_MAX = 200;
/** Handler-only status fields (no temperature, no health check) for an observed process. */
const NOT_A_HANDLER = { temperature: '', health: 'none', health_reason: '' } as const;

export class ObservedSet {
  private readonly entries = new Map<string, Entry>();
  private ignored = new Set<string>();
  private readonly scanner: DiscoveryScanner | null;
  private readonly log: Logger;

  constructor(private readonly deps: ObservedDeps) {
    this.log = deps.logger.named('observed');
    this.scanner = deps.rules.length > 0 ? new DiscoveryScanner(deps.rules) : null;
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
    const saved = this.deps.store.data.observed ?? emptyObserved();
    this.ignored = new Set(saved.ignored);
    for (const rec of Object.values(saved.processes)) {
      const entry = this.newEntry(rec);
      const st = readProcStat(rec.pid);
      const argv = st ? readCmdline(rec.pid) : null;
      let gone: string | null = null;
      if (!st || st.state === 'Z' || st.state === 'X' || argv === null)
        gone = 'ended while the agent was down';
      else if (st.startTime !== rec.start_time)
        gone = `pid ${rec.pid} reused (start time differs); never signalled`;
      else if (hashCmdline(argv) !== rec.cmdline_hash)
        gone = `pid ${rec.pid} reused (command line differs); never signalled`;
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
    if (!NAME_RE.test(name)) throw new ValidationError(`name ${JSON.stringify(name)} is not a valid name`);
    if (!Number.isInteger(pid) || pid <= 1) throw new ValidationError(`pid ${pid} is not a process id`);
    if (this.deps.isHandlerName(name) || this.entries.has(name))
      throw new ValidationError(`${name} is already in use on this agent; pick another name`);
    if (pid === process.pid) throw new ValidationError(`pid ${pid} is the agent itself`);
    const st = readProcStat(pid);
    const argv = st ? readCmdline(pid) : null;
    if (!st || argv === null || st.state === 'X')
      throw new NotFoundError(`no process with pid ${pid} on this agent`);
    if (st.state === 'Z')
      throw new StateError(`pid ${pid} is a zombie (it ended; its parent has not reaped it)`);
    if (argv.length === 0) throw new ValidationError(`pid ${pid} is a kernel thread`);
    const governed = this.deps.governedGroups();
    if (governed.has(st.pgid) || governed.has(st.sid))
      throw new StateError(`pid ${pid} belongs to a handler this agent governs; it cannot also be observed`);
    const same = [...this.entries.values()].find((e) => e.rec.pid === pid);
    if (same) throw new StateError(`pid ${pid} is already observed as ${same.rec.name}`);
    const rec: ObservedRecord = {
      name,
      pid,
      pgid: st.pgid,
      start_time: st.startTime,
      cmdline_hash: hashCmdline(argv),
      command: argv.join(' ').slice(0, COMMAND_MAX),
      attached_at: this.deps.clock.now(),
      source: how.source,
      ...(how.rule ? { rule: how.rule.name } : {}),
      ...(how.rule && Object.keys(how.rule.limits).length > 0 ? { limits: how.rule.limits } : {}),
    };
    const entry = this.newEntry(rec);
    this.entries.set(name, entry);
    this.applyCpuLimit(entry, st);
    // On disk before anyone hears of it: a restarted agent finds it again.
    await this.save();
    if (this.entries.get(name) !== entry)
      throw new StateError(`${name} ended or was detached while being attached`);
    const by = how.rule ? `discovered by rule ${how.rule.name}` : 'by PID';
    this.transition(entry, 'running', 'ATTACHED', `ATTACHED pid=${pid} ${by}; observed, never signalled`);
    return this.statusOf(entry);
  }

  /** Forgets an observed process (it keeps running, untouched; a cpu cgroup move is undone). */
  async detach(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) throw new NotFoundError(`no observed process named ${JSON.stringify(name)} on this agent`);
    const { rec } = entry;
    if (rec.cgroup_origin && this.alive(rec)) this.deps.cgroups.moveTo(rec.cgroup_origin, rec.pid);
    if (rec.source === 'discover') this.ignored.add(`${rec.pid}:${rec.start_time}`);
    this.entries.delete(name);
    this.event(entry, 'DETACHED', `DETACHED pid=${rec.pid}; it keeps running, no longer observed`);
    this.log.info('detached', { instance: name, pid: rec.pid });
    await this.save();
    this.deps.cgroups.sweep();
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
      this.deps.cgroups.sweep();
    }
  }

  /** One discovery scan: attaches new matches (named `<rule>-<pid>`). */
  discover(): number {
    if (!this.scanner) return 0;
    const governed = this.deps.governedGroups();
    const observed = new Set(this.observedPids());
    const matches = this.scanner.scan(
      (st) =>
        st.pid === process.pid ||
        observed.has(st.pid) ||
        governed.has(st.pgid) ||
        governed.has(st.sid) ||
        this.ignored.has(`${st.pid}:${st.startTime}`),
    );
    let attached = 0;
    for (const m of matches) {
      let name = `${m.rule.name}-${m.pid}`;
      for (let n = 2; this.entries.has(name) || this.deps.isHandlerName(name); n++)
        name = `${m.rule.name}-${m.pid}-${n}`;
      this.attach(m.pid, name, { source: 'discover', rule: m.rule }).then(
        () => undefined,
        (err: unknown) =>
          this.log.warn('discovered process not attached', { pid: m.pid, err: errorMessage(err) }),
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

  /** Memory limits of observed processes are watched, not enforced: warn once per crossing. */
  noteUsage(usage: ReadonlyMap<number, TreeUsage>): void {
    for (const entry of this.entries.values()) {
      const limit = entry.rec.limits?.memory_bytes;
      const u = usage.get(entry.rec.pid);
      if (limit === undefined || !u) continue;
      const over = u.memory_bytes > limit;
      if (over && !entry.overMemory) {
        this.event(
          entry,
          'OVER_LIMIT',
          `OVER_LIMIT memory ${formatBytes(u.memory_bytes)} > ${formatBytes(limit)} (observed: not enforced)`,
        );
        this.log.warn('observed process over its memory limit (not enforced)', {
          instance: entry.rec.name,
          pid: entry.rec.pid,
          memory_bytes: u.memory_bytes,
          limit,
        });
      }
      entry.overMemory = over;
    }
  }

  statuses(): InstanceStatus[] {
    return [...this.entries.values()].map((e) => this.statusOf(e));
  }

  status(name: string): InstanceStatus | null {
    const e = this.entries.get(name);
    return e ? this.statusOf(e) : null;
  }

  private statusOf(e: Entry): InstanceStatus {
    return {
      handler: e.rec.name,
      index: 0,
      instance: e.rec.name,
      state: e.state,
      pid: e.rec.pid,
      pgid: e.rec.pgid,
      restarts: 0,
      mode: 'observed',
      last_exit: null,
      started_at: e.startedAt,
      spec_hash: '',
      events: [...e.events],
      ...NOT_A_HANDLER,
    };
  }

  private newEntry(rec: ObservedRecord): Entry {
    return {
      rec,
      state: 'stopped',
      events: [],
      startedAt: processStartMs(rec.start_time),
      overMemory: false,
    };
  }

  private alive(rec: ObservedRecord): boolean {
    const st = readProcStat(rec.pid);
    return !!st && st.state !== 'Z' && st.state !== 'X' && st.startTime === rec.start_time;
  }

  private applyCpuLimit(entry: Entry, st: ProcStat): void {
    const cpu = entry.rec.limits?.cpu_percent;
    if (cpu === undefined) return;
    const cg = this.deps.cgroups;
    const origin = cg.currentProcsFile(st.pid, 'cpu');
    const group = cg.prepare(`observed:${entry.rec.name}`, { cpu_percent: cpu }, 'cpu');
    if (!group || !origin) return;
    if (cg.join(group, st.pid)) {
      entry.rec.cgroup_origin = origin;
      this.event(entry, 'LIMITS', `LIMITS cpu ${cpu}% through a cgroup (moved by PID, no signal)`);
    }
  }

  /** Reports the end once (state `exited` + event) and forgets the process. */
  private drop(entry: Entry, message: string): void {
    this.log.info('observed process gone', { instance: entry.rec.name, pid: entry.rec.pid, why: message });
    if (entry.state === 'running') this.transition(entry, 'exited', 'GONE', message);
    else this.event(entry, 'GONE', message);
    this.entries.delete(entry.rec.name);
  }

  private transition(entry: Entry, to: InstanceState, type: string, message: string): void {
    const from = entry.state;
    entry.state = to;
    const at = this.deps.clock.now();
    this.log.info('state', { instance: entry.rec.name, from, to, event: message, pid: entry.rec.pid });
    this.event(entry, type, message);
    this.deps.onState({ handler: entry.rec.name, from, to, at });
  }

  private event(entry: Entry, type: string, message: string): void {
    const ev = { at: this.deps.clock.now(), type, message };
    appendEvent(entry.events, ev);
    this.deps.onEvent(entry.rec.name, ev);
  }

  private toState(): ObservedState {
    const processes: Record<string, ObservedRecord> = {};
    for (const [name, e] of this.entries) processes[name] = e.rec;
    return { processes, ignored: [...this.ignored] };
  }

  private save(): Promise<void> {
    const snapshot = this.toState();
    return this.deps.store.update((d) => {
      d.observed = snapshot;
    });
  }

  private persistInBackground(): void {
    this.save().catch((err: unknown) => this.log.error('persist failed', { err: errorMessage(err) }));
  }
}

let bootMs: number | null = null;
/** Epoch ms of a process start (stat field 22 in USER_HZ=100 ticks after boot). */
export function processStartMs(startTicks: string): number | null {
  if (bootMs === null) {
    try {
      const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
      bootMs = m ? Number(m[1]) * 1000 : 0;
    } catch {
      bootMs = 0;
    }
  }
  const ticks = Number(startTicks);
  return bootMs && Number.isFinite(ticks) ? bootMs + ticks * 10 : null;
}
