/**
 * One supervised instance, driven: start, stop (with escalation, `instance-stop.ts`) and restart, its
 * process's start window and exits under the restart policy, re-attaching after an agent restart
 * (`instance-restore.ts`) and reacting to health verdicts (`instance-health.ts`). Its state, history and
 * reports are `InstanceCore` (instance-core.ts); every state change goes through its `transition`.
 */
import { formatDuration } from '../../shared/durations.js';
import { errorMessage, StateError } from '../../shared/errors.js';
import type { HandlerSpec } from '../../shared/spec.js';
import type { ExitStatus, Handle } from '../process/backend.js';
import { prepareLaunch } from './launch.js';
import type { ProbeContext } from '../health/probe.js';
import { readinessDeadlineMs, type HealthCounts } from '../health/checks.js';
import { InstanceCore } from './core.js';
import { instanceExitFile, instanceLogFile } from './paths.js';
import { planRestore } from './restore.js';
import type { InstanceStatus } from './status.js';
import { stopGroup } from './stop.js';
import { adoptedRecord } from '../supervisor/stray-shims.js';
import type { InstanceState } from './lifecycle.js';
import { decideRestart, describeExit, type RestartDecision } from './restart-policy.js';
import type { InstanceRecord } from '../supervisor/state-store.js';

export type { InstanceDeps } from './core.js';
export type { InstanceStatus, StateChange } from './status.js';

const ACTIVE: ReadonlySet<InstanceState> = new Set(['starting', 'running']);

export class Instance extends InstanceCore {
  private spawning: Promise<void> | null = null;

  /**
   * Re-attaches to a persisted record: adopt a verified process, account for one that exited, never signal
   * the rest. `stray`: a live shim of this instance that the dead agent spawned but never recorded
   * (stray-shims.ts decided it is to be adopted instead of the record's handle).
   */
  restore(persisted: InstanceRecord, stray: Handle | null = null): void {
    const rec = stray ? adoptedRecord(this.name, persisted, stray, this.deps.dataDir) : persisted;
    if (stray)
      this.note(
        'ADOPTED_STRAY',
        `ADOPTED_STRAY pid=${stray.pid} spawned by an agent that died before recording it`,
      );
    for (const h of rec.draining ?? [])
      this.leftovers.drain(h, this.spec.stop_signal, this.spec.stop_timeout_ms);
    this.desired = rec.desired;
    this.restarts = rec.restarts;
    this.history = { failedStarts: rec.failed_starts };
    this.lastExit = rec.last_exit;
    this.startedAt = rec.started_at;
    const recovered = rec.handle && this.deps.backend.recover(rec.handle);
    const plan = planRestore(rec, recovered, this.spec, this.deps.clock.now());
    switch (plan.kind) {
      case 'refuse':
        this.unverified = plan.handle;
        return this.transition('unknown', 'RESTORE_FAILED', plan.message);
      case 'gone':
        this.handle = plan.handle;
        this.gen++;
        this.note('RESTORED', plan.message);
        return this.onGone(plan.exit);
      case 'adopt':
        this.handle = plan.handle;
        this.gen++;
        this.transition(plan.to, 'ADOPTED', plan.message);
        this.startHealth(this.gen, plan.readyWithinMs);
        if (plan.to === 'starting') this.armStartTimer(this.gen, plan.startLeftMs);
        if (plan.stop) this.background(this.stop());
        return;
      case 'settle':
        this.unverified = rec.unverified_handle;
        return this.transition(plan.to, 'RESTORED', plan.message);
      case 'resume': // The agent died between an exit and its restart: the policy decides again.
        this.transition('exited', 'RESTORED', plan.message);
        this.history = plan.decision.history;
        return this.applyDecision(plan.decision);
      case 'rest':
        this.unverified = rec.unverified_handle;
        if (plan.start) this.background(this.start());
    }
  }

  /**
   * Starts the handler; resolves once it left `starting` (running, backoff, exited or fatal) or, with a
   * health check, once its readiness deadline passed unhealthy (then it is still `starting`: not ready).
   * Lifecycle operations run one at a time (`exclusive`); the wait for `starting` to end is outside.
   */
  async start(): Promise<InstanceStatus> {
    await this.exclusive(() => this.startNow());
    return this.started();
  }

