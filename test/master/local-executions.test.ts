/**
 * What an agent may add to the execution log for its local control socket (DESIGN §8: an agent speaks only
 * for itself): reports about its own handlers, issued by `local:<uid>`, of a control kind, strings bounded;
 * each id recorded once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LocalExecution__Output } from '../../proto/generated/governor/v1/LocalExecution.js';
import { AGENT_LIMITS } from '../../master/fleet/agent-input.js';
import { recordLocalExecution } from '../../master/fleet/local-executions.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { Registry } from '../../master/state/registry.js';
import { parseHandler } from '../../shared/spec.js';
import { tempDir } from '../helpers/common.js';

const stores: MasterStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function setup(
  capacity?: number,
): Promise<{ registry: Registry; log: ExecutionLog; store: MasterStore; dir: string }> {
  const dir = tempDir('gov-local-exec-');
  const store = await openMasterStore(dir);
  stores.push(store);
  const registry = new Registry(store);
  for (const id of ['edge-1', 'edge-2']) await registry.upsertAgent({ agent_id: id });
  await registry.applySpecs([
    parseHandler({ name: 'web', agents: ['edge-1'], command: ['node', 'a.js'] }, 'handlers[0]'),
    parseHandler({ name: 'db', agents: ['edge-2'], command: ['node', 'b.js'] }, 'handlers[1]'),
  ]);
  return { registry, log: new ExecutionLog(store, { capacity }), store, dir };
}

function report(fields: Partial<LocalExecution__Output> = {}): LocalExecution__Output {
  return {
    id: randomUUID(),
    kind: 'restart',
    handler: 'web',
    instance: '',
    issued_by: 'local:1000',
    started_at: '2026-01-01T00:00:00.000Z',
    completed_at: '2026-01-01T00:00:00.250Z',
    ok: true,
    error: '',
    result: 'web running pid 12',
    params_summary: '',
    ...fields,
  };
}

describe('master: local executions an agent reports', () => {
  it('are recorded for its own handlers, once per id, as the execution log shows any command', async () => {
    const { registry, log } = await setup();
    const r = report();
    assert.equal(await recordLocalExecution(registry, log, 'edge-1', r), null);
    assert.equal(await recordLocalExecution(registry, log, 'edge-1', r), null, 'a repeat is answered');
    const found = log.query({ limit: 100 }).records.filter((x) => x.id === r.id);
    assert.equal(found.length, 1, 'recorded once');
    assert.deepEqual(
      { ...found[0], id: undefined },
      {
        id: undefined,
        kind: 'restart',
        handler: 'web',
        agent: 'edge-1',
        issued_by: 'local:1000',
        started_at: '2026-01-01T00:00:00.000Z',
        completed_at: '2026-01-01T00:00:00.250Z',
        duration_ms: 250,
        status: 'success',
        result: 'web running pid 12',
        attempt: 1,
        max_attempts: 1,
        params_summary: '',
      },
    );
    const failed = report({ ok: false, error: 'x'.repeat(100_000), result: '', instance: 'web' });
    assert.equal(await recordLocalExecution(registry, log, 'edge-1', failed), null);
    const f = log.get(failed.id)!;
    assert.equal(f.status, 'error');
    assert.ok(f.error!.length <= AGENT_LIMITS.text, 'error bounded');
    assert.equal(f.params_summary, 'instance web');
  });

  it("are refused for another agent's handler, an issuer that is not local:<uid>, or a kind that is not a control action", async () => {
    const { registry, log } = await setup();
    const refused = async (r: LocalExecution__Output, why: RegExp) => {
      assert.match((await recordLocalExecution(registry, log, 'edge-1', r)) ?? '', why);
      assert.equal(log.get(r.id), undefined, 'nothing recorded');
    };
    await refused(report({ handler: 'db' }), /handler "db" is not assigned to agent edge-1/);
    await refused(report({ handler: 'ghost' }), /not assigned/);
    await refused(report({ issued_by: 'admin' }), /issued_by "admin" is not local:<uid>/);
    await refused(report({ kind: 'apply' }), /kind "apply" is not a control action/);
    await refused(report({ id: 'not-a-uuid' }), /is not a UUID/);
    await refused(report({ started_at: 'yesterday' }), /ISO-8601/);
  });

  it('record a resource policy action as kind policy issued by policy/<rule>, agent-wide ones without a handler', async () => {
    const { registry, log } = await setup();
    const acted = report({
      kind: 'policy',
      issued_by: 'policy/leak',
      instance: 'web',
      result: 'restart web: running pid 13',
      params_summary: 'rss raw 412MiB smoothed 405MiB above 400MiB',
    });
    assert.equal(await recordLocalExecution(registry, log, 'edge-1', acted), null);
    const rec = log.get(acted.id)!;
    assert.equal(rec.kind, 'policy');
    assert.equal(rec.issued_by, 'policy/leak');
    assert.equal(rec.handler, 'web');
    assert.match(rec.params_summary, /rss raw 412MiB smoothed 405MiB above 400MiB/);
    const host = report({ kind: 'policy', issued_by: 'policy/memory-pressure', handler: '' });
    assert.equal(await recordLocalExecution(registry, log, 'edge-1', host), null, 'agent-wide: no handler');
    assert.equal(log.get(host.id)?.handler, '');
  });

  it('refuse a policy report with a local issuer, a control kind issued by a policy, or a handler of another agent', async () => {
    const { registry, log } = await setup();
    const refused = async (r: LocalExecution__Output, why: RegExp) => {
      assert.match((await recordLocalExecution(registry, log, 'edge-1', r)) ?? '', why);
      assert.equal(log.get(r.id), undefined, 'nothing recorded');
    };
    await refused(report({ kind: 'policy' }), /issued_by "local:1000" is not policy\/<rule>/);
    await refused(report({ kind: 'policy', issued_by: 'policy/Bad Name' }), /is not policy\/<rule>/);
    await refused(report({ issued_by: 'policy/leak' }), /is not local:<uid>/);
    await refused(report({ kind: 'policy', issued_by: 'policy/leak', handler: 'db' }), /not assigned/);
  });

  it("from one agent hold at most its share of the ring: a flood evicts its own, never other agents' or admins' records", async () => {
    const { registry, log, store, dir } = await setup(40);
    const admin = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
    await log.complete(admin.id, { status: 'success' });
    const running = log.begin({ kind: 'stop', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
    const own = report();
    assert.equal(await recordLocalExecution(registry, log, 'edge-1', own), null);
    const flood = Array.from({ length: 200 }, () =>
      report({ kind: 'policy', issued_by: 'policy/x', handler: '', result: 'forged' }),
    );
    for (const r of flood) assert.equal(await recordLocalExecution(registry, log, 'edge-2', r), null);
    const left = log.query({ limit: 1000 }).records;
    for (const id of [admin.id, running.id, own.id])
      assert.ok(
        left.some((r) => r.id === id),
        `${id} kept`,
      );
    const edge2 = left.filter((r) => r.agent === 'edge-2').map((r) => r.id);
    assert.deepEqual(
      edge2,
      flood
        .slice(-10)
        .map((r) => r.id)
        .reverse(),
      'its newest 10 (a quarter of 40)',
    );
    // The evicted reports left the disk too: read back, the ring is the same (not the flood's newest 40).
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const reopened = await openMasterStore(dir);
    stores.push(reopened);
    const back = new ExecutionLog(reopened, { capacity: 40 }).query({ limit: 1000 }).records;
    assert.deepEqual(
      back.map((r) => r.id),
      left.map((r) => r.id),
    );
  });
});
