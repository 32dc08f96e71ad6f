/**
 * The master's registry (DESIGN §4): agents, versioned handler specs and the last status each agent
 * reported for its instances, all kept in the master store.
 *
 * Durability: every mutation except `touch()` returns a promise that resolves once the change is on disk
 * (writes are coalesced by the store, so a burst costs one write). `touch()` only moves `last_seen` in
 * memory; it reaches disk with the next write. Disconnection is reported, never guessed: an agent's
 * instances keep their last status and are listed as `stale` while it is disconnected. On open every
 * agent starts disconnected (no stream survives a master restart).
 */
import { EventEmitter } from 'node:events';
import { NotFoundError, PermissionError, StateError, ValidationError } from '../../shared/errors.js';
import { handlerObservedClash } from '../../shared/observed.js';
import { agentRefRefusal, compareNames, isAgentRef, isName } from '../../shared/names.js';
import { parseInstanceKey, type HandlerSpec } from '../../shared/spec.js';
import type { InstanceStatus } from '../../proto/generated/governor/v1/InstanceStatus.js';
import {
  TRACKINGS,
  type AgentRecord,
  type MasterState,
  type SpecVersion,
  type StateStore,
  type Tracking,
} from './store.js';
import { AGENT_LIMITS, bound, boundLabels, boundStatus } from '../fleet/agent-input.js';
import { assignAgents, checkLabels, SPEC_HISTORY, specHash } from './registry-specs.js';

export { specHash, SPEC_HISTORY } from './registry-specs.js';
export type { AgentRecord, SpecVersion } from './store.js';

/** What an agent says about itself in its hello. Its labels are only reported (see AgentRecord). */
export interface AgentHello {
  agent_id: string;
  hostname?: string;
  version?: string;
  labels?: Record<string, string>;
  tracking?: string;
}

/** A label change by an admin: keys set (or replaced) and keys removed. */
export interface LabelChange {
  set?: Record<string, string>;
  remove?: readonly string[];
}

export type SpecChange = 'created' | 'updated' | 'unchanged';

/** An apply as Registry.planSpecs works it out (Registry.storeSpecs stores it). */
export interface SpecPlan {
  applied: AppliedHandler[];
  /** The new version of each handler the apply creates or updates, by name. */
  versions: ReadonlyMap<string, SpecVersion>;
}

export interface AppliedHandler {
  name: string;
  /** Version after the apply (starts at 1, bumps when the spec changed). */
  version: number;
  change: SpecChange;
  /** Agents the handler is assigned to. */
  agents: string[];
}

export interface DeletedHandler {
  name: string;
  /** The version that was current when deleted. */
  version: number;
  /** Agents it was assigned to (they should stop it). */
  agents: string[];
}

export interface InstanceView {
  agent: string;
  status: InstanceStatus;
  /** True when the agent is not connected: the status is the last one known, not current. */
  stale: boolean;
  /** When the master received the status, ISO-8601. */
  reported_at: string;
}

/**
 * One instance's status changed in the registry: `before` is what was kept (null: first seen), `after` what
 * is kept now (null: forgotten — its handler was deleted, or the agent's new inventory has it no more).
 */
export interface InstanceChange {
  agent: string;
  /** Instance key on the agent (`web`, `web#1`). */
  key: string;
  before: InstanceStatus | null;
  after: InstanceView | null;
}

/**
 * What the registry tells its listeners (the watch stream) once a change is on disk: `instance` for every
 * status stored or forgotten, `agent` (its id) when an agent's record, labels or connection changed.
 */
export interface RegistryEvents {
  instance: [InstanceChange];
  agent: [string];
}

export interface RegistryOptions {
  /** Clock in epoch ms. */
  now?: () => number;
}

export class Registry {
  private readonly now: () => number;
  /** Changes once they are on disk (see RegistryEvents). */
  readonly changes = new EventEmitter<RegistryEvents>();

