/**
 * The supervisor's instances by instance key, each with its on-demand controller, and their durable
 * records (spec and record per key in the state file). Lookups of unknown names throw NotFoundError.
 */
import { NotFoundError } from '../../shared/errors.js';
import type { DurableStore } from '../../shared/durable-store.js';
import { instanceKey, parseInstanceKey, type HandlerSpec } from '../../shared/spec.js';
import { Instance } from '../instance/instance.js';
import type { Handle, ShimProcess } from '../process/backend.js';
import type { MetricsSampler } from '../process/sampler.js';
import { OnDemandController } from '../on-demand/on-demand.js';
import type { SupervisorEmitter } from './events.js';
import type { CompiledOptions } from './options.js';
import { specHash, type AgentState } from './state-store.js';

function notFound(name: string): NotFoundError {
  return new NotFoundError(`no handler named ${JSON.stringify(name)} on this agent`);
}

export class InstanceRegistry {
  private readonly instances = new Map<string, Instance>();
  /** On-demand bookkeeping per instance key (idle timer, shared wake-up, cold starts). */
  private readonly demand = new Map<string, OnDemandController>();
  /**
   * Live shims of instances the state file had no record of (stray-shims.ts `unrecorded`), by instance key:
   * left running until their spec arrives (then adopted) or an apply removes them.
   */
  private readonly unrecorded = new Map<string, ShimProcess>();
  /** Removals under way by instance key (`remove`). */
  private readonly removals = new Map<string, Promise<void>>();
  /** By instance key: the latest apply's creation awaiting its removal's end (`afterRemoval`). */
  private readonly recreations = new Map<string, symbol>();
  /** Shut down (`close`): nothing more is removed from disk or created. */
  private closed = false;

  constructor(
    /** The supervisor's options; `backend` is the one instances use (limits + observed guard). */
    private readonly opts: CompiledOptions,
    private readonly store: DurableStore<AgentState>,
    private readonly sup: SupervisorEmitter,
    /** Measures a hot on-demand instance before it cools (the savings estimate). */
    private readonly sampler: MetricsSampler,
    /** The CPU seconds an instance's own cgroup used so far (cpu-accounting.ts); null: it has no counter. */
    private readonly groupCpu: (key: string, h: Handle) => number | null = () => null,
  ) {
    // A hot on-demand instance gets an idle timer (before any other listener hears of the change).
    sup.on('state', (c) => this.demand.get(c.handler)?.onState(c.to));
    // A thawed instance runs again: its idle timer too (whatever thawed it: ensure, a signal, a stop).
    sup.on('event', (e) => {
      if (e.event.type === 'THAWED') this.demand.get(e.handler)?.onThawed();
    });
  }

  get size(): number {
    return this.instances.size;
  }

  values(): IterableIterator<Instance> {
    return this.instances.values();
  }

  /** The instance with this key, if any. */
  find(key: string): Instance | undefined {
    return this.instances.get(key);
  }

  get(name: string): Instance {
    const inst = this.instances.get(name);
    if (!inst) throw notFound(name);
    return inst;
  }

  /**
   * Instance keys of a handler (`web`, `web#1`, ...) in index order, or the one instance a `#` key names
   * (`web#0` is replica 0 alone: its key `web` is the handler's name too).
   */
  keysOf(nameOrKey: string): string[] {
    if (nameOrKey.includes('#')) {
      const { handler, index } = parseInstanceKey(nameOrKey);
      return [this.get(instanceKey(handler, index)).name];
    }
    const keys = [...this.instances.values()]
      .filter((i) => i.spec.name === nameOrKey)
      .sort((a, b) => a.index - b.index)
      .map((i) => i.name);
    if (keys.length === 0) throw notFound(nameOrKey);
    return keys;
  }

  /** The on-demand controller of an instance key, if any. */
  demandAt(key: string): OnDemandController | undefined {
    return this.demand.get(key);
  }

  demandOf(inst: Instance): OnDemandController {
    const d = this.demand.get(inst.name);
    if (!d) throw notFound(inst.name);
    return d;
  }

