/**
 * The rollout engine's fakes (no processes): a fleet of one handler on a few agents behind the RolloutPort,
 * an in-memory master store, and helpers to create, restart and wait for rollouts.
 */
import { instanceSpecHash } from '../../shared/spec-hash.js';
import { emptyMasterState, type MasterState, type StateStore } from '../../master/state/store.js';
import type { InstanceView, SpecVersion } from '../../master/state/registry.js';
import { RolloutEngine } from '../../master/rollout/engine.js';
import type { RolloutPort } from '../../master/rollout/step.js';
import { RolloutStore } from '../../master/rollout/store.js';
import type { RolloutRecord } from '../../master/rollout/types.js';
import { silentLogger } from '../../shared/logger.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { waitFor } from '../helpers/common.js';

export function memoryStore(data: MasterState = emptyMasterState()): StateStore {
  return { data, update: async (fn) => fn(data), flush: async () => {}, saveExecutions: async () => {} };
}

/**
 * A fleet of `agents × count` instances; UPDATE gives a new pid, `broken` specs crash. An agent in `down`
 * is not connected: its commands are refused before they are sent (as the dispatcher does); one in
 * `disconnected` drops each command after it was sent.
 */
export class FakeFleet implements RolloutPort {
  readonly views: InstanceView[] = [];
  readonly versions: SpecVersion[] = [];
  readonly commands: Array<{ instance: string; version: string; at: number }> = [];
  readonly disconnected = new Set<string>();
  readonly down = new Set<string>();
  /** Instances (`agent/instance`) an operator stopped: an UPDATE stores the spec and leaves them stopped. */
  readonly stopped = new Set<string>();
  /** Called with `agent/instance` as each command arrives, before it is sent. */
  onCommand: (key: string) => void | Promise<void> = () => {};
  /** Called with `agent/instance` once a command was sent, before the agent carries it out and answers. */
  onSent: (key: string) => void | Promise<void> = () => {};
  /** Every command this fake received (sent or not); a runaway loop fails the step instead of spinning. */
  received = 0;
  /** Commands sent again by their stored ids (`redeliver`), as `agent/instance command-id`. */
  readonly redelivered: string[] = [];
  private pid = 1000;
  private seq = 0;
  /** Statuses carry the spec's real instance hash and count restarts, as an agent reports them. */
  agentLike = false;

  constructor(
    readonly agents: string[],
    count: number,
    update: Record<string, unknown>,
  ) {
    this.addVersion({ env: { V: '1' } }, update, count);
    for (const agent of agents)
      for (let index = 0; index < count; index++)
        this.views.push({
          agent,
          stale: false,
          reported_at: '',
          status: {
            handler: 'web',
            instance: index ? `web#${index}` : 'web',
            index,
            state: 'running',
            health: 'none',
            pid: ++this.pid,
            spec_hash: '1',
          },
        });
  }

  addVersion(extra: Record<string, unknown>, update: Record<string, unknown>, count = 2): SpecVersion {
    const spec = parseHandler(
      { name: 'web', command: ['x'], agents: this.agents, count, update, ...extra },
      'h',
    );
    const v = {
      version: this.versions.length + 1,
      hash: String(this.versions.length + 1),
      spec,
      applied_at: '',
    };
    this.versions.push(v);
    return v;
  }

  view(key: string): InstanceView {
    const [agent, instance] = key.split('/');
    return this.views.find((v) => v.agent === agent && v.status.instance === instance)!;
  }