  constructor(
    private readonly store: StateStore,
    opts: RegistryOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    for (const a of Object.values(this.data.agents)) {
      a.connected = false;
      // A record from before admin-set labels: its labels were in force, so they stay in force (an upgrade
      // must not unassign running handlers) and are shown as reported too; from now on only an admin
      // changes them.
      a.reported_labels ??= { ...(a.labels ?? {}) };
    }
  }

  private get data(): MasterState {
    return this.store.data;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  // ---- agents ----

  /**
   * Records an agent's hello: creates or updates it, marks it connected. A revoked agent is refused. Its
   * hostname, version and labels are bounded; its labels are kept as `reported_labels` only.
   */
  async upsertAgent(hello: AgentHello): Promise<AgentRecord> {
    const id = hello.agent_id;
    if (!id) throw new ValidationError('hello: agent_id is required');
    if (!isAgentRef(id)) throw new ValidationError(`hello: agent_id ${agentRefRefusal(id)}`);
    const known = own(this.data.agents, id);
    if (known?.revoked) throw new PermissionError(`agent ${id} is revoked`);
    const rec: AgentRecord = {
      id,
      hostname: bound(hello.hostname ?? known?.hostname),
      labels: { ...(known?.labels ?? {}) },
      reported_labels: boundLabels(hello.labels ?? known?.reported_labels),
      version: bound(hello.version ?? known?.version),
      ...trackingOf(hello.tracking),
      connected: true,
      last_seen: this.iso(),
      revoked: false,
      ...(known?.handlers ? { handlers: known.handlers } : {}),
    };
    await this.store.update((d) => {
      d.agents[id] = rec;
    });
    this.changes.emit('agent', id);
    return copyAgent(rec);
  }

  /**
   * Sets and removes an agent's labels (admin only): the labels selectors match. The agent must be known.
   * Refused, changing nothing, when a handler newly assigned by the change would take the name of a
   * process observed on that agent (one namespace per agent).
   */
  async setLabels(id: string, change: LabelChange): Promise<AgentRecord> {
    const a = this.requireAgent(id);
    const set = change.set ?? {};
    const remove = change.remove ?? [];
    checkLabels(set, remove);
    const labels = { ...a.labels, ...set };
    for (const k of remove) delete labels[k];
    const before = new Set(this.specsForAgent(id).map((s) => s.name));
    const after = { ...a, labels };
    for (const v of this.listSpecs()) {
      if (before.has(v.spec.name)) continue;
      if (!assignAgents(v.spec, [after]).includes(id)) continue;
      this.checkNoObservedClash(id, v.spec.name, `labelling agent ${id}`);
    }
    await this.store.update(() => {
      a.labels = labels;
    });
    this.changes.emit('agent', id);
    return copyAgent(a);
  }

  /**
   * Refuses (StateError naming both) when agent `agentId` has an observed process named `handler`: a
   * handler and an observed process never share a name on one agent.
   */
  checkNoObservedClash(agentId: string, handler: string, what: string): void {
    const observed = own(own(this.data.instances, agentId), handler)?.status;
    if (observed?.observed)
      throw new StateError(`${what}: ${handlerObservedClash(handler, observed.pid ?? 0, agentId)}`);
  }

  /** Marks an agent connected or disconnected (its stream opened, closed or missed the heartbeat grace). */
  async setConnected(id: string, connected: boolean): Promise<void> {
    const a = this.requireAgent(id);
    if (a.connected === connected) return this.store.flush();
    a.connected = connected;
    if (connected) a.last_seen = this.iso();
    await this.store.flush();
    this.changes.emit('agent', id);
  }

  /** Any message from the agent: moves `last_seen` (in memory; persisted with the next write). */
  touch(id: string): void {
    const a = own(this.data.agents, id);
    if (a) a.last_seen = this.iso();
  }

  /** Revokes an agent (known or not yet seen) from now on, persistently, and marks it disconnected. */
  async revoke(id: string): Promise<AgentRecord> {
    if (!id) throw new ValidationError('revoke: an agent id is required');
    if (!isAgentRef(id)) throw new ValidationError(`revoke: ${agentRefRefusal(id)}`);
    const rec = own(this.data.agents, id) ?? {
      id,
      hostname: '',
      labels: {},
      reported_labels: {},
      version: '',
      connected: false,
      last_seen: '',
      revoked: true,
    };
    rec.revoked = true;
    rec.connected = false;
    await this.store.update((d) => {
      d.agents[id] = rec;
    });
    this.changes.emit('agent', id);
    return copyAgent(rec);
  }

  /**
   * Lifts a revocation (`gov agents unrevoke`): the agent's certificate is accepted again. A record revoke
   * made for an agent never seen (no hello ever: no `last_seen`) is removed, so the master knows no more
   * of that id than before. The agent must be known; one that is not revoked is left as it is.
   */
  async unrevoke(id: string): Promise<AgentRecord> {
    const a = this.requireAgent(id);
    if (!a.revoked) return copyAgent(a);
    const neverSeen = a.last_seen === '';
    await this.store.update((d) => {
      if (neverSeen) delete d.agents[id];
      else a.revoked = false;
    });
    if (neverSeen) a.revoked = false;
    this.changes.emit('agent', id);
    return copyAgent(a);
  }

  isRevoked(id: string): boolean {
    return own(this.data.agents, id)?.revoked === true;
  }

  getAgent(id: string): AgentRecord | undefined {
    const a = own(this.data.agents, id);
    return a ? copyAgent(a) : undefined;
  }

  /** All known agents (revoked ones included, flagged), sorted by id. */
  listAgents(): AgentRecord[] {
    return Object.keys(this.data.agents)
      .sort()
      .map((id) => this.getAgent(id) as AgentRecord);
  }

  private requireAgent(id: string): AgentRecord {
    const a = own(this.data.agents, id);
    if (!a) throw new NotFoundError(`unknown agent ${JSON.stringify(id)} (see gov agents)`);
    return a;
  }

  // ---- specs ----

  /**
   * Applies validated specs as one change: a spec whose hash equals the current version's is `unchanged`
   * (same version); a different one becomes a new version; the last SPEC_HISTORY versions are kept.
   */
  async applySpecs(specs: readonly HandlerSpec[]): Promise<AppliedHandler[]> {
    return this.storeSpecs(this.planSpecs(specs));
  }

  /**
   * What applying `specs` stores (see applySpecs), changing nothing yet: each handler's outcome, and the
   * version each created or updated one gets. A handler named twice is refused.
   */
  planSpecs(specs: readonly HandlerSpec[]): SpecPlan {
    const seen = new Set<string>();
    for (const s of specs) {
      if (seen.has(s.name))
        throw new ValidationError(`apply: handler ${JSON.stringify(s.name)} appears twice`);
      seen.add(s.name);
    }
    const appliedAt = this.iso();
    const applied: AppliedHandler[] = [];
    const versions = new Map<string, SpecVersion>();
    for (const spec of specs) {
      const hash = specHash(spec);
      const current = own(this.data.specs, spec.name)?.versions.at(-1);
      let version: number;
      let change: SpecChange;
      if (current && current.hash === hash) {
        version = current.version;
        change = 'unchanged';
      } else {
        version = (current?.version ?? 0) + 1;
        change = current ? 'updated' : 'created';
        versions.set(spec.name, { version, hash, spec: structuredClone(spec), applied_at: appliedAt });
      }
      applied.push({ name: spec.name, version, change, agents: this.agentsFor(spec) });
    }
    return { applied, versions };
  }

  /**
   * Stores a plan's new versions in one write. `alongside` makes its own changes to the state in that same
   * write (synchronously, after the versions are in): on disk they are there together, or neither is.
   */
  async storeSpecs(plan: SpecPlan, alongside?: (d: MasterState) => void): Promise<AppliedHandler[]> {
    await this.store.update((d) => {
      for (const next of plan.versions.values()) pushVersion(d, structuredClone(next));
      alongside?.(d);
    });
    return plan.applied;
  }

  /**
   * Stores specs adopted from an agent's report as new versions marked `adopted` (master/fleet/adopt.ts has
   * validated them and restricted their targets). One write for all of them.
   */
  async storeAdopted(specs: readonly HandlerSpec[]): Promise<SpecVersion[]> {
    const appliedAt = this.iso();
    const versions = specs.map((spec) => ({
      version: (own(this.data.specs, spec.name)?.versions.at(-1)?.version ?? 0) + 1,
      hash: specHash(spec),
      spec: structuredClone(spec),
      applied_at: appliedAt,
      adopted: true,
    }));
    await this.store.update((d) => {
      for (const next of versions) pushVersion(d, structuredClone(next));
    });
    return versions;
  }

  /** Removes a handler and its history. Unknown name → NotFoundError. */
  async deleteSpec(name: string): Promise<DeletedHandler> {
    const current = this.getSpec(name);
    if (!current) throw new NotFoundError(`unknown handler ${JSON.stringify(name)} (see gov ps)`);
    const agents = this.agentsFor(current.spec);
    const at = this.iso();
    await this.store.update((d) => {
      delete d.specs[name];
      // Remembered, so that an agent that was away when it was deleted stops it when it comes back.
      const deleted = (d.deleted ??= {});
      deleted[name] = { at };
      const names = Object.keys(deleted);
      for (const old of names.slice(0, Math.max(0, names.length - MAX_DELETED))) delete deleted[old];
    });
    return { name, version: current.version, agents };
  }

  /**
   * Records handler names agent `agentId` has: assigned to it by a push, or reported in its hello (cached
   * specs, instances). Kept are the names the master has a spec or a deletion record for (all removalsFor
   * may ever name, so bounded by those); a name the master holds neither for any more is dropped.
   */
  async noteHandlers(agentId: string, names: Iterable<string>): Promise<void> {
    const a = own(this.data.agents, agentId);
    if (!a) return;
    const added = [...names];
    const merged = (from: readonly string[]) =>
      [...new Set([...from, ...added])]
        .filter((n) => own(this.data.specs, n) !== undefined || this.wasDeleted(n))
        .sort(compareNames);
    const before = a.handlers ?? [];
    const next = merged(before);
    if (next.length === before.length && next.every((n, i) => n === before[i])) return;
    await this.store.update(() => {
      a.handlers = merged(a.handlers ?? []); // another note may have come first: merged with it, not lost
    });
  }

  /**
   * The handler names agent `agentId` is to stop, of those it is known to have (noteHandlers): deleted by
   * an admin (remembered, bounded by MAX_DELETED), or whose admin spec targets other agents only. Never
   * another agent's handler name, never a name the master does not know, and never one whose spec was
   * adopted: an agent that has it but is not among the adopted spec's targets reported a different spec (a
   * conflict, see adopt.ts) or was beyond its adoption cap, and its instances are left running until an
   * admin decides (applies a spec for that name, or deletes it).
   */
  removalsFor(agentId: string): string[] {
    return (own(this.data.agents, agentId)?.handlers ?? []).filter((name) => {
      if (this.wasDeleted(name)) return true;
      const current = own(this.data.specs, name)?.versions.at(-1);
      return !!current && !current.adopted && !this.agentsFor(current.spec).includes(agentId);
    });
  }

  /** How many adopted specs target `agentId` (bounded by adopt.ts's MAX_ADOPTED_PER_AGENT). */
  adoptedFor(agentId: string): number {
    let n = 0;
    for (const entry of Object.values(this.data.specs)) {
      const current = entry.versions.at(-1);
      if (current?.adopted && this.agentsFor(current.spec).includes(agentId)) n++;
    }
    return n;
  }

  /** Whether `name` was deleted by an admin (and not applied again since). */
  wasDeleted(name: string): boolean {
    return own(this.data.deleted, name) !== undefined;
  }

  /** The current version of a handler's spec. */
  getSpec(name: string): SpecVersion | undefined {
    const v = own(this.data.specs, name)?.versions.at(-1);
    return v ? structuredClone(v) : undefined;
  }

  /** One kept version of a handler's spec (for rollback). */
  getSpecVersion(name: string, version: number): SpecVersion | undefined {
    const v = own(this.data.specs, name)?.versions.find((x) => x.version === version);
    return v ? structuredClone(v) : undefined;
  }

  /** Every kept version of a handler, oldest first. */
  specHistory(name: string): SpecVersion[] {
    return structuredClone(own(this.data.specs, name)?.versions ?? []);
  }

  /** The current version of every handler, sorted by name. */
  listSpecs(): SpecVersion[] {
    return Object.keys(this.data.specs)
      .sort()
      .map((n) => this.getSpec(n))
      .filter((v): v is SpecVersion => v !== undefined);
  }

  /** Agents a spec is assigned to (see assignAgents). */
  agentsFor(spec: Pick<HandlerSpec, 'agents' | 'selector'>): string[] {
    return assignAgents(spec, Object.values(this.data.agents));
  }

  /** Current specs assigned to an agent, sorted by name. */
  specsForAgent(agentId: string): HandlerSpec[] {
    const out: HandlerSpec[] = [];
    for (const name of Object.keys(this.data.specs).sort()) {
      const v = own(this.data.specs, name)?.versions.at(-1);
      if (v && this.agentsFor(v.spec).includes(agentId)) out.push(structuredClone(v.spec));
    }
    return out;
  }

  // ---- instances ----

  /**
   * Replaces everything known about an agent's instances with its full inventory (from its hello). Only
   * instances this agent may report are kept (see `statusRefusal`); resolves with the number dropped.
   */
  async replaceInventory(agentId: string, statuses: readonly InstanceStatus[]): Promise<number> {
    if (statuses.length > AGENT_LIMITS.helloInstances)
      throw new ValidationError(
        `inventory of ${agentId}: ${statuses.length} instances, more than the ${AGENT_LIMITS.helloInstances} allowed`,
      );
    const at = this.iso();
    const previous = own(this.data.instances, agentId) ?? {};
    const map: MasterState['instances'][string] = {};
    let dropped = 0;
    for (const s of statuses) {
      if (!s.handler) throw new ValidationError(`inventory of ${agentId}: an instance has no handler name`);
      if (this.statusRefusal(agentId, s, map) !== null) {
        dropped++;
        continue;
      }
      map[instanceKeyOf(s)] = { status: boundStatus(s), reported_at: at };
    }
    await this.store.update((d) => {
      d.instances[agentId] = map;
    });
    for (const key of new Set([...Object.keys(previous), ...Object.keys(map)]))
      this.emitInstance(agentId, key, own(previous, key)?.status ?? null, own(map, key));
    return dropped;
  }

  /**
   * Records one status change pushed by an agent. A status for an instance the agent may not report is
   * dropped (nothing changes): resolves with why, or null when it was stored.
   */
  async reportStatus(agentId: string, status: InstanceStatus): Promise<string | null> {
    if (!status.handler) throw new ValidationError(`status from ${agentId}: no handler name`);
    const refusal = this.statusRefusal(agentId, status);
    if (refusal !== null) return refusal;
    const entry = { status: boundStatus(status), reported_at: this.iso() };
    const key = instanceKeyOf(status);
    const before = own(own(this.data.instances, agentId), key)?.status ?? null;
    const gone: [string, InstanceStatus][] = [];
    await this.store.update((d) => {
      const map = own(d.instances, agentId) ?? (d.instances[agentId] = {});
      if (status.observed && !own(map, key)) gone.push(...makeObservedRoom(map));
      map[key] = entry;
    });
    for (const [k, was] of gone) this.emitInstance(agentId, k, was, undefined);
    this.emitInstance(agentId, key, before, entry);
    return null;
  }

  /**
   * The one rule of what an agent may report (DESIGN §8): an instance of a handler assigned to it, with
   * an index below the handler's count; or a process it observes, named by the name rules, not a handler
   * assigned to it, and within `AGENT_LIMITS.observedPerAgent` per agent (`known` holds what is kept for
   * it so far). Returns why a status is refused, or null.
   */
  statusRefusal(
    agentId: string,
    s: InstanceStatus,
    known: MasterState['instances'][string] = own(this.data.instances, agentId) ?? {},
  ): string | null {
    const key = instanceKeyOf(s);
    const shown = JSON.stringify(bound(key));
    if (s.observed) {
      if (key !== s.handler || !isName(key)) return `observed process ${shown} is not a valid name`;
      const spec = this.getCurrent(key);
      if (spec && this.agentsFor(spec).includes(agentId))
        return `observed process ${shown} takes the name of a handler assigned to ${agentId}`;
      if (own(known, key)?.status.observed) return null;
      // Ended ones (kept to show how they ended) make room for new ones: see reportStatus.
      let n = 0;
      for (const e of Object.values(known)) if (e.status.observed && e.status.state !== 'exited') n++;
      return n < AGENT_LIMITS.observedPerAgent
        ? null
        : `more than ${AGENT_LIMITS.observedPerAgent} observed processes on ${agentId}`;
    }
    const { handler, index } = parseInstanceKey(key);
    if (handler !== s.handler || index !== (s.index ?? 0))
      return `instance key ${shown} does not match handler ${JSON.stringify(bound(s.handler))} index ${s.index ?? 0}`;
    const spec = this.getCurrent(handler);
    if (!spec || !this.agentsFor(spec).includes(agentId))
      return `handler ${JSON.stringify(bound(handler))} is not assigned to ${agentId}`;
    if (index >= (spec.count ?? 1)) return `instance ${shown} is beyond the handler's count (${spec.count})`;
    return null;
  }

  /** True when the master keeps a status for this instance key of the agent. */
  hasInstance(agentId: string, key: string): boolean {
    return own(own(this.data.instances, agentId), key) !== undefined;
  }

  private getCurrent(name: string): HandlerSpec | undefined {
    return own(this.data.specs, name)?.versions.at(-1)?.spec;
  }

  /**
   * Forgets the agent's instances that the current specs no longer place there (a handler moved away, a replica
   * beyond a lowered count): called once the agent applied its spec set, which stopped them. Their statuses
   * were refused from the change on (`statusRefusal`); without this their last one stayed listed, and a later
   * rollout counted them. Observed processes are left alone. Resolves with the keys forgotten.
   */
  async forgetUnplaced(agentId: string): Promise<string[]> {
    const map = own(this.data.instances, agentId) ?? {};
    const gone = Object.entries(map).filter(
      ([, e]) => !e.status.observed && this.statusRefusal(agentId, e.status, map) !== null,
    );
    if (gone.length === 0) return [];
    await this.store.update(() => {
      for (const [k] of gone) delete map[k];
    });
    for (const [k, e] of gone) this.emitInstance(agentId, k, e.status, undefined);
    return gone.map(([k]) => k);
  }

  /** Forgets a handler's instances on an agent (e.g. after the handler was deleted and the agent stopped them). */
  async forgetInstance(agentId: string, handler: string): Promise<boolean> {
    const map = own(this.data.instances, agentId);
    const keys = Object.keys(map ?? {}).filter(
      (k) => k === handler || own(map, k)?.status.handler === handler,
    );
    if (!map || keys.length === 0) return false;
    const before = keys.map((k) => [k, own(map, k)?.status ?? null] as const);
    await this.store.update(() => {
      for (const k of keys) delete map[k];
    });
    for (const [k, status] of before) this.emitInstance(agentId, k, status, undefined);
    return true;
  }

  /**
   * Tells listeners what one change stored for instance `key` of `agentId` (see RegistryEvents): `entry` is
   * what that change kept (undefined: forgotten) — not what is kept when the write is done, which a later
   * report may already have replaced (its own event says so).
   */
  private emitInstance(
    agentId: string,
    key: string,
    before: InstanceStatus | null,
    entry: { status: InstanceStatus; reported_at: string } | undefined,
  ): void {
    if (!entry && !before) return;
    const after: InstanceView | null = entry
      ? {
          agent: agentId,
          status: structuredClone(entry.status),
          stale: own(this.data.agents, agentId)?.connected !== true,
          reported_at: entry.reported_at,
        }
      : null;
    this.changes.emit('instance', { agent: agentId, key, before, after });
  }

  /** Last known status of every instance, sorted by handler then agent; `stale` when its agent is not connected. */
  listInstances(filter: { handler?: string; agent?: string } = {}): InstanceView[] {
    const out: InstanceView[] = [];
    for (const [agent, map] of Object.entries(this.data.instances)) {
      if (filter.agent && agent !== filter.agent) continue;
      const connected = own(this.data.agents, agent)?.connected === true;
      for (const entry of Object.values(map)) {
        if (filter.handler && entry.status.handler !== filter.handler) continue;
        out.push({
          agent,
          status: structuredClone(entry.status),
          stale: !connected,
          reported_at: entry.reported_at,
        });
      }
    }
    return out.sort((a, b) => compareInstanceCursors(instanceCursor(a), instanceCursor(b)));
  }
}

/** Where an instance sits in `listInstances` order (a page token holds the last one of a page). */
export interface InstanceCursor {
  handler: string;
  agent: string;
  index: number;
  key: string;
}

export function instanceCursor(v: Pick<InstanceView, 'agent' | 'status'>): InstanceCursor {
  return {
    handler: v.status.handler ?? '',
    agent: v.agent,
    index: v.status.index ?? 0,
    key: instanceKeyOf(v.status),
  };
}

/** The order of `listInstances`: handler, then agent, then index, then instance key (as an agent's local
 * `gov --local ps` orders them: compareNames). */
export function compareInstanceCursors(a: InstanceCursor, b: InstanceCursor): number {
  return (
    compareNames(a.handler, b.handler) ||
    compareNames(a.agent, b.agent) ||
    a.index - b.index ||
    compareNames(a.key, b.key)
  );
}

/** The key of an instance in the registry: its instance key (`web#1`), or the handler name. */
function instanceKeyOf(s: InstanceStatus): string {
  return s.instance || (s.handler as string);
}

/**
 * Before a new observed process is kept at the cap: forgets the observed ones that ended longest ago;
 * returns their keys and last statuses.
 */
function makeObservedRoom(map: MasterState['instances'][string]): [string, InstanceStatus][] {
  const observed = Object.entries(map).filter(([, e]) => e.status.observed);
  const ended = observed
    .filter(([, e]) => e.status.state === 'exited')
    .sort(([, a], [, b]) => a.reported_at.localeCompare(b.reported_at));
  const gone: [string, InstanceStatus][] = [];
  for (let extra = observed.length + 1 - AGENT_LIMITS.observedPerAgent; extra > 0; extra--) {
    const oldest = ended.shift();
    if (!oldest) break;
    delete map[oldest[0]];
    gone.push([oldest[0], oldest[1].status]);
  }
  return gone;
}

function copyAgent(a: AgentRecord): AgentRecord {
  return {
    ...a,
    labels: { ...a.labels },
    reported_labels: { ...a.reported_labels },
    ...(a.handlers ? { handlers: [...a.handlers] } : {}),
  };
}

/**
 * `map[key]` if `key` is one of its own entries. Names that are Object.prototype's members (`constructor` is a
 * valid handler name, and an agent's id is its certificate's CN) must never read what the map inherits.
 */
function own<T>(map: Record<string, T> | undefined, key: string): T | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}

/**
 * Deleted handler names remembered (oldest forgotten first): enough for any agent that was away, bounded
 * so that deletes cannot grow the store without end.
 */
export const MAX_DELETED = 1000;

/** Appends a spec version (history bounded by SPEC_HISTORY); a name applied again is no longer deleted. */
function pushVersion(d: MasterState, next: SpecVersion): void {
  const name = next.spec.name;
  const entry = own(d.specs, name) ?? (d.specs[name] = { name, versions: [] });
  entry.versions.push(next);
  if (entry.versions.length > SPEC_HISTORY) entry.versions.splice(0, entry.versions.length - SPEC_HISTORY);
  if (d.deleted) delete d.deleted[name];
}

/** An agent's reported tracking, kept only when it is one Governor knows (nothing else of a hello is trusted). */
function trackingOf(t: string | undefined): { tracking?: Tracking } {
  return (TRACKINGS as readonly string[]).includes(t ?? '') ? { tracking: t as Tracking } : {};
}
