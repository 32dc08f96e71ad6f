/**
 * The etcd store's write plan (pure, no etcd): a write larger than one transaction is split within etcd's
 * limits, and is all or nothing: a crash between any two of its transactions loads as the state before it or
 * the state after it (an Apply's specs with their rollout, or neither), also when the write after such a
 * load is cut short in turn.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
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

/** What etcd holds after 0, 1, … all of `txns` ran on `start`. */
function crashPoints(start: Map<string, string>, txns: Op[][]): Array<Map<string, string>> {
  const kvs = new Map(start);
  const out = [new Map(kvs)];
  for (const t of txns) {
    apply(kvs, t);
    out.push(new Map(kvs));
  }
  return out;
}

function finalKeys(start: Map<string, string>, txns: Op[][]): Map<string, string> {
  return crashPoints(start, txns).at(-1) as Map<string, string>;
}

describe('etcd store: a write split into transactions', () => {
  it('stays within etcd limits and loads as the whole state before or after it, a crash between any two transactions', () => {
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

    // A crash between any two transactions loads as the state before or the state after, whole.
    const normal = (s: MasterState): unknown => JSON.parse(JSON.stringify(s));
    const states = crashPoints(start, txns).map((kvs) => decodeState(Object.fromEntries(kvs), P, 'test'));
    const seen = states.map((s) => {
      const d = normal(s);
      if (isDeepStrictEqual(d, normal(before))) return 'before';
      assert.deepEqual(d, normal(after), 'a state loaded after a crash is the one before or the one after');
      return 'after';
    });
    const commit = seen.indexOf('after');
    assert.ok(commit > 0 && seen.slice(commit).every((x) => x === 'after'), seen.join(' '));
    assert.deepEqual(finalKeys(start, txns), encodeState(after, P), 'no redo record is left behind');

    // Loaded after a crash past the commit, before the operations were all sent, then written on — a write
    // that adds more, or one that undoes part of what the record did (a spec it added removed, one it changed
    // put back): a crash in that write too loads as one of its two states, and it leaves no redo record.
    const nextWrites: Array<(s: MasterState) => void> = [
      (s) => {
        for (let i = 0; i < 130; i++) s.specs[`n${i}`] = entry(`n${i}`, [1]);
      },
      (s) => {
        delete s.specs.h0;
        s.specs.web = entry('web', [1]);
      },
    ];
    for (const k of [commit, commit + 1, txns.length - 1]) {
      for (const change of nextWrites) {
        const raw = crashPoints(start, txns)[k] as Map<string, string>;
        const loaded = decodeState(Object.fromEntries(raw), P, 'test');
        const next = structuredClone(loaded);
        change(next);
        const more = planWrite(raw, encodeState(next, P), P);
        // It takes effect at its commit (its only transaction when it is not split): before, after.
        const takes = Math.max(
          0,
          more.findIndex((t) => t.length === 1 && t[0]!.key.endsWith('/commit')),
        );
        for (const [j, kvs] of crashPoints(raw, more).entries()) {
          const d = normal(decodeState(Object.fromEntries(kvs), P, 'test'));
          const what = `crash after ${k}, then after ${j} of the next write's ${more.length} transactions`;
          assert.deepEqual(d, normal(j > takes ? next : loaded), what);
        }
        assert.deepEqual(finalKeys(raw, more), encodeState(next, P));
      }
    }
  });
});

describe('etcd store: a redo record that cannot be replayed', () => {
  const base = (): Map<string, string> => encodeState(emptyMasterState(), P);
  const committed = (ops: unknown[]): Map<string, string> =>
    new Map([
      ...base(),
      [`${P}pending/000000000001/0`, JSON.stringify(ops)],
      [`${P}pending/000000000001/commit`, JSON.stringify({ parts: 1 })],
    ]);
  const load = (kvs: Map<string, string>): MasterState => decodeState(Object.fromEntries(kvs), P, 'test');

  it('is refused naming the record, not the key it would have written', () => {
    const bad = committed([{ put: `${P}specs/h0`, value: { bogus: 1 } }]);
    bad.set(`${P}specs/h0`, JSON.stringify(entry('h0', [1])));
    assert.throws(() => load(bad), /key \/gov\/pending\/000000000001\/0 \(its put of \/gov\/specs\/h0\): /);
    assert.throws(
      () => load(committed([{ put: `${P}masters/x`, value: {} }])),
      /key \/gov\/pending\/000000000001\/0: \[0\]: expected \{put, value\} or \{delete\} of a store key/,
    );
    // A store always has its meta: a record deleting it is not one the master writes.
    assert.throws(
      () => load(committed([{ delete: `${P}meta` }])),
      /pending\/000000000001\/0: \[0\]: expected/,
    );
    // Without its commit it never took effect: ignored.
    bad.delete(`${P}pending/000000000001/commit`);
    assert.deepEqual(Object.keys(load(bad).specs), ['h0']);
  });
});
