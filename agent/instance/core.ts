/**
 * What every part of a supervised instance shares: its identity, process handle and counters, its
 * lifecycle state — changed only through `transition`, which checks the table, logs `{from, to}`, records
 * the event, persists and wakes waiters — the bounded event history, and the record and status it reports.
 * How an instance is driven (start, stop, exits, restore, health) is `Instance` in instance.ts.
 */
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { instanceKey, type HandlerSpec } from '../../shared/spec.js';
import type { Handle, ProcessBackend } from '../process/backend.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { LaunchContext } from './launch.js';
import { runProbe, type Probe } from '../health/probe.js';
import { InstanceHealth } from './health-gate.js';
import { Leftovers } from './leftovers.js';
import type { InstanceStatus, StateChange } from './status.js';
import { appendEvent, assertTransition, type InstanceEvent, type InstanceState } from './lifecycle.js';
import { temperatureOf } from '../on-demand/policy.js';
import type { RestartHistory } from './restart-policy.js';
import type { InstanceRecord, LastExit } from '../supervisor/state-store.js';

export interface InstanceDeps {
  backend: ProcessBackend;
  clock: Clock;
  logger: Logger;
  random: () => number;
  dataDir: string;
  /** The agent's id, environment and uid a handler is launched from (handler-launch.ts). */
  launch: LaunchContext;
  /** Polling interval while waiting for a stopped process group to empty. */
  stopPollMs: number;
  /** Durably writes this instance's record. */
  persist(inst: InstanceCore): Promise<void>;
  onState(change: StateChange): void;
  onEvent(handler: string, ev: InstanceEvent): void;
  /** Called when the health verdict changes (status push). */
  onHealth?(handler: string): void;
  /** The health probe (tests may inject one). Default: real tcp/http/exec probes. */
  probe?: Probe;
}

export abstract class InstanceCore {
  /** Private to this class: only `transition` changes it. */
  private current: InstanceState = 'stopped';
  handle: Handle | null = null;
  /** True when this process is our own child (exits arrive as events); adopted ones are polled. */
  owned = false;
  unverified: Handle | null = null;
  desired: 'running' | 'stopped' = 'stopped';
  restarts = 0;
  history: RestartHistory = { failedStarts: 0 };
  lastExit: LastExit | null = null;
  startedAt: number | null = null;
  readonly events: InstanceEvent[] = [];
  /** Bumped for every spawned process; callbacks of an older process are ignored. */
  protected gen = 0;
  protected timer: TimerHandle | null = null;
  protected disposed = false;
  /** The write of the latest transition (never rejects). */
  private lastSave: Promise<void> = Promise.resolve();
  private waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  /** The tail of the lifecycle operations queued so far (never rejects); see `exclusive`. */
  private opsTail: Promise<unknown> = Promise.resolve();
  protected readonly health: InstanceHealth;
  protected readonly log: Logger;
  /** Groups left behind by exited processes, being stopped. */
  protected readonly leftovers: Leftovers;

  constructor(
    public spec: HandlerSpec,
    public specHash: string,
    protected readonly deps: InstanceDeps,
    /** Replica index: several instances of one handler may run on an agent (`count`). */
    readonly index = 0,
  ) {
    this.log = deps.logger.with({ instance: this.name });
    this.health = new InstanceHealth({ clock: deps.clock, probe: deps.probe ?? runProbe, log: this.log });
    this.leftovers = new Leftovers({
      backend: deps.backend,
      clock: deps.clock,
      log: this.log,
      pollMs: deps.stopPollMs,
      cancelled: () => this.disposed,
      note: (type, message) => this.note(type, message),
      persist: () => this.save(),
    });
  }

  /** The instance key: the handler name, or `name#i` for replica i > 0. Names logs and exit files. */
  get name(): string {
    return instanceKey(this.spec.name, this.index);
  }
  get state(): InstanceState {
    return this.current;
  }

  /** The one place the state changes: checks the table, logs `{from, to}`, records the event, persists. */
  protected transition(to: InstanceState, type: string, message: string): void {
    const from = this.current;
    assertTransition(this.name, from, to);
    this.current = to;
    const at = this.deps.clock.now();
    this.log.info('state', { from, to, event: message, pid: this.handle?.pid });
    this.addEvent({ at, type, message });
    this.deps.onState({ handler: this.name, from, to, at });
    this.lastSave = this.save();
    this.wakeWaiters();
  }

  /**
   * Runs a lifecycle operation (start, stop, restart, re-spec) after every one queued before it, so
   * concurrent callers never interleave (no duplicate spawn). A failed step does not block the next.
   * Steps must not await another `exclusive` operation (that would deadlock); internal restarts of the
   * restart policy do not go through here.
   */
  protected exclusive<T>(step: () => Promise<T>): Promise<T> {
    const run = this.opsTail.then(step);
    this.opsTail = run.catch(() => {});
    return run;
  }

  /** Resolves once the latest transition is on disk. */
  protected saved(): Promise<void> {
    return this.lastSave;
  }

  /** Resolves once `pred` holds; checked again after every transition and `wakeWaiters()`. */
  protected waitUntil(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  protected wakeWaiters(): void {
    for (const w of this.waiters.filter((x) => x.pred())) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  /** Records an event without a state change (e.g. `IDLE` before an on-demand stop). */
  note(type: string, message: string): void {
    this.addEvent({ at: this.deps.clock.now(), type, message });
  }

  private addEvent(ev: InstanceEvent): void {
    appendEvent(this.events, ev);
    this.deps.onEvent(this.name, ev);
  }

  /** Persists the record; the promise never rejects (a failure is logged). */
  private save(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    return this.deps.persist(this).catch((err: unknown) => {
      this.log.error('persist failed', { err });
    });
  }

  /** Runs a lifecycle step nobody awaits; a failure is logged and recorded, never lost. */
  protected background(p: Promise<unknown>): void {
    p.catch((err: unknown) => {
      this.log.error('lifecycle step failed', { err });
      this.note('ERROR', `ERROR ${errorMessage(err)}`);
    });
  }

  protected cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  toRecord(): InstanceRecord {
    return {
      spec_hash: this.specHash,
      desired: this.desired,
      state: this.current,
      handle: this.handle,
      unverified_handle: this.unverified,
      ...(this.leftovers.handles().length > 0 ? { draining: this.leftovers.handles() } : {}),
      restarts: this.restarts,
      failed_starts: this.history.failedStarts,
      last_exit: this.lastExit,
      started_at: this.startedAt,
    };
  }

  status(): InstanceStatus {
    return {
      handler: this.spec.name,
      index: this.index,
      instance: this.name,
      state: this.current,
      pid: this.handle?.pid ?? null,
      pgid: this.handle?.pgid ?? null,
      restarts: this.restarts,
      mode: this.spec.mode,
      last_exit: this.lastExit,
      started_at: this.startedAt,
      spec_hash: this.specHash,
      events: [...this.events],
      temperature: temperatureOf(this.spec.mode, this.current),
      ...this.health.report(this.spec),
    };
  }
}