  /** Stops the handler (stop_signal to its group, SIGKILL after stop_timeout); resolves when it is stopped. */
  async stop(): Promise<InstanceStatus> {
    await this.exclusive(() => this.stopNow());
    return this.status();
  }

  /** Stop then start as one operation: concurrent restarts run one after the other. */
  async restart(): Promise<InstanceStatus> {
    await this.exclusive(() => this.restartNow());
    return this.started();
  }

  /** One operation: stopped, put on `spec`, persisted, and restarted when `restart`. */
  async respec(spec: HandlerSpec, hash: string, restart: boolean): Promise<InstanceStatus> {
    await this.exclusive(async () => {
      await this.stopNow();
      [this.spec, this.specHash] = [spec, hash];
      await this.deps.persist(this);
      if (restart) await this.restartNow();
    });
    return restart ? this.started() : this.status();
  }

  private async restartNow(): Promise<void> {
    await this.stopNow();
    this.restarts++;
    await this.startNow();
  }

  private async started(): Promise<InstanceStatus> {
    await this.waitUntil(() => this.state !== 'starting' || this.health.notReady);
    return this.status();
  }

  /** The start (and below, the stop) itself; only inside `exclusive`. */
  private async startNow(): Promise<void> {
    this.desired = 'running';
    await this.spawning;
    if (this.state === 'stopping') await this.waitUntil(() => this.state === 'stopped');
    if (!ACTIVE.has(this.state)) {
      this.history = { failedStarts: 0 };
      this.unverified = null;
      await this.spawnNow(false);
    }
  }

  private async stopNow(): Promise<void> {
    this.desired = 'stopped';
    await this.spawning;
    this.cancelTimer();
    if (ACTIVE.has(this.state) && this.handle) {
      await this.stopProcess(this.handle);
    } else if (this.state === 'stopping') {
      await this.waitUntil(() => this.state === 'stopped');
    } else if (this.state !== 'stopped') {
      this.unverified = null;
      this.transition('stopped', 'STOPPED', 'STOPPED');
    }
    // Stopped means nothing of the handler is left: also what earlier processes left in their groups.
    await this.leftovers.idle();
  }

  /** Called by the supervisor's poll and by own-child exit events: notices that the process is gone. */
  checkGone(shimExit?: ExitStatus): void {
    const h = this.handle;
    if (!h || this.disposed || this.spawning || this.state === 'stopping') return;
    if (this.deps.backend.isRunning(h)) return;
    this.onGone(this.deps.backend.readExit(h) ?? shimExit ?? { code: null, signal: null });
  }

