/**
 * The supervisor's instances by instance key, each with its on-demand controller, and their durable
 * records (spec and record per key in the state file). Lookups of unknown names throw NotFoundError.
 */
import { NotFoundError } from '../../shared/errors.js';
import type { DurableStore } from '../../shared/durable-store.js';
import type { Logger } from '../../shared/logger.js';
import type { HandlerSpec } from '../../shared/spec.js';
import type { ProcessBackend } from '../process/backend.js';
import type { Clock } from '../../shared/clock.js';
import type { LaunchContext } from '../instance/launch.js';
import type { Probe } from '../health/probe.js';
import { Instance, type StateChange } from '../instance/instance.js';
import type { InstanceCore } from '../instance/core.js';
import type { InstanceEvent } from '../instance/lifecycle.js';
import { OnDemandController } from '../on-demand/on-demand.js';
import { specHash, type AgentState } from './state-store.js';

export interface RegistryOptions {
  dataDir: string;
  /** The backend instances use (the supervisor's, wrapped for limits and the observed guard). */
  backend: ProcessBackend;
  clock: Clock;
  logger: Logger;
  random: () => number;
  probe?: Probe;
  launch: LaunchContext;
}

export interface RegistryHost {
  store: DurableStore<AgentState>;
  /** RSS of the process tree rooted at `pid` (0 when gone). */
  sampleRss(pid: number): Promise<number>;
  emitState(change: StateChange): void;
  emitEvent(handler: string, event: InstanceEvent): void;
  emitHealth(handler: string): void;
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`no handler named ${JSON.stringify(name)} on this agent`);
}

/** Writes an instance's spec and record into the state. */
function writeRecord(d: AgentState, inst: InstanceCore): void {
  d.specs[inst.name] = inst.spec;
  d.instances[inst.name] = inst.toRecord();
}

export class InstanceRegistry {
  private readonly instances = new Map<string, Instance>();
  /** On-demand bookkeeping per instance key (idle timer, shared wake-up, cold starts). */
  private readonly demand = new Map<string, OnDemandController>();
  private closed = false;

  constructor(
    private readonly opts: RegistryOptions,
    private readonly host: RegistryHost,
  ) {}

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

  /** Instance keys of a handler (`web`, `web#1`, ...) in index order, or the key itself when given one. */
  keysOf(nameOrKey: string): string[] {
    if (nameOrKey.includes('#')) return [this.get(nameOrKey).name];
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

  /** Creates (or replaces) the instance `index` of `spec` with its on-demand controller. */
  add(spec: HandlerSpec, index = 0): Instance {
    const { opts, host } = this;
    const inst = new Instance(
      spec,
      specHash(spec),
      {
        backend: opts.backend,
        clock: opts.clock,
        logger: opts.logger,
        random: opts.random,
        dataDir: opts.dataDir,
        launch: opts.launch,
        stopPollMs: 20,
        persist: (i) => this.persist(i),
        onState: (c) => {
          this.demand.get(c.handler)?.onState(c.to);
          host.emitState(c);
        },
        onEvent: (handler, event) => host.emitEvent(handler, event),
        onHealth: (handler) => host.emitHealth(handler),
        ...(opts.probe ? { probe: opts.probe } : {}),
      },
      index,
    );
    this.instances.set(inst.name, inst);
    this.demand.get(inst.name)?.dispose();
    this.demand.set(
      inst.name,
      new OnDemandController(inst, { clock: opts.clock, logger: opts.logger, sampleRss: host.sampleRss }),
    );
    return inst;
  }

  /** Durably writes an instance's spec and record (not after close, nor for a replaced instance). */
  persist(inst: InstanceCore): Promise<void> {
    if (this.closed || this.instances.get(inst.name) !== inst) return Promise.resolve();
    return this.host.store.update((d) => writeRecord(d, inst));
  }

  /** Stops an instance and forgets it, in memory and on disk. */
  async remove(inst: Instance): Promise<void> {
    await inst.stop();
    inst.dispose();
    this.demand.get(inst.name)?.dispose();
    this.demand.delete(inst.name);
    this.instances.delete(inst.name);
    await this.host.store.update((d) => {
      delete d.specs[inst.name];
      delete d.instances[inst.name];
    });
  }

  /** Writes every instance's spec and record in one update (shutdown). */
  saveAll(): Promise<void> {
    return this.host.store.update((d) => {
      for (const inst of this.instances.values()) writeRecord(d, inst);
    });
  }

  /** No more writes; stops every instance's and controller's timers without touching processes. */
  close(): void {
    this.closed = true;
    for (const inst of this.instances.values()) inst.dispose();
    for (const d of this.demand.values()) d.dispose();
  }
}
