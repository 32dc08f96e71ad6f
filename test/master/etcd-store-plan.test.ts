/**
 * The etcd store's write plan (pure, no etcd): a write larger than one transaction is split within etcd's
 * limits, in an order such that a crash between any two transactions leaves state that loads, whose rollouts
 * name stored spec versions, and that has lost no execution record.
 */
import assert from 'node:assert/strict';
import { parseHandler } from '../../shared/spec.js';
import { emptyMasterState, type MasterState, type SpecEntry } from '../../master/state/store.js';
import {
  TXN_MAX_BYTES,
  TXN_MAX_OPS,
  decodeState,
  encodeState,
  planWrite,
  type Op,
} from '../../master/state/etcd-store.js';
import type { ExecutionRecord } from '../../master/state/execution-stats.js';

const P = '/gov/';

function entry(name: string, versions: number[]): SpecEntry {
  const spec = parseHandler({ name, command: ['node', 'server.js'] }, 'handlers[0]');
  return {
    name,
    versions: versions.map((version) => ({ version, hash: `h${version}`, applied_at: '', spec })),
  };
}

function exec(i: number): ExecutionRecord {
  return {
    id: `ex-${i}`,
    kind: 'restart',
    handler: 'web',
    agent: 'edge-1',
    issued_by: 'admin',
    started_at: '2025-01-01T00:00:00.000Z',
    status: 'success',
    attempt: 1,
    max_attempts: 1,
    params_summary: '',
  };
}

function apply(kvs: Map<string, string>, txn: Op[]): void {
  for (const o of txn) {
    if (o.kind === 'put') kvs.set(o.key, o.value);
    else kvs.delete(o.key);
  }
}

describe('etcd store: a write split into transactions', () => {
  it('stays within etcd limits and reads back right after a crash between any two transactions', () => {
    const before: MasterState = emptyMasterState();
    before.specs.web = entry('web', [1]);
    before.agents['edge-9'] = {
      id: 'edge-9',
      hostname: 'h',
      labels: {},
      reported_labels: {},
      version: '1',
      connected: false,
      last_seen: '',
      revoked: false,
    };
    before.executions = Array.from({ length: 300 }, (_, i) => exec(i));
    before.lifetime_executions = 300;

    const after = structuredClone(before);
    after.specs.web = entry('web', [1, 2]);
    for (let i = 0; i < 150; i++) after.specs[`h${i}`] = entry(`h${i}`, [1]);
    after.rollouts['ro-1'] = {
      id: 'ro-1',
      handler: 'web',
      handlers: [{ name: 'web', from_version: 1, to_version: 2, rollback_version: 0 }],
      state: 'running',
      batches: [{}],
      instances: [{ handler: 'web' }],
      current_batch: 0,
      created_at: '',
    };
    delete after.agents['edge-9'];
    after.executions.splice(0, 100);
    for (let i = 300; i < 400; i++) after.executions.push(exec(i));
    after.lifetime_executions = 400;

    const start = encodeState(before, P);
    const txns = planWrite(start, encodeState(after, P), P);
    assert.ok(txns.length >= 2, `split into ${txns.length} transactions`);
    for (const t of txns) {
      assert.ok(t.length <= TXN_MAX_OPS, `${t.length} ops`);
      const bytes = t.reduce((n, o) => n + o.key.length + (o.kind === 'put' ? o.value.length : 0), 0);
      assert.ok(bytes <= TXN_MAX_BYTES, `${bytes} bytes`);
    }

    // Records that were stored and stay: never missing in between.
    const kept = new Set(
      after.executions.filter((r) => before.executions.some((b) => b.id === r.id)).map((r) => r.id),
    );
    const kvs = new Map(start);
    for (let k = 0; k <= txns.length; k++) {
      if (k > 0) apply(kvs, txns[k - 1] as Op[]);
      const s = decodeState(Object.fromEntries(kvs), P, 'test');
      for (const r of Object.values(s.rollouts) as Array<{
        handlers: Array<{ name: string; to_version: number }>;
      }>)
        for (const h of r.handlers)
          assert.ok(
            s.specs[h.name]?.versions.some((v) => v.version === h.to_version),
            `after ${k} of ${txns.length}: the rollout's ${h.name} v${h.to_version} is stored`,
          );
      const ids = new Set(s.executions.map((r) => r.id));
      for (const id of kept) assert.ok(ids.has(id), `after ${k} of ${txns.length}: ${id} is kept`);
      assert.equal(ids.size, s.executions.length, 'each record read back once');
      const newest = s.executions.at(-1)?.id ?? '';
      assert.ok(
        s.lifetime_executions >= Number(newest.slice(3)) + 1,
        `after ${k} of ${txns.length}: the counter (${s.lifetime_executions}) is not behind the records (${newest})`,
      );
    }
    assert.deepEqual(decodeState(Object.fromEntries(kvs), P, 'test'), JSON.parse(JSON.stringify(after)));
  });
});