  /** Stops timers and callbacks without touching processes (agent shutdown). */
  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.health.stop();
  }

  private async spawnNow(isRestart: boolean): Promise<void> {
    this.cancelTimer();
    const gen = ++this.gen;
    const { dataDir } = this.deps;
    const now = this.deps.clock.now();
    let done!: () => void;
    this.spawning = new Promise((r) => (done = r));
    try {
      // Only the handler's own environment, as its user: a refused user/group is a SPAWN_FAILED.
      const launch = prepareLaunch(this.spec, this.index, this.deps.launch);
      const sp = this.deps.backend.spawn({
        name: this.name,
        command: [...launch.prefix, ...this.spec.command],
        cwd: this.spec.cwd,
        env: launch.env,
        stdoutLog: instanceLogFile(dataDir, this.name, 'stdout'),
        stderrLog: instanceLogFile(dataDir, this.name, 'stderr'),
        exitFile: instanceExitFile(dataDir, this.name),
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
      if (this.state === 'fatal') this.note('SPAWN_FAILED', msg);
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
      if (gen !== this.gen || this.state !== 'starting' || this.disposed) return;
      if (this.handle && !this.deps.backend.isRunning(this.handle)) return this.checkGone();
      // With a health check, `running` waits for the first healthy verdict (onHealthChange).
      if (!this.health.mayRun(this.spec)) return;
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
    this.health.stop();
    // Children the main left in its group are stopped, never carried into the next process's lifetime.
    this.leftovers.drain(h, this.spec.stop_signal, this.spec.stop_timeout_ms);
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
    if (d.action === 'none' || this.state === 'running' || !d.failedStart) {
      this.transition('exited', 'EXITED', exitMsg);
    } else {
      this.note('EXITED', exitMsg);
    }
    this.applyDecision(d);
  }

  /** Carries out the restart policy's decision after an exit (the instance is `exited`, or still `starting`). */
  private applyDecision(d: RestartDecision): void {
    if (d.action === 'fatal') return this.transition('fatal', 'FATAL', `FATAL ${d.reason}`);
    if (d.action === 'none' || this.desired === 'stopped') return;
    if (d.delayMs > 0) {
      this.transition('backoff', 'BACKOFF', `BACKOFF ${formatDuration(d.delayMs)}`);
      const gen = this.gen;
      this.timer = this.deps.clock.after(d.delayMs, () => {
        if (gen === this.gen && this.state === 'backoff' && !this.disposed)
          this.background(this.spawnNow(true));
      });
    } else {
      this.background(this.spawnNow(true));
    }
  }

  /** `stopping` while the group is stopped with escalation (instance-stop.ts); `stopped` once it is empty. */
  private async stopProcess(h: Handle): Promise<void> {
    const { backend, clock } = this.deps;
    const signal = this.spec.stop_signal;
    this.health.stop();
    this.transition('stopping', 'STOPPING', `STOPPING ${signal} to group ${h.pgid}`);
    const res = await stopGroup(h, {
      backend,
      clock,
      signal,
      timeoutMs: this.spec.stop_timeout_ms,
      pollMs: this.deps.stopPollMs,
      cancelled: () => this.disposed,
      note: (type, message) => this.note(type, message),
    });
    if (res.kind === 'cancelled') return;
    this.handle = null;
    this.gen++;
    if (res.kind === 'refused' || res.kind === 'stuck') {
      // Never signalled again: kept as unverified until an admin decides (like a failed restore).
      this.unverified = h;
      this.transition('unknown', 'STOP_FAILED', `STOP_FAILED ${res.reason}; not signalled further`);
      await this.saved();
      throw new StateError(`cannot stop ${this.name}: ${res.reason}; it is unknown now`);
    }
    this.lastExit = { ...res.exit, at: clock.now() };
    this.note('EXITED', `EXITED ${describeExit(res.exit)}`);
    // stop() resolves once `stopped` is on disk, so a following start pays for one write only.
    this.transition('stopped', 'STOPPED', 'STOPPED');
    await this.saved();
  }

  /** Starts the health check of process generation `gen` (no-op without one); `readyWithinMs` ≤ 0: no grace. */
  private startHealth(gen: number, readyWithinMs: number): void {
    this.health.start(this.spec, this.probeContext(), readyWithinMs, (next, prev, deadline) => {
      if (gen === this.gen && !this.disposed) this.onHealthChange(next, prev, deadline);
    });
  }

  /** An exec check runs like the handler: its environment, its user (or fails with why it cannot). */
  private probeContext(): ProbeContext {
    try {
      const { env, prefix } = prepareLaunch(this.spec, this.index, this.deps.launch);
      return { cwd: this.spec.cwd, env, prefix };
    } catch (err) {
      return { cwd: this.spec.cwd, env: {}, refused: errorMessage(err) };
    }
  }

  /** Applies what a verdict change means (instance-health.ts): maybe `running`, events, a restart. */
  private onHealthChange(next: HealthCounts, prev: HealthCounts, deadline: boolean): void {
    const h = this.spec.health;
    if (!h) return;
    const out = this.health.accept(h, { next, prev, deadline }, this.state, this.desired);
    if (out.running) this.transition('running', 'RUNNING', out.running);
    for (const ev of out.events) this.note(ev.type, ev.message);
    if (out.restart) this.background(this.restart());
    this.deps.onHealth?.(this.name);
    this.wakeWaiters();
  }
}
