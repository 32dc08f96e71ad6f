/**
 * One rollout over many handlers (no processes): batches spread over agents and handlers, the handlers'
 * update blocks merged by the strictest, a refusal while any covered handler is held, each handler rolled
 * back to its own previous version, and records from before `handlers` existed still load.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRollout } from '../../master/rollout/create.js';
import { RolloutEngine } from '../../master/rollout/engine.js';
import { strictestPolicy } from '../../master/rollout/policy.js';
import type { RolloutPort } from '../../master/rollout/step.js';
import { RolloutStore } from '../../master/rollout/store.js';
import type { RolloutRecord } from '../../master/rollout/types.js';
import type { InstanceView, SpecVersion } from '../../master/state/registry.js';
import {
  emptyMasterState,
  MASTER_STATE_FILE,
  openMasterStore,
  type MasterState,
  type StateStore,
} from '../../master/state/store.js';
import { silentLogger } from '../../shared/logger.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { DEFAULT_UPDATE, type UpdateSpec } from '../../shared/update-policy.js';
import { tempDir, waitFor } from '../helpers/common.js';

const AGENTS = ['edge-1', 'edge-2', 'edge-3'];
/** h01…h12, four on each agent: h01-h04 on edge-1, h05-h08 on edge-2, h09-h12 on edge-3. */
const NAMES = Array.from({ length: 12 }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
const agentOf = (name: string): string => AGENTS[Math.floor((Number(name.slice(1)) - 1) / 4)]!;

function memoryStore(data: MasterState = emptyMasterState()): StateStore {
  return { data, update: async (fn) => fn(data), flush: async () => {}, saveExecutions: async () => {} };
}

function specOf(
  name: string,
  update: Record<string, unknown>,
  env: Record<string, string> = {},
): HandlerSpec {
  return parseHandler({ name, command: ['x'], agents: [agentOf(name)], count: 1, update, env }, 'h');
}

/** Single-instance handlers, each on its own agent; UPDATE gives a new pid, `BROKEN` specs crash. */
class ManyFleet implements RolloutPort {
  readonly versions = new Map<string, SpecVersion[]>();
  readonly views: InstanceView[] = [];
  readonly commands: Array<{ handler: string; version: string }> = [];
  private pid = 1000;

  constructor(names: readonly string[], update: (name: string) => Record<string, unknown>) {
    for (const name of names) {
      this.addVersion(specOf(name, update(name), { V: '1' }));
      this.views.push({
        agent: agentOf(name),
        stale: false,
        reported_at: '',
        status: {
          handler: name,
          instance: name,
          index: 0,
          state: 'running',
          health: 'none',
          pid: ++this.pid,
        },
      });
    }
  }

  addVersion(spec: HandlerSpec): SpecVersion {
    const list = this.versions.get(spec.name) ?? [];
    const v = { version: list.length + 1, hash: String(list.length + 1), spec, applied_at: '' };
    list.push(v);
    this.versions.set(spec.name, list);
    return v;
  }

  async command(req: Parameters<RolloutPort['command']>[0]) {
    const [spec] = req.specs!;
    const v = this.views.find((x) => x.agent === req.agent && x.status.instance === req.instance)!;
    await req.onBegun?.(`e${this.commands.length}`, `e${this.commands.length}-c`); // as the dispatcher: about to send
    this.commands.push({ handler: req.handler, version: spec!.env.V! });
    const broken = spec!.env.BROKEN === '1';
    v.status = {
      ...v.status,
      pid: broken ? 0 : ++this.pid,
      state: broken ? 'backoff' : 'running',
      last_exit: broken ? { code: 1, signal: '', at: '' } : null,
    };
    return { record: { status: 'success', error: '' } as never, result: { instances: [v.status] } as never };
  }
  isConnected() {
    return true;
  }
  instances(handler: string) {
    return this.views
      .filter((v) => v.status.handler === handler)
      .map((v) => ({ ...v, status: { ...v.status } }));
  }
  spec(handler: string, version?: number) {
    const list = this.versions.get(handler) ?? [];
    return version === undefined ? list.at(-1) : list.find((v) => v.version === version);
  }
  agentsFor(spec: HandlerSpec) {
    return spec.agents;
  }
  async pushSpecs() {} // every handler here keeps its count and agent
  async reRegister(specs: HandlerSpec[], alongside: (versions: number[], d: MasterState) => void) {
    const versions = specs.map((spec) => this.addVersion(spec).version);
    alongside(versions, emptyMasterState()); // the engine's own save stores the record in this fake
    return versions;
  }
}

const FAST = { batch_size: '25%', min_healthy_time: '20ms', healthy_deadline: '2s' };

function setup(update: (name: string) => Record<string, unknown> = () => FAST) {
  const fleet = new ManyFleet(NAMES, update);
  const engine = new RolloutEngine(fleet, new RolloutStore(memoryStore()), silentLogger, { pollMs: 5 });
  return { fleet, engine };
}

const current = (fleet: ManyFleet, name: string) => ({
  handler: name,
  from: fleet.spec(name)!,
  to: fleet.spec(name)!,
});

async function settled(engine: RolloutEngine, id: string, states: string[]): Promise<RolloutRecord> {
  return waitFor(() => (states.includes(engine.get(id).state) ? engine.get(id) : null), {
    timeoutMs: 5000,
    what: `rollout ${id} ${states.join('|')}`,
  });
}

/** Every handler of `fleet` at version 1, as createRollout takes them (a rolling restart of all). */
function restartOfAll(fleet: ManyFleet) {
  return NAMES.map((name) => ({
    handler: name,
    from_version: 1,
    to_version: 1,
    spec: fleet.spec(name)!.spec,
    instances: fleet.instances(name),
    agents: [agentOf(name)],
  }));
}

describe('rollout over many handlers', () => {
  it('12 single-instance handlers on 3 agents at 25%: 4 batches of 3, one instance per agent each', () => {
    const fleet = new ManyFleet(NAMES, () => FAST);
    const r = createRollout({
      kind: 'restart',
      handlers: restartOfAll(fleet),
      issuedBy: 't',
      now: 0,
    });
    assert.equal(r.batches.length, 4);
    for (const b of r.batches) {
      assert.equal(b.instances.length, 3);
      assert.deepEqual(b.instances.map((k) => k.split('/')[0]).sort(), AGENTS, `batch ${b.index}`);
    }
    assert.deepEqual(r.batches[1]!.instances, ['edge-1/h02', 'edge-2/h06', 'edge-3/h10']);
    assert.deepEqual(new Set(r.instances.map((i) => i.handler)), new Set(NAMES));
    assert.equal(r.handlers.length, 12);
    assert.equal(r.handler, 'h01', 'handler stays the first one');
    assert.ok(
      r.instances.every((i) => i.instance === i.handler),
      'each instance carries its handler',
    );
  });

  it('a min_healthy_time asked for that the handlers’ healthy_deadline cannot fit is refused saying which came from where', () => {
    const fleet = new ManyFleet(NAMES, () => FAST); // healthy_deadline 2s
    const plan = (overrides: Partial<UpdateSpec>) => () =>
      createRollout({
        kind: 'restart',
        handlers: restartOfAll(fleet),
        overrides,
        issuedBy: 't',
        now: 0,
      });
    assert.throws(plan({ min_healthy_time_ms: 120_000 }), {
      message:
        "healthy_deadline: 2000 ms must be longer than min_healthy_time (120000 ms); min_healthy_time is the one asked for, healthy_deadline the handlers' update blocks': ask for a longer healthy_deadline too",
    });
    assert.throws(
      plan({ healthy_deadline_ms: 10 }),
      /healthy_deadline is the one asked for, min_healthy_time the handlers'/,
    );
    // Both asked for: the request alone is wrong, nothing to explain.
    assert.throws(plan({ min_healthy_time_ms: 5000, healthy_deadline_ms: 4000 }), {
      message: 'healthy_deadline: 4000 ms must be longer than min_healthy_time (5000 ms)',
    });
  });

  it('merges the handlers’ update blocks by the strictest, field by field', () => {
    const a: UpdateSpec = {
      ...DEFAULT_UPDATE,
      batch_size: '25%',
      min_healthy_time_ms: 1000,
      on_failure: 'abort',
    };
    const b: UpdateSpec = {
      ...DEFAULT_UPDATE,
      batch_size: '2',
      min_healthy_time_ms: 3000,
      healthy_deadline_ms: 90_000,
      progress_deadline_ms: 60_000,
      wait_between_ms: 500,
      on_failure: 'pause',
    };
    const m = strictestPolicy([a, b], 12);
    assert.equal(m.batch_size, '2', '2 instances beats 25% of 12 (3)');
    assert.equal(strictestPolicy([a, b], 4).batch_size, '25%', '25% of 4 (1) beats 2');
    assert.equal(m.min_healthy_time_ms, 3000);
    assert.equal(m.healthy_deadline_ms, 90_000);
    assert.equal(m.progress_deadline_ms, DEFAULT_UPDATE.progress_deadline_ms);
    assert.equal(m.wait_between_ms, 500);
    assert.equal(m.on_failure, 'pause', 'pause beats abort');
    assert.equal(strictestPolicy([a, b, { ...a, on_failure: 'rollback' }], 12).on_failure, 'rollback');
    assert.deepEqual(strictestPolicy([a], 12), a, 'one block is taken as it is');
  });

  it('a rollout is planned with the merged policy (one handler asking for 1 at a time wins)', async () => {
    const { fleet, engine } = setup((name) => (name === 'h07' ? { ...FAST, batch_size: 1 } : FAST));
    const r = await engine.create({
      kind: 'restart',
      handlers: NAMES.map((n) => current(fleet, n)),
      issuedBy: 't',
    });
    assert.equal(r.batch_size, '1');
    assert.equal(r.batches.length, 12);
  });

  it('refused while a rollout covering ANY of the handlers is active; APPLY holds every handler covered', async () => {
    const { fleet, engine } = setup();
    const first = await engine.create({
      kind: 'update',
      handlers: ['h01', 'h02'].map((n) => current(fleet, n)),
      issuedBy: 't',
    });
    assert.deepEqual(engine.heldHandlers().sort(), ['h01', 'h02']);
    await assert.rejects(
      engine.create({
        kind: 'restart',
        handlers: ['h03', 'h02'].map((n) => current(fleet, n)),
        issuedBy: 't',
      }),
      new RegExp(`handler h02 has rollout ${first.id} pending`),
    );
    assert.throws(() => engine.assertIdle('h05', 'h01'), /handler h01 has rollout/);
    assert.equal(engine.list().length, 1, 'the refused rollout was not recorded');
    assert.deepEqual(
      engine.list('h02').map((r) => r.id),
      [first.id],
      'listing by handler finds the rollouts that cover it',
    );
  });

  it('restarts every handler in one rollout, each instance once', async () => {
    const { fleet, engine } = setup();
    const r = await engine.create({
      kind: 'restart',
      handlers: NAMES.map((n) => current(fleet, n)),
      issuedBy: 't',
    });
    engine.run(r.id);
    const done = await settled(engine, r.id, ['succeeded', 'paused', 'failed']);
    assert.equal(done.state, 'succeeded', done.error);
    assert.deepEqual(fleet.commands.map((c) => c.handler).sort(), NAMES);
    assert.ok(done.instances.every((i) => i.state === 'healthy' && i.new_pid !== i.old_pid));
  });

  it('rollback of an update registers every handler’s previous version again and steps back only the changed instances', async () => {
    const { fleet, engine } = setup();
    const handlers = NAMES.map((name) => {
      const from = fleet.spec(name)!;
      // Batch 2 (h02, h06, h10): h06's new version crashes.
      const env: Record<string, string> = name === 'h06' ? { V: '2', BROKEN: '1' } : { V: '2' };
      const to = fleet.addVersion(specOf(name, { ...FAST, on_failure: 'rollback' }, env));
      return { handler: name, from, to };
    });
    const r = await engine.create({ kind: 'update', handlers, issuedBy: 't' });
    engine.run(r.id);
    const done = await settled(engine, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'rolled_back', done.error);
    assert.match(done.error, /instance h06@edge-2 failed/);
    const changed = ['h01', 'h05', 'h09', 'h02', 'h06', 'h10'];
    // The update is undone as a whole: every handler's previous spec is current again, changed or not.
    for (const h of done.handlers) {
      assert.equal(h.rollback_version, 3, `${h.name} registered again`);
      assert.deepEqual(
        fleet.spec(h.name)!.spec.env,
        { V: '1' },
        `${h.name} current spec is the previous one`,
      );
    }
    assert.deepEqual(
      done.instances
        .filter((i) => i.state === 'rolled_back')
        .map((i) => i.handler)
        .sort(),
      [...changed].sort(),
    );
    assert.ok(done.instances.filter((i) => i.batch >= 2).every((i) => i.state === 'skipped'));
    assert.equal(fleet.commands.filter((c) => c.version === '1').length, 6, 'six rollback steps');
    assert.deepEqual(engine.heldHandlers(), [], 'a rolled back update holds nothing');
  });

  it('a rollout over many handlers in flight when the master stopped comes back paused and resumes to the end', async () => {
    const fleet = new ManyFleet(NAMES, () => ({ ...FAST, min_healthy_time: '60ms' }));
    const data = emptyMasterState();
    const engine = new RolloutEngine(fleet, new RolloutStore(memoryStore(data)), silentLogger, { pollMs: 5 });
    const r = await engine.create({
      kind: 'restart',
      handlers: NAMES.map((n) => current(fleet, n)),
      issuedBy: 't',
    });
    engine.run(r.id);
    await waitFor(
      () =>
        engine.get(r.id).current_batch >= 1 &&
        engine.get(r.id).instances.some((i) => i.state === 'in_progress'),
    );
    engine.close(); // the "crash": nothing more is written
    const engine2 = new RolloutEngine(
      fleet,
      new RolloutStore(memoryStore(structuredClone(data))),
      silentLogger,
      {
        pollMs: 5,
      },
    );
    await engine2.restore();
    const back = engine2.get(r.id);
    assert.equal(back.state, 'paused');
    assert.equal(back.handlers.length, 12);
    assert.throws(() => engine2.assertIdle('h12'), /paused/, 'a paused rollout still holds every handler');
    await engine2.resume(r.id);
    const done = await settled(engine2, r.id, ['succeeded']);
    assert.ok(done.instances.every((i) => i.state === 'healthy'));
    assert.deepEqual([...new Set(fleet.commands.map((c) => c.handler))].sort(), NAMES);
  });

  it('a record from before rollouts covered several handlers loads and is migrated', async () => {
    const old = {
      id: 'ro-old',
      handler: 'web',
      kind: 'restart',
      state: 'running',
      from_version: 2,
      to_version: 2,
      rollback_version: 0,
      batches: [{ index: 0, state: 'in_progress', started_at: '', done_at: '', instances: ['edge-1/web'] }],
      instances: [
        { agent: 'edge-1', instance: 'web', batch: 0, state: 'in_progress', old_pid: 1, new_pid: 0 },
      ],
      current_batch: 0,
      created_at: '2025-01-01T00:00:00.000Z',
      ...DEFAULT_UPDATE,
    };
    // The store's shape check takes the old record and the new one.
    const dir = tempDir('gov-rollout-old-');
    const fresh = {
      ...old,
      id: 'ro-new',
      handlers: [{ name: 'web', from_version: 2, to_version: 2, rollback_version: 0 }],
    };
    fresh.instances = [{ ...old.instances[0]!, handler: 'web' } as never];
    writeFileSync(
      path.join(dir, MASTER_STATE_FILE),
      JSON.stringify({ rollouts: { 'ro-old': old, 'ro-new': fresh } }),
    );
    const store = await openMasterStore(dir);
    try {
      const rollouts = new RolloutStore(store);
      assert.deepEqual((await rollouts.recover('2025-01-01T00:01:00.000Z')).sort(), ['ro-new', 'ro-old']);
      const r = rollouts.get('ro-old')!;
      assert.deepEqual(r.handlers, [{ name: 'web', from_version: 2, to_version: 2, rollback_version: 0 }]);
      assert.equal(r.instances[0]!.handler, 'web');
      assert.equal(r.state, 'paused');
      assert.deepEqual(
        rollouts.list('web').map((x) => x.id),
        ['ro-old', 'ro-new'].sort((a, b) => b.localeCompare(a)),
      );
    } finally {
      await store.close();
    }
    writeFileSync(
      path.join(dir, MASTER_STATE_FILE),
      JSON.stringify({ rollouts: { r: { ...fresh, handlers: [{ name: 7 }] } } }),
    );
    await assert.rejects(
      openMasterStore(dir),
      /rollouts\.r\.handlers\[0\]\.name: expected a string, got number/,
    );
  });
});
