/**
 * The rollout engine (DESIGN §5): creates rollouts, drives each active one batch by batch (one loop per
 * rollout, in drive.ts; `on_failure` in failure.ts), and answers pause/resume/abort. Every
 * change is persisted through the RolloutStore before it is acted on, so a master restart finds each
 * rollout as it was (in-flight ones come back paused; see store.ts).
 */
import { SerialQueue } from '../../shared/serial-queue.js';
import type { SpecVersion } from '../state/registry.js';
import type { MasterState } from '../state/store.js';
import { NotFoundError, StateError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { UpdateSpec } from '../../shared/update-policy.js';
import { createRollout } from './create.js';
import { driveRollout } from './drive.js';
import { skipUnfinished } from './failure.js';
import { yetToMove } from './plan.js';
import type { CancelToken, RolloutContext, RolloutPort } from './step.js';
import type { RolloutStore } from './store.js';
import {
  ACTIVE_STATES,
  TERMINAL_STATES,
  setRolloutState,
  stepName,
  type RolloutRecord,
  type RolloutState,
} from './types.js';

export interface RolloutEngineOptions {
  /** How often a step re-checks its instance (default 50 ms). */
  pollMs?: number;
  now?: () => number;
}

/** What a rollout is made of (RolloutEngine.create). */
export interface RolloutInput {
  kind: 'restart' | 'update';
  handlers: ReadonlyArray<{
    handler: string;
    from: SpecVersion;
    to: SpecVersion;
    /** Only these instances (`agent/key`); absent: every one. */
    only?: ReadonlySet<string>;
  }>;
  overrides?: Partial<UpdateSpec>;
  issuedBy: string;
}

/** States in which a rollout is moving instances (a paused one moves none). */
const IN_FLIGHT: ReadonlySet<RolloutState> = new Set(['pending', 'running', 'rolling_back']);

export class RolloutEngine {
  /**
   * What changes specs or which rollouts hold them (an Apply, a rollout's start, a delete) runs through this,
   * one at a time: a check that a handler is free and the write that relies on it are never split by another.
   */
  readonly specChanges = new SerialQueue();
  private readonly loops = new Map<string, CancelToken>();
  private readonly now: () => number;
  private readonly drive: RolloutContext;
  private closed = false;

  constructor(
    private readonly port: RolloutPort,
    private readonly store: RolloutStore,
    private readonly log: Logger,
    opts: RolloutEngineOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.drive = {
      port,
      log,
      now: this.now,
      pollMs: opts.pollMs ?? 50,
      save: (r) => this.save(r),
      transition: (r, to) => this.transition(r, to),
      stage: (d, r) => this.stage(d, r),
    };
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Each rollout record once it is saved (the store's change events: the watch stream follows them). */
  get changes(): RolloutStore['changes'] {
    return this.store.changes;
  }

  /**
   * After a master (re)start: in-flight rollouts become paused (interrupted); nothing resumes by itself.
   * Resolves with their ids (an HA leader that takes over continues them: continue.ts).
   */
  async restore(): Promise<string[]> {
    const paused = await this.store.recover(this.iso());
    if (paused.length > 0) this.log.warn('rollouts interrupted by a master restart are paused', { paused });
    return paused;
  }

  /** Set by `close`: no loop runs any more. */
  get isClosed(): boolean {
    return this.closed;
  }

  get(id: string): RolloutRecord {
    const r = this.store.get(id);
    if (!r)
      throw new NotFoundError(`unknown rollout ${JSON.stringify(id)} (see gov rollout status)`, {
        fields: ['id'],
      });
    return r;
  }

  list(handler?: string): RolloutRecord[] {
    return this.store.list(handler);
  }

  /**
   * Handlers whose instances APPLY must leave alone: an update rollout covering the handler is active, or
   * the newest update covering it ended without converging (aborted/failed) and no later rollout covering
   * it succeeded — over all of its instances: a restart of some of them (`gov rollout restart web@edge-1`)
   * leaves the others on the spec they run. Every handler a rollout covers is held alike. Except a rollback
   * that ended `failed`: it re-registered the handler's previous spec as current and tried every instance, so
   * an APPLY push (an agent reconnecting, the next apply) may now bring that spec to the instances it could
   * not reach.
   */
  heldHandlers(): string[] {
    return [...this.holders().keys()];
  }

  /**
   * Instance keys on `agent` that APPLY does not start (Fleet.deferredInstances): the replicas an update adds
   * (types.ts `added`) whose step never ran, while that update holds their handler (see heldHandlers) — they
   * start in their batch, or wait for the next rollout when it stopped short.
   */
  deferredInstances(agent: string): string[] {
    return this.heldBack()
      .filter((i) => i.agent === agent)
      .map((i) => i.instance);
  }

  /**
   * The replicas held back (see deferredInstances) on every agent — only while the handler's spec is the version
   * the holding update moves to: a later apply of the handler (a new version, or the handler deleted and applied
   * afresh) places its replicas as any apply does. A rolling restart of the handler starts them in its batches.
   */
  private heldBack(): Array<{ handler: string; agent: string; instance: string }> {
    const out: Array<{ handler: string; agent: string; instance: string }> = [];
    for (const [name, r] of this.holders()) {
      const to = r.handlers.find((h) => h.name === name)?.to_version;
      if (to === undefined || this.port.spec(name)?.version !== to) continue;
      for (const i of r.instances) if (i.added && !i.changed && i.handler === name) out.push(i);
    }
    return out;
  }

  /** Each held handler (see heldHandlers) and the update rollout that holds it. */
  private holders(): Map<string, RolloutRecord> {
    const held = new Map<string, RolloutRecord>();
    const decided = new Set<string>();
    for (const r of this.store.list()) {
      for (const { name, rollback_version, partial } of r.handlers) {
        if (decided.has(name)) continue;
        if (r.state === 'succeeded' || r.state === 'rolled_back') {
          if (r.kind === 'update' || !partial) decided.add(name);
        } else if (r.state === 'failed' && rollback_version > 0) decided.add(name);
        else if (r.kind === 'update') {
          held.set(name, r);
          decided.add(name);
        }
      }
    }
    return held;
  }

  /**
   * Refuses (StateError naming the rollout) a restart of instances a rollout has yet to move (plan.ts
   * `yetToMove`: waiting for their batch or under way): restarted besides, more of them would be down at once
   * than its batch size allows. One whose batch is done, or that the rollout never moves, may be restarted. A
   * paused rollout moves nothing: an operator may restart what it covers meanwhile.
   */
  assertNotRolling(instances: ReadonlyArray<{ handler: string; agent: string; key: string }>): void {
    for (const r of this.store.list()) {
      if (!IN_FLIGHT.has(r.state)) continue;
      const left = new Map(yetToMove(r).map((i) => [`${i.agent}/${i.instance}`, i]));
      for (const t of instances) {
        const step = left.get(`${t.agent}/${t.key}`);
        if (!step) continue;
        const when =
          r.state === 'rolling_back'
            ? 'rolls it back'
            : step.state === 'in_progress'
              ? `is moving it now (batch ${step.batch + 1} of ${r.batches.length})`
              : `moves it in batch ${step.batch + 1} of ${r.batches.length}, not done yet`;
        throw new StateError(
          `${t.key}@${t.agent}: rollout ${r.id} is ${r.state} and ${when}; ` +
            `wait for it, or gov rollout pause|abort ${r.id} first`,
        );
      }
    }
  }

  /** Throws when a rollout covering any of `handlers` is still active (naming the first one held). */
  assertIdle(...handlers: string[]): void {
    for (const handler of handlers) {
      const active = this.store.list(handler).find((r) => ACTIVE_STATES.has(r.state));
      if (active) {
        throw new StateError(
          `handler ${handler} has rollout ${active.id} ${active.state}; wait for it, or ` +
            `gov rollout ${active.state === 'paused' ? 'resume|abort' : 'pause|abort'} ${active.id}`,
        );
      }
    }
  }

  /**
   * Creates (and persists) one rollout over `handlers` (in order; the first is the record's `handler`);
   * `run()` starts it. Refused when any of them is held by an active rollout.
   */
  async create(input: RolloutInput): Promise<RolloutRecord> {
    const r = this.draft(input);
    if (r.instances.length === 0) return r; // an update with nothing to move: not kept
    await this.store.save(r);
    this.created(r);
    return r;
  }

  /**
   * The rollout `create` makes, not yet stored: refused as `create` refuses; an update with nothing to move
   * has no instances (and is not to be kept). To store it inside another write: `stage`, then `created`.
   */
  draft(input: RolloutInput): RolloutRecord {
    this.assertIdle(...input.handlers.map((h) => h.handler));
    const r = createRollout({
      kind: input.kind,
      handlers: input.handlers.map((h) => ({
        handler: h.handler,
        from_version: h.from.version,
        to_version: h.to.version,
        spec: h.to.spec,
        instances: this.port.instances(h.handler),
        agents: this.port.agentsFor(h.to.spec),
        ...(h.only ? { only: h.only } : {}),
        heldBack: new Set(
          this.heldBack()
            .filter((i) => i.handler === h.handler)
            .map(stepName),
        ),
      })),
      ...(input.overrides ? { overrides: input.overrides } : {}),
      issuedBy: input.issuedBy,
      now: this.now(),
    });
    if (r.instances.length === 0 && input.kind === 'restart') {
      const names = input.handlers.map((h) => h.handler);
      if (names.length === 0) throw new StateError('the target matches no instances: nothing to restart');
      throw new StateError(
        `${names.length > 1 ? 'handlers' : 'handler'} ${names.join(', ')} ${names.length > 1 ? 'have' : 'has'} no instances to restart`,
      );
    }
    return r;
  }

  /** Puts a drafted rollout into the state `d`, inside a write someone else makes (Registry.storeSpecs). */
  stage(d: MasterState, r: RolloutRecord): void {
    this.store.put(d, r);
  }

  /** Once a rollout is stored: its change event and log line (then `run` starts it). */
  created(r: RolloutRecord): void {
    this.store.saved(r);
    this.log.info('rollout created', {
      rollout: r.id,
      handlers: r.handlers.length,
      handler: r.handler,
      kind: r.kind,
      instances: r.instances.length,
      batches: r.batches.length,
    });
  }

  /** Starts driving a pending (or resumed) rollout. */
  run(id: string): void {
    const r = this.get(id);
    if (r.state === 'pending') this.transition(r, 'running');
    if (this.closed || this.loops.has(id)) return;
    const token: CancelToken = { cancelled: false };
    this.loops.set(id, token);
    driveRollout(this.drive, r, token)
      .catch(async (err: unknown) => {
        this.log.error('rollout loop failed', { rollout: id, err });
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
    if (r.resume_to === 'rolling_back') {
      // A rollback carries on from where it was: the failed batch and instances stay as they were (they
      // say why it rolls back), and so does the error; an instance whose rollback step had failed is tried
      // again (plan.ts `nextAction` picks every changed instance not yet rolled back).
      for (const i of r.instances) delete i.rollback_failed;
      r.error = r.rollback_cause ?? r.error;
    } else {
      for (const i of r.instances) {
        if (i.batch === r.current_batch && (i.state === 'failed' || i.state === 'in_progress')) {
          i.state = 'pending';
        }
      }
      const batch = r.batches[r.current_batch];
      if (batch && batch.state !== 'done') batch.state = 'pending';
      r.error = '';
    }
    r.pause_requested = false;
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
    skipUnfinished(r, `rollout aborted by ${by}`);
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

  private transition(r: RolloutRecord, to: RolloutState): void {
    const change = setRolloutState(r, to, this.iso());
    this.log.info('rollout state', { rollout: r.id, handler: r.handler, ...change, err: r.error });
  }

  private save(r: RolloutRecord): Promise<void> {
    if (this.closed) return Promise.resolve();
    r.updated_at = this.iso();
    return this.store.save(r);
  }
}