  async command(req: Parameters<RolloutPort['command']>[0]) {
    const [spec] = req.specs!;
    const key = `${req.agent}/${req.instance}`;
    if (++this.received > 200) throw new Error('runaway: the rollout keeps sending commands');
    await this.onCommand(key);
    const v = this.view(key);
    const record = { id: 'x', status: 'success', error: '' } as never;
    if (this.down.has(req.agent)) {
      const error = `agent ${req.agent} is not connected (never seen); the command was not sent`;
      return { record: { status: 'error', error } as never, result: null };
    }
    if (req.redeliver) {
      // The agent answers a command id it carried out from its cache: nothing is done again.
      this.redelivered.push(`${req.agent}/${req.instance} ${req.redeliver.commandId}`);
      return { record, result: { instances: [v.status] } as never };
    }
    const n = ++this.seq;
    await req.onBegun?.(`e${n}`, `e${n}-c`);
    this.commands.push({ instance: key, version: spec!.env.V!, at: Date.now() });
    await this.onSent(key);
    if (this.disconnected.has(req.agent))
      return { record: { status: 'error', error: 'agent gone' } as never, result: null };
    if (this.stopped.has(key)) {
      v.status = { ...v.status, pid: 0, state: 'stopped', spec_hash: spec!.env.V };
      return { record, result: { instances: [v.status] } as never };
    }
    const broken = spec!.env.BROKEN === '1';
    v.status = {
      ...v.status,
      pid: broken ? 0 : ++this.pid,
      state: broken ? 'backoff' : 'running',
      spec_hash: this.agentLike ? instanceSpecHash(spec!) : spec!.env.V,
      restarts: (v.status.restarts ?? 0) + (this.agentLike ? 1 : 0),
      last_exit: broken ? { code: 1, signal: '', at: '' } : null,
    };
    return { record, result: { instances: [v.status] } as never };
  }
  isConnected(agent: string) {
    return !this.disconnected.has(agent) && !this.down.has(agent);
  }
  instances() {
    return this.views.map((v) => ({ ...v, status: { ...v.status } }));
  }
  spec(_h: string, version?: number) {
    return version === undefined ? this.versions.at(-1) : this.versions.find((v) => v.version === version);
  }
  agentsFor() {
    return this.agents;
  }
  /** The APPLY pushes a rollback made (the agents of each). */
  readonly pushes: string[][] = [];
  async pushSpecs(agents: string[]) {
    this.pushes.push(agents);
  }
  async reRegister(specs: HandlerSpec[], alongside: (versions: number[], d: MasterState) => void) {
    const versions = specs.map((spec) => {
      const v = { version: this.versions.length + 1, hash: 'r', spec, applied_at: '' };
      this.versions.push(v);
      return v.version;
    });
    alongside(versions, emptyMasterState()); // the engine's own save stores the record in this fake
    return versions;
  }
}

export const UPDATE = { batch_size: 2, min_healthy_time: '30ms', healthy_deadline: '2s' };

export function setup(update: Record<string, unknown> = UPDATE) {
  const fleet = new FakeFleet(['edge-1', 'edge-2', 'edge-3'], 2, update);
  const data = emptyMasterState();
  const engine = new RolloutEngine(fleet, new RolloutStore(memoryStore(data)), silentLogger, { pollMs: 5 });
  return { fleet, data, engine };
}

/** Creates (does not run) a rolling update of `web` from version 1 to `to`. */
export function updateTo(fleet: FakeFleet, engine: RolloutEngine, to: SpecVersion): Promise<RolloutRecord> {
  return engine.create({
    kind: 'update',
    handlers: [{ handler: 'web', from: fleet.versions[0]!, to }],
    issuedBy: 't',
  });
}

/** Creates (does not run) a rolling restart of `web` at version 1. */
export function restartAll(fleet: FakeFleet, engine: RolloutEngine): Promise<RolloutRecord> {
  const v1 = fleet.versions[0]!;
  return engine.create({ kind: 'restart', handlers: [{ handler: 'web', from: v1, to: v1 }], issuedBy: 't' });
}

/** The engine of a master started again over what the stopped one had stored (a copy of `data`). */
export function restartedEngine(fleet: FakeFleet, data: MasterState): RolloutEngine {
  return new RolloutEngine(fleet, new RolloutStore(memoryStore(structuredClone(data))), silentLogger, {
    pollMs: 5,
  });
}

export async function settled(engine: RolloutEngine, id: string, states: string[]): Promise<RolloutRecord> {
  return waitFor(() => (states.includes(engine.get(id).state) ? engine.get(id) : null), {
    timeoutMs: 5000,
    what: `rollout ${id} ${states.join('|')}`,
  });
}
