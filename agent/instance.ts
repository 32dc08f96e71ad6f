/**
 * One supervised instance: its lifecycle state (changed only through `transition`), its handle, the
 * restart policy applied to its exits, and stop with escalation to SIGKILL. Timers come from the clock.
 */
import path from 'node:path';
import { formatDuration } from '../shared/durations.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { instanceKey, type HandlerSpec } from '../shared/spec.js';
import type { ExitStatus, Handle, ProcessBackend } from './backend.js';
import type { Clock, TimerHandle } from './clock.js';
import {
  INITIAL_HEALTH,
  describeCheck,
  readinessDeadlineMs,
  type HealthCounts,
  type HealthStatus,
} from './health.js';
import { HealthMonitor } from './health-monitor.js';
import { runProbe, type Probe } from './health-probe.js';
import { appendEvent, assertTransition, type InstanceEvent, type InstanceState } from './lifecycle.js';
import { temperatureOf, type Temperature } from './on-demand-policy.js';
import { decideRestart, describeExit, type RestartHistory } from './restart-policy.js';
import type { InstanceRecord, LastExit } from './state-store.js';

export interface StateChange {
  handler: string;
  from: InstanceState;
  to: InstanceState;
  at: number;
}

export interface InstanceStatus {
  handler: string;
  /** Replica index (0 for the first instance) and the instance key (`web`, `web#1`). */
  index: number;
  instance: string;
  state: InstanceState;
  pid: number | null;
  pgid: number | null;
  restarts: number;
  /** `observed` for processes the agent did not start (attached or discovered). */
  mode: HandlerSpec['mode'] | 'observed';
  last_exit: LastExit | null;
  started_at: number | null;
  spec_hash: string;
  events: InstanceEvent[];
  /** On-demand temperature (cold | warming | hot | cooling); empty for always-on. */
  temperature: Temperature | '';
  /** none (no check) | unknown | healthy | unhealthy, and the last failure reason. */
  health: HealthStatus;
  health_reason: string;
}

export interface InstanceDeps {
  backend: ProcessBackend;
  clock: Clock;
  logger: Logger;
  random: () => number;
  dataDir: string;
  /** Polling interval while waiting for a stopped process group to empty. */
  stopPollMs: number;
  /** Durably writes this instance's record. */
  persist(inst: Instance): Promise<void>;
  onState(change: StateChange): void;
  onEvent(handler: string, ev: InstanceEvent): void;
  /** Called when the health verdict changes (status push). */
  onHealth?(handler: string): void;
  /** The health probe (tests may inject one). Default: real tcp/http/exec probes. */
  probe?: Probe;
}

const ACTIVE: ReadonlySet<InstanceState> = new Set(['starting', 'running']);

export class Instance {
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
  private gen = 0;
  private timer: TimerHandle | null = null;
  private spawning: Promise<void> | null = null;
  private disposed = false;
  /** The write of the latest transition (never rejects). */
  private lastSave: Promise<void> = Promise.resolve();
  private waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  private monitor: HealthMonitor | null = null;
  private healthCounts: HealthCounts = INITIAL_HEALTH;
  /** The start window (start_seconds) elapsed while a health check had not passed yet. */
  private awaitingHealth = false;
  /** The readiness deadline passed without a healthy verdict: `start()` settles (still `starting`). */
  private notReady = false;
  private readonly log: Logger;

  constructor(
    public spec: HandlerSpec,
    public specHash: string,
    private readonly deps: InstanceDeps,
    /** Replica index: several instances of one handler may run on an agent (`count`). */
    readonly index = 0,
  ) {
    this.log = deps.logger.with({ instance: this.name });
  }

  /** The instance key: the handler name, or `name#i` for replica i > 0. Names logs and exit files. */
  get name(): string {
    return instanceKey(this.spec.name, this.index);
  }
  get state(): InstanceState {
    return this.current;
  }

