/**
 * Applies and rollout starts over the same handler, at once, in process (scripted agent sessions, a real
 * registry and rollout engine): one of them is refused, and a refused Apply changed nothing — its spec is
 * neither stored nor rolled out. A change of where or how many times a handler runs (count) starts no
 * rollout and restarts nothing; once the agent applied it, the master forgets the replicas it removed. What
 * belongs together is one write (the specs and the rollout an Apply starts; a rollback's previous specs and
 * its rollout turned rolling_back): a master killed between two writes never finds one without the other.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { adminHandlers } from '../../master/api/admin-service.js';
import type { AgentSession } from '../../master/fleet/agent-session.js';
import { Fleet } from '../../master/fleet/fleet.js';
import { RolloutEngine } from '../../master/rollout/engine.js';
import { fleetPort } from '../../master/rollout/service.js';
import { RolloutStore } from '../../master/rollout/store.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { Registry } from '../../master/state/registry.js';
import { MASTER_STATE_FILE, openMasterStore, type MasterStore } from '../../master/state/store.js';
import { silentLogger } from '../../shared/logger.js';
import { tempDir, waitFor } from '../helpers/common.js';
import { ScriptedSession } from '../helpers/scripted-session.js';

describe('applies and rollout starts at once', () => {
  let store: MasterStore;
  let reg: Registry;
  let engine: RolloutEngine;
  let api: ReturnType<typeof adminHandlers>;
  let session: ScriptedSession;
  let dataDir: string;

  function call<Res>(method: keyof typeof api, request: Record<string, unknown>): Promise<Res> {
    const h = api[method] as unknown as (
      call: unknown,
      cb: (err: { details: string } | null, res?: Res) => void,
    ) => void;
    return new Promise((resolve, reject) =>
      h(
        {
          request,
          getAuthContext: () => ({ sslPeerCertificate: { subject: { CN: 'alice', OU: 'admin' } } }),
        },
        (err, res) => (err ? reject(new Error(err.details)) : resolve(res!)),
      ),
    );
  }
  const yaml = (env: string, count = 1) =>
    `handlers:\n  - name: web\n    agents: [edge-1]\n    count: ${count}\n    command: [node, x.js]\n    env: {V: "${env}"}\n`;
  const apply = (env: string, count = 1) => call('Apply', { yaml: yaml(env, count), file_name: 'h.yaml' });
  const startRollout = () =>
    call('StartRollout', { targets: { names: ['web'], all: false, selector: {}, agents: [] } });
  const currentEnv = () => reg.getSpec('web')?.spec.env.V;
  const report = async (count: number) => {
    for (let index = 0; index < count; index++)
      await reg.reportStatus('edge-1', {
        handler: 'web',
        instance: index === 0 ? 'web' : `web#${index}`,
        index,
        state: 'running',
        pid: 100 + index,
      });
  };

  beforeEach(async () => {
    dataDir = tempDir('gov-races-');
    store = await openMasterStore(dataDir);
    reg = new Registry(store);
    const fleet = new Fleet(
      reg,
      new ExecutionLog(store),
      { heartbeatIntervalMs: 1000, heartbeatGraceMs: 3000, metricsIntervalMs: 1000, commandTimeoutMs: 5000 },
      silentLogger,
    );
    engine = new RolloutEngine(fleetPort(fleet), new RolloutStore(store), silentLogger, { pollMs: 5 });
    api = adminHandlers(fleet, engine);
    await reg.upsertAgent({ agent_id: 'edge-1' });
    session = new ScriptedSession('edge-1');
    fleet.hub.add(session as unknown as AgentSession);
  });
  afterEach(async () => {
    engine.close();
    await store.close();
  });

  it('an Apply and a rollout start of the same handler: the later is refused, and a refused Apply stored nothing', async () => {
    await apply('1');
    await report(1);
    const [applied, started] = await Promise.allSettled([apply('2'), startRollout()]);
    assert.equal(applied.status, 'fulfilled', String((applied as PromiseRejectedResult).reason));
    assert.equal(started.status, 'rejected');
    assert.match(String((started as PromiseRejectedResult).reason), /web/);
    assert.equal(currentEnv(), '2');
    assert.deepEqual(
      engine.list('web').map((r) => r.kind),
      ['update'],
    );
  });

  it('a rollout start and an Apply: the Apply is refused and its spec is neither stored nor rolled out', async () => {
    await apply('1');
    await report(1);
    const [started, applied] = await Promise.allSettled([startRollout(), apply('2')]);
    assert.equal(started.status, 'fulfilled', String((started as PromiseRejectedResult).reason));
    assert.equal(applied.status, 'rejected');
    assert.match(String((applied as PromiseRejectedResult).reason), /rollout/);
    assert.equal(currentEnv(), '1', 'the refused spec is not the current one');
    const [r] = engine.list('web');
    assert.equal(r?.kind, 'restart');
    assert.equal(r?.to_version, r?.from_version, 'the restart rolls the spec that was current');
  });

  it('two Applies at once: the one refused is not the one stored', async () => {
    await apply('1');
    await report(1);
    const results = await Promise.allSettled([apply('A'), apply('B')]);
    const won = results.findIndex((x) => x.status === 'fulfilled');
    assert.equal(results.filter((x) => x.status === 'fulfilled').length, 1, 'one wins');
    assert.equal(currentEnv(), won === 0 ? 'A' : 'B');
    const [r] = engine.list('web');
    assert.equal(reg.getSpecVersion('web', r!.to_version)?.spec.env.V, currentEnv());
  });

  it('a count change starts no rollout and restarts nothing; the master then forgets the removed replicas', async () => {
    await apply('1', 3);
    await report(3);
    session.commands.length = 0;
    const res = await call<{ rollouts: unknown[] }>('Apply', { yaml: yaml('1', 1), file_name: 'h.yaml' });
    assert.deepEqual(res.rollouts, []);
    assert.deepEqual(
      session.commands.map((c) => c.kind),
      ['APPLY'],
    );
    assert.deepEqual(
      reg.listInstances({ handler: 'web' }).map((v) => v.status.instance),
      ['web'],
    );
  });

  it('an Apply stores its specs and the rolling update they start in one write: a master killed between two writes never finds one without the other', async () => {
    await apply('1');
    await report(1);
    // What master.json holds after each write the Apply waits for: a kill -9 there leaves exactly that.
    const onDisk: Array<{ version: number; rollouts: number[] }> = [];
    const update = store.update.bind(store);
    store.update = async (fn) => {
      await update(fn);
      const d = JSON.parse(readFileSync(path.join(dataDir, MASTER_STATE_FILE), 'utf8')) as {
        specs: Record<string, { versions: Array<{ version: number }> }>;
        rollouts: Record<string, { kind: string; to_version: number }>;
      };
      onDisk.push({
        version: d.specs.web!.versions.at(-1)!.version,
        rollouts: Object.values(d.rollouts)
          .filter((r) => r.kind === 'update')
          .map((r) => r.to_version),
      });
    };
    await apply('2');
    assert.ok(onDisk.length > 0, 'the Apply wrote');
    for (const state of onDisk)
      if (state.version === 2)
        assert.deepEqual(state.rollouts, [2], 'spec v2 on disk without its rolling update');
    assert.deepEqual(
      engine.list('web').map((r) => [r.kind, r.to_version]),
      [['update', 2]],
    );
  });

  it('a rollback stores the previous spec and the rollout turned rolling_back in one write: a master killed between two writes never finds one without the other', async () => {
    const update =
      'update: {batch_size: 1, min_healthy_time: 10ms, healthy_deadline: 2s, on_failure: rollback}';
    const file = (env: string) =>
      `handlers:\n  - name: web\n    agents: [edge-1]\n    command: [node, x.js]\n    env: {V: "${env}"}\n    ${update}\n`;
    await call('Apply', { yaml: file('1'), file_name: 'h.yaml' });
    await report(1);
    // Version 2 crashes at once; the rollback's UPDATE (version 1 again) runs.
    let pid = 500;
    session.answer = (cmd) => {
      if (cmd.kind !== 'UPDATE') return { ok: true, summary: 'ok' };
      const broken = cmd.specs?.[0]?.env?.V === '2';
      const status = {
        handler: 'web',
        instance: 'web',
        index: 0,
        state: broken ? 'backoff' : 'running',
        pid: broken ? 0 : ++pid,
      };
      void reg.reportStatus('edge-1', status);
      return { ok: true, summary: 'ok', instances: [status] as never };
    };
    // What master.json holds after each write: a kill -9 there leaves exactly that.
    const onDisk: Array<{ version: number; state: string; skipped: number }> = [];
    const write = store.update.bind(store);
    store.update = async (fn) => {
      await write(fn);
      const d = JSON.parse(readFileSync(path.join(dataDir, MASTER_STATE_FILE), 'utf8')) as {
        specs: Record<string, { versions: Array<{ version: number }> }>;
        rollouts: Record<string, { state: string; instances: Array<{ state: string }> }>;
      };
      const [r] = Object.values(d.rollouts);
      onDisk.push({
        version: d.specs.web!.versions.at(-1)!.version,
        state: r?.state ?? '',
        skipped: r?.instances.filter((i) => i.state === 'skipped').length ?? 0,
      });
    };
    await call('Apply', { yaml: file('2'), file_name: 'h.yaml' });
    const [r] = engine.list('web');
    const done = await waitFor(() =>
      ['rolled_back', 'failed'].includes(engine.get(r!.id).state) ? engine.get(r!.id) : null,
    );
    assert.equal(done.state, 'rolled_back', done.error);
    assert.ok(
      onDisk.some((x) => x.version === 3),
      'the previous spec was registered again (version 3)',
    );
    for (const x of onDisk) {
      if (x.version === 3)
        assert.notEqual(x.state, 'running', 'the previous spec current under a rollout still running');
      if (x.state === 'running')
        assert.equal(x.version, 2, 'a running rollout with its update undone on disk');
    }
  });
});
