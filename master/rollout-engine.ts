/**
 * The rollout engine (DESIGN §5): creates rollouts, drives each active one batch by batch (one loop per
 * rollout, decisions from rollout-plan.ts), applies `on_failure`, and answers pause/resume/abort. Every
 * change is persisted through the RolloutStore before it is acted on, so a master restart finds each
 * rollout as it was (in-flight ones come back paused; see rollout-store.ts).
 */
import type { SpecVersion } from './registry.js';
import { NotFoundError, StateError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { UpdateSpec } from '../shared/spec.js';
import { createRollout } from './rollout-create.js';
import { failurePolicy, nextAction } from './rollout-plan.js';
import { runStep, type CancelToken, type RolloutPort, type StepContext } from './rollout-step.js';
import type { RolloutStore } from './rollout-store.js';
import {
  ACTIVE_STATES,
  TERMINAL_STATES,
  setRolloutState,
  type RolloutInstanceRecord,
  type RolloutRecord,
  type RolloutState,
} from './rollout-types.js';

export interface RolloutEngineOptions {
  /** How often a step re-checks its instance (default 50 ms). */
  pollMs?: number;
  now?: () => number;
}

export class RolloutEngine {
  private readonly loops = new Map<string, CancelToken>();
  private readonly now: () => number;
  private readonly pollMs: number;
  private closed = false;

  constructor(
    private readonly port: RolloutPort,
    private readonly store: RolloutStore,
    private readonly log: Logger,
    opts: RolloutEngineOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.pollMs = opts.pollMs ?? 50;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** After a master (re)start: in-flight rollouts become paused (interrupted); nothing resumes by itself. */
  async restore(): Promise<void> {
    const paused = await this.store.recover(this.iso());
    if (paused.length > 0) this.log.warn('rollouts interrupted by a master restart are paused', { paused });
  }

  get(id: string): RolloutRecord {
    const r = this.store.get(id);
    if (!r) throw new NotFoundError(`unknown rollout ${JSON.stringify(id)} (see gov rollout status)`);
    return r;
  }

  list(handler?: string): RolloutRecord[] {
    return this.store.list(handler);
  }

  /**
   * Handlers whose instances APPLY must leave alone: an update rollout is active, or the newest update
   * ended without converging (aborted/failed) and no later rollout of the handler succeeded.
   */
  heldHandlers(): string[] {
    const held = new Set<string>();
    const decided = new Set<string>();
    for (const r of this.store.list()) {
      if (decided.has(r.handler)) continue;
      if (r.state === 'succeeded' || r.state === 'rolled_back') decided.add(r.handler);
      else if (r.kind === 'update') {
        held.add(r.handler);
        decided.add(r.handler);
      }
    }
    return [...held];
  }

  /** Throws when a rollout of `handler` is still active. */
  assertIdle(handler: string): void {
    const active = this.store.list(handler).find((r) => ACTIVE_STATES.has(r.state));
    if (active) {
      throw new StateError(
        `handler ${handler} has rollout ${active.id} ${active.state}; wait for it, or ` +
          `gov rollout ${active.state === 'paused' ? 'resume|abort' : 'pause|abort'} ${active.id}`,
      );
    }
  }

  /** Creates (and persists) a rollout; `run()` starts it. */
  async create(input: {
    handler: string;
    kind: 'restart' | 'update';
    from: SpecVersion;
    to: SpecVersion;
    overrides?: Partial<UpdateSpec>;
    issuedBy: string;
  }): Promise<RolloutRecord> {
    this.assertIdle(input.handler);
    const r = createRollout({
      handler: input.handler,
      kind: input.kind,
      from_version: input.from.version,
      to_version: input.to.version,
      spec: input.to.spec,
      ...(input.overrides ? { overrides: input.overrides } : {}),
      issuedBy: input.issuedBy,
      instances: this.port.instances(input.handler),
      agents: this.port.agentsFor(input.to.spec),
      now: this.now(),
    });
    if (r.instances.length === 0) {
      if (input.kind === 'restart')
        throw new StateError(`handler ${input.handler} has no instances to restart`);
      return r; // an update with nothing to move: not kept
    }
    await this.store.save(r);
    this.log.info('rollout created', {
      rollout: r.id,
      handler: r.handler,
      kind: r.kind,
      instances: r.instances.length,
      batches: r.batches.length,
    });
    return r;
  }

  /** Starts driving a pending (or resumed) rollout. */
  run(id: string): void {
    const r = this.get(id);
    if (r.state === 'pending') this.transition(r, 'running');
    if (this.closed || this.loops.has(id)) return;
    const token: CancelToken = { cancelled: false };
    this.loops.set(id, token);
    this.loop(r, token)
      .catch(async (err: unknown) => {
        this.log.error('rollout loop failed', { rollout: id, error: errorMessage(err) });
        if (!token.cancelled && !TERMINAL_STATES.has(r.state)) {
          r.error = `internal error: ${errorMessage(err)}`;
          this.transition(r, 'failed');
          await this.save(r).catch(() => {});
        }
      })
      .finally(() => {
        if (this.loops.get(id) !== token) return;
        this.loops.delete(id);
        // A resume that landed while this loop was finishing (e.g. saving a pause) found a loop and left
        // the driving to it: pick the rollout up again so it is never left running with nothing driving it.
        if (!token.cancelled && !this.closed && (r.state === 'running' || r.state === 'rolling_back'))
          this.run(id);
      });
  }

  /** Pauses before the next batch (a pending rollout at once). */
  async pause(id: string, by: string): Promise<RolloutRecord> {
    const r = this.get(id);
    if (r.state === 'paused') return r;
    if (r.state === 'pending') {
      this.transition(r, 'paused');
      r.error = `paused by ${by}`;
    } else if (r.state === 'running') {
      r.pause_requested = true;
    } else {
      throw new StateError(`rollout ${id} is ${r.state}; only a running rollout can be paused`);
    }
    await this.save(r);
    return r;
  }

  async resume(id: string): Promise<RolloutRecord> {
    const r = this.get(id);
    if (r.state !== 'paused') {
      throw new StateError(`rollout ${id} is ${r.state}; only a paused rollout can be resumed`);
    }
    for (const i of r.instances) {
      if (i.batch === r.current_batch && (i.state === 'failed' || i.state === 'in_progress')) {
        i.state = 'pending';
      }
    }
    const batch = r.batches[r.current_batch];
    if (batch && batch.state !== 'done') batch.state = 'pending';
    r.pause_requested = false;
    r.error = '';
    r.running_since = this.iso();
    this.transition(r, r.resume_to);
    await this.save(r);
    this.run(id);
    return r;
  }

  async abort(id: string, by: string): Promise<RolloutRecord> {
    const r = this.get(id);
    if (!ACTIVE_STATES.has(r.state)) {
      throw new StateError(`rollout ${id} already ${r.state}; nothing to abort`);
    }
    const token = this.loops.get(id);
    if (token) token.cancelled = true;
    this.loops.delete(id);
    this.skipUnfinished(r, `rollout aborted by ${by}`);
    r.error = r.error ? `${r.error}; aborted by ${by}` : `aborted by ${by}`;
    this.transition(r, 'aborted');
    await this.save(r);
    return r;
  }

  /** Stops every loop without changing what is persisted (a restart finds them in flight → paused). */
  close(): void {
    this.closed = true;
    for (const t of this.loops.values()) t.cancelled = true;
    this.loops.clear();
  }

  // ---- the loop ----

  private async loop(r: RolloutRecord, token: CancelToken): Promise<void> {
    for (;;) {
      if (token.cancelled) return;
      const a = nextAction(r, this.now());
      switch (a.action) {
        case 'idle':
          return;
        case 'succeed':
          r.error = '';
          this.transition(r, 'succeeded');
          await this.save(r);
          return;
        case 'pause':
          r.pause_requested = false;
          r.resume_to = 'running';
          r.error = `paused before batch ${r.current_batch + 1} of ${r.batches.length}`;
          this.transition(r, 'paused');
          await this.save(r);
          return;
        case 'deadline':
          await this.onFailure(r, a.reason);
          break;
        case 'wait':
          await this.sleep(a.delayMs, token);
          break;
        case 'run-batch':
          await this.runBatch(r, a.batch, token);
          break;
        case 'run-rollback':
          await this.runRollback(r, a.instances, token);
          break;
        case 'rolled-back':
          this.transition(r, 'rolled_back');
          await this.save(r);
          return;
      }
    }
  }

  private stepContext(r: RolloutRecord): StepContext {
    return {
      port: this.port,
      now: this.now,
      pollMs: this.pollMs,
      save: () => this.save(r),
      sleep: (ms, token) => this.sleep(ms, token),
    };
  }

  private targetSpec(r: RolloutRecord, version: number): SpecVersion | undefined {
    return this.port.spec(r.handler, version);
  }

  private async runBatch(r: RolloutRecord, index: number, token: CancelToken): Promise<void> {
    const batch = r.batches[index];
    const target = this.targetSpec(r, r.to_version);
    if (!batch || !target) {
      r.error = target
        ? `batch ${index} is missing`
        : `spec version ${r.to_version} of ${r.handler} is no longer kept (handler deleted or re-applied too often)`;
      this.skipUnfinished(r, 'rollout cannot continue');
      this.transition(r, 'failed');
      return this.save(r);
    }
    batch.state = 'in_progress';
    batch.started_at ||= this.iso();
    const steps = r.instances.filter(
      (i) => i.batch === index && i.state !== 'healthy' && i.state !== 'skipped',
    );
    await this.save(r);
    const ctx = this.stepContext(r);
    await Promise.all(steps.map((s) => runStep(ctx, r, s, target, token, false)));
    if (token.cancelled || r.state !== 'running') return;
    const failed = steps.filter((s) => s.state === 'failed');
    if (failed.length > 0) {
      batch.state = 'failed';
      return this.onFailure(r, describeFailures(failed));
    }
    batch.state = 'done';
    batch.done_at = this.iso();
    r.current_batch = index + 1;
    this.log.info('rollout batch done', { rollout: r.id, batch: index + 1, of: r.batches.length });
    await this.save(r);
  }

  private async runRollback(
    r: RolloutRecord,
    steps: RolloutInstanceRecord[],
    token: CancelToken,
  ): Promise<void> {
    const target = this.targetSpec(r, r.rollback_version || r.from_version);
    if (!target) {
      r.error += `; rollback impossible: spec version ${r.from_version} is no longer kept`;
      this.transition(r, 'failed');
      return this.save(r);
    }
    const ctx = this.stepContext(r);
    await Promise.all(steps.map((s) => runStep(ctx, r, s, target, token, true)));
    if (token.cancelled || r.state !== 'rolling_back') return;
    const failed = steps.filter((s) => s.state === 'failed');
    if (failed.length > 0) {
      r.error += `; rollback failed: ${describeFailures(failed)}`;
      this.transition(r, 'failed');
      await this.save(r);
    }
  }

  /** A batch failed (or the progress deadline passed): pause, abort or roll back — never continue. */
  private async onFailure(r: RolloutRecord, what: string): Promise<void> {
    const policy = failurePolicy(r.kind, r.on_failure);
    this.log.warn('rollout step failed', { rollout: r.id, policy, failure: what });
    if (policy === 'pause') {
      r.resume_to = 'running';
      r.error = `${what}; paused: fix the cause, then gov rollout resume ${r.id} (or abort)`;
      this.transition(r, 'paused');
    } else if (policy === 'abort') {
      const note = r.on_failure === 'rollback' ? ' (a restart has nothing to roll back)' : '';
      r.error = `${what}; aborted${note}`;
      this.skipUnfinished(r, 'rollout aborted after a failure');
      this.transition(r, 'aborted');
    } else {
      const from = this.targetSpec(r, r.from_version);
      const changed = r.instances.filter((i) => i.changed).length;
      this.skipUnfinished(r, 'rollout rolled back before this instance', true);
      if (!from) {
        r.error = `${what}; rollback impossible: spec version ${r.from_version} is no longer kept`;
        this.transition(r, 'failed');
      } else {
        r.rollback_version = await this.port.reRegister(from.spec);
        r.error = `${what}; rolling back ${changed} instance(s) to version ${r.from_version} (registered again as version ${r.rollback_version})`;
        this.transition(r, 'rolling_back');
      }
    }
    await this.save(r);
  }

  /** Marks instances that never got a step as skipped (and in-flight ones, unless `keepChanged`). */
  private skipUnfinished(r: RolloutRecord, reason: string, keepChanged = false): void {
    for (const i of r.instances) {
      if (i.state === 'pending' || (i.state === 'in_progress' && !keepChanged)) {
        if (keepChanged && i.changed) continue;
        i.state = 'skipped';
        i.reason = reason;
      }
    }
    const batch = r.batches[r.current_batch];
    if (batch && batch.state === 'in_progress') batch.state = 'failed';
  }

  private transition(r: RolloutRecord, to: RolloutState): void {
    const change = setRolloutState(r, to, this.iso());
    this.log.info('rollout state', { rollout: r.id, handler: r.handler, ...change, error: r.error });
  }

  private save(r: RolloutRecord): Promise<void> {
    if (this.closed) return Promise.resolve();
    r.updated_at = this.iso();
    return this.store.save(r);
  }

  private sleep(ms: number, token: CancelToken): Promise<void> {
    return new Promise((resolve) => {
      const step = Math.min(ms, 100);
      const t = setTimeout(() => {
        if (token.cancelled || ms <= step) resolve();
        else void this.sleep(ms - step, token).then(resolve);
      }, step);
      t.unref();
    });
  }
}

function describeFailures(failed: RolloutInstanceRecord[]): string {
  const [first, ...more] = failed;
  if (!first) return 'a step failed';
  const extra = more.length > 0 ? ` (and ${more.length} more)` : '';
  return `instance ${first.instance}@${first.agent} failed: ${first.reason}${extra}`;
}