  /** Keeps these unrecorded strays (never signalled) until they are taken. */
  holdUnrecorded(shims: Iterable<ShimProcess>): void {
    for (const shim of shims) this.unrecorded.set(shim.key, shim);
  }

  /** The handles of every governed process: each instance's, and each unrecorded stray's held (never observed). */
  *governedHandles(): IterableIterator<Handle> {
    for (const i of this.instances.values()) {
      if (i.handle) yield i.handle;
      yield* i.drainingHandles(); // what an exited main left in its group: still the handler's
    }
    for (const s of this.unrecorded.values()) yield s.handle;
  }

  /** Instance keys of the unrecorded strays held. */
  unrecordedKeys(): string[] {
    return [...this.unrecorded.keys()];
  }

  /** Takes the unrecorded stray of instance `key`, if one is held: the caller adopts or stops it. */
  takeUnrecorded(key: string): ShimProcess | undefined {
    const shim = this.unrecorded.get(key);
    this.unrecorded.delete(key);
    return shim;
  }

  /** Creates (or replaces) the instance `index` of `spec` with its on-demand controller. */
  add(spec: HandlerSpec, index = 0): Instance {
    const { opts } = this;
    const inst = new Instance(spec, specHash(spec), opts, this.store, this.sup, index);
    this.instances.get(inst.name)?.dispose(); // a replaced instance writes nothing more
    this.instances.set(inst.name, inst);
    this.demand.get(inst.name)?.dispose();
    const announce = (): void => {
      this.sup.emit('status', { handler: inst.name });
    };
    const cpu = { sampler: this.sampler, group: (h: Handle) => this.groupCpu(inst.name, h) };
    this.demand.set(inst.name, new OnDemandController(inst, opts.clock, opts.logger, cpu, announce));
    return inst;
  }

  /**
   * Stops an instance and forgets it, in memory and on disk (Instance.retire: the intent is recorded first).
   * One removal per key at a time: removing it again joins the one under way.
   */
  remove(inst: Instance): Promise<void> {
    this.recreations.delete(inst.name); // a later removal overrules an earlier apply's creation afresh
    const pending = this.removals.get(inst.name);
    if (pending) return pending;
    const done = this.retire(inst).finally(() => this.removals.delete(inst.name));
    this.removals.set(inst.name, done);
    return done;
  }

  /**
   * The removal under way of instance `key`, if any: an instance of that key is created only once it is
   * done (else the removal's end would forget the new one).
   */
  removal(key: string): Promise<void> | undefined {
    return this.removals.get(key);
  }

  /**
   * `create` (a new instance `key`) once the removal under way of `key` ends, or now when there is none —
   * unless meanwhile a later apply removed `key` again (applies run concurrently: 1 → 3 → 1 must end at 1)
   * or the agent shut down (nothing is spawned after that).
   */
  afterRemoval(key: string, create: () => Promise<unknown>): Promise<unknown> {
    const removal = this.removals.get(key);
    if (!removal) return create();
    const mine = Symbol(key);
    this.recreations.set(key, mine);
    return removal.then(() => {
      if (this.closed || this.recreations.get(key) !== mine) return undefined;
      this.recreations.delete(key);
      return create();
    });
  }

  private async retire(inst: Instance): Promise<void> {
    await inst.retire();
    // Shut down during its stop (cancelled, the process left running): the record keeps `removing` (the
    // shutdown's save wrote it) and the next agent finishes the removal.
    if (this.closed) return;
    inst.dispose();
    this.demand.get(inst.name)?.dispose();
    this.demand.delete(inst.name);
    this.instances.delete(inst.name);
    await this.store.update((d) => {
      delete d.specs[inst.name];
      delete d.instances[inst.name];
    });
  }

  /** Writes every instance's spec and record in one update (shutdown). */
  saveAll(): Promise<void> {
    return this.store.update((d) => {
      for (const inst of this.instances.values()) inst.writeTo(d);
    });
  }

  /** No more writes; stops every instance's and controller's timers without touching processes. */
  close(): void {
    this.closed = true;
    for (const inst of this.instances.values()) inst.dispose();
    for (const d of this.demand.values()) d.dispose();
  }
}