  /** The one place the state changes: checks the table, logs `{from, to}`, records the event, persists. */
  private transition(to: InstanceState, type: string, message: string): void {
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

  private wakeWaiters(): void {
    for (const w of this.waiters.filter((x) => x.pred())) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  /** Records an event without a state change (e.g. `IDLE` before an on-demand stop). */
  note(type: string, message: string): void {
    this.record(type, message);
  }

  private addEvent(ev: InstanceEvent): void {
    appendEvent(this.events, ev);
    this.deps.onEvent(this.name, ev);
  }

  private record(type: string, message: string): void {
    this.addEvent({ at: this.deps.clock.now(), type, message });
  }

  /** Persists the record; the promise never rejects (a failure is logged). */
  private save(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    return this.deps.persist(this).catch((err: unknown) => {
      this.log.error('persist failed', { err: errorMessage(err) });
    });
  }

  /** Runs a lifecycle step nobody awaits; a failure is logged and recorded, never lost. */
  private background(p: Promise<unknown>): void {
    p.catch((err: unknown) => {
      this.log.error('lifecycle step failed', { err: errorMessage(err) });
      this.record('ERROR', `ERROR ${errorMessage(err)}`);
    });
  }

  private waitState(pred: (s: InstanceState) => boolean): Promise<void> {
    return this.waitUntil(() => pred(this.current));
  }

  private waitUntil(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  private cancelTimer(): void {
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
      health: this.spec.health ? this.healthCounts.status : 'none',
      health_reason: this.spec.health ? this.healthCounts.reason : '',
    };
  }

  /** Re-attaches to a persisted record: adopt a verified process, account for one that exited, never signal the rest. */
  restore(rec: InstanceRecord): void {
    this.desired = rec.desired;
    this.restarts = rec.restarts;
    this.history = { failedStarts: rec.failed_starts };
    this.lastExit = rec.last_exit;
    this.startedAt = rec.started_at;
    const h = rec.handle;
    if (h) {
      const r = this.deps.backend.recover(h);
      if (r.kind === 'mismatch') {
        this.unverified = h;
        this.transition(
          'unknown',
          'RESTORE_FAILED',
          `RESTORE_FAILED ${r.reason}; not adopted, never signalled`,
        );
        return;
      }
      this.handle = h;
      this.gen++;
      if (r.kind === 'gone') {
        this.record('RESTORED', `RESTORED pid=${h.pid} exited while the agent was down`);
        this.onGone(r.exit ?? { code: null, signal: null });
        return;
      }
      const remaining = h.spawned_at + this.spec.start_seconds * 1000 - this.deps.clock.now();
      if (rec.state === 'starting' && remaining > 0) {
        this.transition('starting', 'ADOPTED', `ADOPTED pid=${h.pid} (still starting)`);
        this.startHealth(this.gen, h.spawned_at + readinessDeadlineMs(this.spec) - this.deps.clock.now());
        this.armStartTimer(this.gen, remaining);
      } else {
        this.transition('running', 'ADOPTED', `ADOPTED pid=${h.pid}`);
        this.startHealth(this.gen, 0);
      }
      if (rec.state === 'stopping' || rec.desired === 'stopped') this.background(this.stop());
      return;
    }
    this.unverified = rec.unverified_handle;
    switch (rec.state) {
      case 'fatal':
        this.transition('fatal', 'RESTORED', 'RESTORED fatal');
        return;
      case 'exited':
        this.transition('exited', 'RESTORED', 'RESTORED exited');
        return;
      case 'unknown':
        this.transition('unknown', 'RESTORED', 'RESTORED unknown: the recorded process was never verified');
        return;
      default:
        // Stopped, or the agent died between an exit and the restart it had decided.
        if (rec.desired === 'running' && rec.state !== 'stopped') this.background(this.start());
    }
  }

  /**
   * Starts the handler; resolves once it left `starting` (running, backoff, exited or fatal) or, with a
   * health check, once its readiness deadline passed unhealthy (then it is still `starting`: not ready).
   */
  async start(): Promise<InstanceStatus> {
    this.desired = 'running';
    await this.spawning;
    if (this.current === 'stopping') await this.waitState((s) => s === 'stopped');
    if (!ACTIVE.has(this.current)) {
      this.history = { failedStarts: 0 };
      this.unverified = null;
      await this.spawnNow(false);
    }
    await this.waitUntil(() => this.current !== 'starting' || this.notReady);
    return this.status();
  }

  /** Stops the handler (stop_signal to its group, SIGKILL after stop_timeout); resolves when it is stopped. */
  async stop(): Promise<InstanceStatus> {
    this.desired = 'stopped';
    await this.spawning;
    this.cancelTimer();
    if (ACTIVE.has(this.current) && this.handle) {
      await this.stopProcess(this.handle);
    } else if (this.current === 'stopping') {
      await this.waitState((s) => s === 'stopped');
    } else if (this.current !== 'stopped') {
      this.unverified = null;
      this.transition('stopped', 'STOPPED', 'STOPPED');
    }
    return this.status();
  }

  async restart(): Promise<InstanceStatus> {
    await this.stop();
    this.restarts++;
    return this.start();
  }

  /** Called by the supervisor's poll and by own-child exit events: notices that the process is gone. */
  checkGone(shimExit?: ExitStatus): void {
    const h = this.handle;
    if (!h || this.disposed || this.spawning || this.current === 'stopping') return;
    if (this.deps.backend.isRunning(h)) return;
    this.onGone(this.deps.backend.readExit(h) ?? shimExit ?? { code: null, signal: null });
  }

  /** Stops timers and callbacks without touching processes (agent shutdown). */
  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.stopHealth();
  }

  private async spawnNow(isRestart: boolean): Promise<void> {
    this.cancelTimer();
    const gen = ++this.gen;
    const logs = path.join(this.deps.dataDir, 'logs', this.name);
    const now = this.deps.clock.now();
    let done!: () => void;
    this.spawning = new Promise((r) => (done = r));
    try {
      const sp = this.deps.backend.spawn({
        name: this.name,
        command: this.spec.command,
        cwd: this.spec.cwd,
        env: this.spec.env,
        stdoutLog: path.join(logs, 'stdout.log'),
        stderrLog: path.join(logs, 'stderr.log'),
        exitFile: path.join(this.deps.dataDir, 'run', `${this.name}.exit`),
        specHash: this.specHash,
        now,
      });
      this.handle = sp.handle;
      this.owned = true;
      this.startedAt = now;
      if (isRestart) this.restarts++;
      sp.onExit((st) => {
        if (gen === this.gen) this.checkGone(st);
      });
      // The handle is on disk before anyone hears of the start.
      await this.deps.persist(this);
    } catch (err) {
      this.spawning = null;
      done();
      this.handle = null;
      const msg = `SPAWN_FAILED ${errorMessage(err)}`;
      if (this.current === 'fatal') this.record('SPAWN_FAILED', msg);
      else this.transition('fatal', 'SPAWN_FAILED', msg);
      return;
    }
    this.spawning = null;
    done();
    if (gen !== this.gen || this.disposed) return;
    this.transition('starting', 'STARTED', `STARTED pid=${this.handle.pid}`);
    this.startHealth(gen, readinessDeadlineMs(this.spec));
    this.armStartTimer(gen, this.spec.start_seconds * 1000);
    // An exit during the persist was ignored above; look again now.
    this.checkGone();
  }

  private armStartTimer(gen: number, ms: number): void {
    const promote = (): void => {
      if (gen !== this.gen || this.current !== 'starting' || this.disposed) return;
      if (this.handle && !this.deps.backend.isRunning(this.handle)) return this.checkGone();
      // With a health check, `running` waits for the first healthy verdict (onHealthChange).
      if (this.spec.health && this.healthCounts.status !== 'healthy') {
        this.awaitingHealth = true;
        return;
      }
      this.transition('running', 'RUNNING', `RUNNING after ${formatDuration(ms)}`);
    };
    if (ms <= 0) promote();
    else this.timer = this.deps.clock.after(ms, promote);
  }

  /** The process is gone (not by our stop): record the exit and apply the restart policy. */
  private onGone(exit: ExitStatus): void {
    const h = this.handle;
    if (!h) return;
    this.handle = null;
    this.cancelTimer();
    this.stopHealth();
    const now = this.deps.clock.now();
    this.lastExit = { code: exit.code, signal: exit.signal, at: now };
    const exitMsg = `EXITED ${describeExit(exit)}`;
    const d = decideRestart(
      this.spec,
      this.history,
      { ...exit, spawnedAt: h.spawned_at },
      now,
      this.deps.random,
    );
    this.history = d.history;
    this.log.info('exit', { pid: h.pid, ...exit, action: d.action, reason: d.reason });
    if (d.action === 'none' || this.current === 'running' || !d.failedStart) {
      this.transition('exited', 'EXITED', exitMsg);
    } else {
      this.record('EXITED', exitMsg);
    }
    if (d.action === 'fatal') return this.transition('fatal', 'FATAL', `FATAL ${d.reason}`);
    if (d.action === 'none' || this.desired === 'stopped') return;
    if (d.delayMs > 0) {
      this.transition('backoff', 'BACKOFF', `BACKOFF ${formatDuration(d.delayMs)}`);
      const gen = this.gen;
      this.timer = this.deps.clock.after(d.delayMs, () => {
        if (gen === this.gen && this.current === 'backoff' && !this.disposed)
          this.background(this.spawnNow(true));
      });
    } else {
      this.background(this.spawnNow(true));
    }
  }

  private async stopProcess(h: Handle): Promise<void> {
    const { backend, clock } = this.deps;
    const sig = this.spec.stop_signal;
    this.stopHealth();
    this.transition('stopping', 'STOPPING', `STOPPING ${sig} to group ${h.pgid}`);
    backend.signalGroup(h, sig);
    const deadline = clock.now() + this.spec.stop_timeout_ms;
    let killed = false;
    while (!this.disposed && (backend.isRunning(h) || backend.groupAlive(h))) {
      if (!killed && clock.now() >= deadline) {
        killed = true;
        this.record(
          'KILLED',
          `KILLED SIGKILL to group ${h.pgid} after stop_timeout ${formatDuration(this.spec.stop_timeout_ms)}`,
        );
        backend.signalGroup(h, 'SIGKILL');
      }
      await new Promise<void>((r) => clock.after(this.deps.stopPollMs, r));
    }
    if (this.disposed) return;
    const exit = backend.readExit(h) ?? { code: null, signal: killed ? 'SIGKILL' : null };
    this.lastExit = { ...exit, at: clock.now() };
    this.handle = null;
    this.gen++;
    this.record('EXITED', `EXITED ${describeExit(exit)}`);
    // stop() resolves once `stopped` is on disk, so a following start pays for one write only.
    this.transition('stopped', 'STOPPED', 'STOPPED');
    await this.lastSave;
  }

  /** Starts the health check of process generation `gen` (no-op without one); `readyWithinMs` ≤ 0: no grace. */
  private startHealth(gen: number, readyWithinMs: number): void {
    this.stopHealth();
    this.awaitingHealth = false;
    this.notReady = false;
    const h = this.spec.health;
    if (!h) return;
    this.healthCounts = { ...INITIAL_HEALTH, reason: this.healthCounts.reason };
    const monitor = new HealthMonitor(
      h,
      { cwd: this.spec.cwd, env: this.spec.env },
      {
        clock: this.deps.clock,
        probe: this.deps.probe ?? runProbe,
        onChange: (next, prev, deadline) => {
          if (gen === this.gen && this.monitor === monitor && !this.disposed)
            this.onHealthChange(next, prev, deadline);
        },
      },
    );
    this.monitor = monitor;
    monitor.start(Math.max(0, readyWithinMs));
  }

  /** Stops probing (the process is stopping or gone); the verdict becomes unknown, the last reason stays. */
  private stopHealth(): void {
    if (!this.monitor) return;
    this.monitor.stop();
    this.monitor = null;
    this.healthCounts = { ...INITIAL_HEALTH, reason: this.healthCounts.reason };
  }

  private onHealthChange(next: HealthCounts, prev: HealthCounts, deadline: boolean): void {
    const h = this.spec.health;
    if (!h) return;
    this.healthCounts = next;
    this.log.info('health', { from: prev.status, to: next.status, reason: next.reason || undefined });
    if (next.status === 'healthy') {
      this.notReady = false;
      if (this.current === 'starting' && this.awaitingHealth) {
        this.awaitingHealth = false;
        this.transition('running', 'RUNNING', `RUNNING healthy (${describeCheck(h)})`);
      } else if (prev.status === 'unhealthy') {
        this.record('HEALTHY', `HEALTHY ${describeCheck(h)}`);
      }
    } else if (next.status === 'unhealthy') {
      if (this.current === 'starting' && deadline) {
        this.notReady = true;
        this.record('NOT_READY', `NOT_READY not healthy by its deadline: ${next.reason}`);
      } else if (this.current === 'running' && prev.status !== 'unhealthy') {
        this.record('UNHEALTHY', `UNHEALTHY ${next.reason}`);
        if (h.restart_on_unhealthy && this.desired === 'running') {
          this.record('RESTARTING', 'RESTARTING restart_on_unhealthy');
          this.background(this.restart());
        }
      }
    }
    this.deps.onHealth?.(this.name);
    this.wakeWaiters();
  }
}
