/** Registry: spec versioning and history, assignment, instance staleness and persisted revocation. */
import assert from 'node:assert/strict';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { NotFoundError, PermissionError, ValidationError } from '../../shared/errors.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { Registry, SPEC_HISTORY, specHash } from '../../master/state/registry.js';
import { tempDir } from '../helpers/common.js';

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler({ command: ['node', 'server.js'], ...raw }, 'handlers[0]');
}

const stores: MasterStore[] = [];
async function open(dir = tempDir('gov-reg-')): Promise<{ dir: string; store: MasterStore; reg: Registry }> {
  const store = await openMasterStore(dir);
  stores.push(store);
  return { dir, store, reg: new Registry(store) };
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('registry', () => {
  it('specHash is stable and independent of key order', () => {
    const a = spec({ name: 'web', env: { A: '1', B: '2' }, agents: ['edge-1'] });
    const b = { ...a, env: { B: '2', A: '1' } };
    const reordered = Object.fromEntries(Object.entries(b).reverse()) as unknown as HandlerSpec;
    assert.equal(specHash(a), specHash(reordered));
    assert.notEqual(specHash(a), specHash({ ...a, env: { A: '1', B: '3' } }));
    assert.match(specHash(a), /^[0-9a-f]{64}$/);
  });

  it('versions specs: created, unchanged keeps the version, changed bumps it, old versions retrievable', async () => {
    const { reg, dir, store } = await open();
    const v1 = spec({ name: 'web', agents: ['edge-1'], env: { PORT: '8080' } });
    assert.deepEqual(await reg.applySpecs([v1]), [
      { name: 'web', version: 1, change: 'created', agents: ['edge-1'] },
    ]);
    const same = structuredClone(v1);
    assert.deepEqual(await reg.applySpecs([same]), [
      { name: 'web', version: 1, change: 'unchanged', agents: ['edge-1'] },
    ]);
    const v2 = spec({ name: 'web', agents: ['edge-1'], env: { PORT: '9090' } });
    const [applied] = await reg.applySpecs([v2]);
    assert.deepEqual(applied, { name: 'web', version: 2, change: 'updated', agents: ['edge-1'] });
    assert.equal(reg.getSpec('web')?.version, 2);
    assert.deepEqual(reg.getSpec('web')?.spec.env, { PORT: '9090' });
    assert.deepEqual(reg.getSpecVersion('web', 1)?.spec, v1);
    assert.equal(reg.getSpecVersion('web', 1)?.hash, specHash(v1));

    // History is bounded.
    for (let i = 0; i < SPEC_HISTORY + 3; i++)
      await reg.applySpecs([spec({ name: 'web', env: { I: String(i) } })]);
    const history = reg.specHistory('web');
    assert.equal(history.length, SPEC_HISTORY);
    assert.equal(history.at(-1)?.version, 2 + SPEC_HISTORY + 3);
    assert.equal(reg.getSpecVersion('web', 1), undefined);

    // Persisted: a reopened registry sees the same versions.
    await store.close();
    const again = await open(dir);
    assert.equal(again.reg.getSpec('web')?.version, 2 + SPEC_HISTORY + 3);
    assert.deepEqual(
      again.reg.listSpecs().map((v) => v.spec.name),
      ['web'],
    );
  });

  it('deleteSpec removes a handler; an unknown one is NotFound', async () => {
    const { reg } = await open();
    await reg.applySpecs([
      spec({ name: 'web', agents: ['edge-1'] }),
      spec({ name: 'api', agents: ['edge-2'] }),
    ]);
    assert.deepEqual(await reg.deleteSpec('web'), { name: 'web', version: 1, agents: ['edge-1'] });
    assert.equal(reg.getSpec('web'), undefined);
    assert.deepEqual(
      reg.listSpecs().map((v) => v.spec.name),
      ['api'],
    );
    await assert.rejects(reg.deleteSpec('web'), NotFoundError);
    await assert.rejects(reg.applySpecs([spec({ name: 'x' }), spec({ name: 'x' })]), /appears twice/);
  });

  it('assigns by explicit agents or by selector over known, non-revoked agents', async () => {
    const { reg } = await open();
    for (const [id, labels] of [
      ['edge-c', { region: 'west' }],
      ['edge-a', { region: 'west', role: 'web' }],
      ['edge-b', { region: 'east', role: 'web' }],
      ['edge-d', { region: 'west' }],
    ] as const) {
      await reg.upsertAgent({ agent_id: id, hostname: id.slice(-1) });
      await reg.setLabels(id, { set: labels });
    }
    await reg.revoke('edge-d');
    const west = spec({ name: 'west', selector: { region: 'west' } });
    const westWeb = spec({ name: 'west-web', selector: { region: 'west', role: 'web' } });
    const pinned = spec({ name: 'pinned', agents: ['edge-b', 'edge-new'] });
    const everywhere = spec({ name: 'everywhere' });
    assert.deepEqual(reg.agentsFor(west), ['edge-a', 'edge-c']);
    assert.deepEqual(reg.agentsFor(westWeb), ['edge-a']);
    assert.deepEqual(reg.agentsFor(pinned), ['edge-b', 'edge-new']);
    assert.deepEqual(reg.agentsFor(everywhere), ['edge-a', 'edge-b', 'edge-c']);
    const applied = await reg.applySpecs([west, westWeb, pinned, everywhere]);
    assert.deepEqual(applied.find((a) => a.name === 'west')?.agents, ['edge-a', 'edge-c']);
    assert.deepEqual(
      reg.specsForAgent('edge-a').map((s) => s.name),
      ['everywhere', 'west', 'west-web'],
    );
    assert.deepEqual(
      reg.specsForAgent('edge-b').map((s) => s.name),
      ['everywhere', 'pinned'],
    );
    assert.deepEqual(reg.specsForAgent('edge-d'), []);
  });

  it('instances keep their last status and are stale while their agent is disconnected', async () => {
    const { reg, dir, store } = await open();
    await reg.upsertAgent({ agent_id: 'edge-1', hostname: 'h1', version: '0.1.0', labels: {} });
    await reg.applySpecs([
      spec({ name: 'web', agents: ['edge-1'] }),
      spec({ name: 'api', agents: ['edge-1'] }),
    ]);
    await reg.replaceInventory('edge-1', [
      { handler: 'web', state: 'running', pid: 10 },
      { handler: 'api', state: 'backoff', pid: 0 },
    ]);
    let list = reg.listInstances();
    assert.deepEqual(
      list.map((i) => [i.status.handler, i.agent, i.status.state, i.stale]),
      [
        ['api', 'edge-1', 'backoff', false],
        ['web', 'edge-1', 'running', false],
      ],
    );
    await reg.reportStatus('edge-1', { handler: 'api', state: 'running', pid: 11 });
    await reg.setConnected('edge-1', false);
    list = reg.listInstances({ handler: 'api' });
    assert.equal(list.length, 1);
    assert.equal(list[0]?.stale, true);
    assert.equal(list[0]?.status.pid, 11, 'last known status kept, not guessed');
    assert.equal(reg.getAgent('edge-1')?.connected, false);

    // The inventory of a reconnecting agent replaces what was known.
    await reg.setConnected('edge-1', true);
    await reg.replaceInventory('edge-1', [{ handler: 'web', state: 'running', pid: 10 }]);
    assert.deepEqual(
      reg.listInstances({ agent: 'edge-1' }).map((i) => [i.status.handler, i.stale]),
      [['web', false]],
    );
    assert.equal(await reg.forgetInstance('edge-1', 'web'), true);
    assert.equal(await reg.forgetInstance('edge-1', 'web'), false);
    await reg.reportStatus('edge-1', { handler: 'web', state: 'running', pid: 12 });

    // After a master restart, every agent starts disconnected: its instances are stale until it says hello.
    await store.close();
    const again = await open(dir);
    assert.deepEqual(
      again.reg.listInstances().map((i) => [i.status.handler, i.status.pid, i.stale]),
      [['web', 12, true]],
    );
    await assert.rejects(again.reg.setConnected('nobody', true), NotFoundError);
  });

  it('names that are Object.prototype members are entries like any other, and __proto__ is no agent id', async () => {
    const { reg, dir, store } = await open();
    // Never seen: not found, nothing made (the table's inherited members are no agents).
    for (const id of ['constructor', 'toString', 'hasOwnProperty'])
      await assert.rejects(reg.setLabels(id, { set: { a: 'b' } }), NotFoundError, id);
    assert.equal(reg.getAgent('toString'), undefined);
    assert.equal(reg.isRevoked('constructor'), false);
    for (const refused of [reg.revoke('__proto__'), reg.upsertAgent({ agent_id: '__proto__' })])
      await assert.rejects(refused, ValidationError);
    assert.deepEqual(reg.listAgents(), []);
    assert.equal(Object.getPrototypeOf(store.data.agents), Object.prototype, 'the table kept its prototype');

    // An agent and a handler each named `constructor` (valid names), with a status and an observed process.
    await reg.upsertAgent({ agent_id: 'constructor', hostname: 'h' });
    await reg.setLabels('constructor', { set: { zone: 'a' } });
    assert.equal(reg.getAgent('constructor')?.labels.zone, 'a');
    const [applied] = await reg.applySpecs([spec({ name: 'constructor', agents: ['constructor'] })]);
    assert.equal(applied?.version, 1);
    assert.deepEqual(
      reg.specsForAgent('constructor').map((s) => s.name),
      ['constructor'],
    );
    assert.equal(
      await reg.reportStatus('constructor', { handler: 'constructor', state: 'running', pid: 7 }),
      null,
    );
    await reg.replaceInventory('constructor', [
      { handler: 'constructor', state: 'running', pid: 7 },
      { handler: 'valueof', state: 'running', pid: 8, observed: true },
    ]);
    assert.equal(reg.hasInstance('constructor', 'constructor'), true);
    assert.equal(reg.hasInstance('edge-1', 'constructor'), false);
    await reg.revoke('toString'); // not seen yet: revoked ahead of time, as any other id
    await store.close();
    const again = await open(dir);
    assert.deepEqual(
      again.reg.listAgents().map((a) => [a.id, a.revoked]),
      [
        ['constructor', false],
        ['toString', true],
      ],
    );
    assert.equal(again.reg.getSpec('constructor')?.version, 1);
    assert.equal(typeof Object.prototype.constructor, 'function', 'nothing was written onto Object');
  });

  it('unrevoke lifts a revocation persistently; an id revoked before it was ever seen is forgotten again', async () => {
    const { reg, dir, store } = await open();
    await reg.upsertAgent({ agent_id: 'edge-1', hostname: 'h1' });
    await reg.setLabels('edge-1', { set: { region: 'west' } });
    await reg.revoke('edge-1');
    await reg.revoke('edge-9'); // never seen
    const lifted = await reg.unrevoke('edge-1');
    assert.deepEqual([lifted.revoked, lifted.connected, lifted.hostname], [false, false, 'h1']);
    assert.equal((await reg.unrevoke('edge-9')).revoked, false);
    assert.equal(reg.getAgent('edge-9'), undefined, 'a record only revoke made is gone');
    assert.equal((await reg.unrevoke('edge-1')).revoked, false, 'not revoked: answered as it is');
    await assert.rejects(reg.unrevoke('edge-7'), /unknown agent "edge-7"/);

    await store.close();
    const again = await open(dir);
    assert.deepEqual(
      again.reg.listAgents().map((a) => [a.id, a.revoked, a.labels.region]),
      [['edge-1', false, 'west']],
    );
    assert.equal((await again.reg.upsertAgent({ agent_id: 'edge-1' })).connected, true);
    assert.equal((await again.reg.upsertAgent({ agent_id: 'edge-9' })).connected, true);
  });

  it('revocation is persisted and refuses the agent from then on', async () => {
    const { reg, dir, store } = await open();
    await reg.upsertAgent({ agent_id: 'edge-1', hostname: 'h1' });
    await reg.setLabels('edge-1', { set: { region: 'west' } });
    reg.touch('edge-1');
    const revoked = await reg.revoke('edge-1');
    assert.equal(revoked.revoked, true);
    assert.equal(revoked.connected, false);
    await reg.revoke('edge-9'); // never seen: revoked ahead of time
    assert.equal(reg.isRevoked('edge-1'), true);
    await assert.rejects(reg.upsertAgent({ agent_id: 'edge-1' }), PermissionError);

    await store.close();
    const again = await open(dir);
    assert.equal(again.reg.isRevoked('edge-1'), true);
    assert.equal(again.reg.isRevoked('edge-9'), true);
    assert.equal(again.reg.isRevoked('edge-2'), false);
    assert.equal(again.reg.getAgent('edge-1')?.labels.region, 'west');
    await assert.rejects(again.reg.upsertAgent({ agent_id: 'edge-9' }), PermissionError);
    const ok = await again.reg.upsertAgent({ agent_id: 'edge-2', hostname: 'h2' });
    assert.equal(ok.connected, true);
    assert.deepEqual(
      again.reg.listAgents().map((a) => [a.id, a.connected, a.revoked]),
      [
        ['edge-1', false, true],
        ['edge-2', true, false],
        ['edge-9', false, true],
      ],
    );
  });
});
