/** Execution log: stats and filters over a known sequence, ring wrap, clear, validation. */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import { ExecutionLog, INTERRUPTED_ERROR, type FinalStatus } from '../../master/state/execution-log.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { tempDir } from '../helpers/common.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

/** A log over a real store in a temp dir, with a hand-driven clock and sequential ids. */
async function setup(capacity = 10): Promise<{
  store: MasterStore;
  log: ExecutionLog;
  clock: { t: number };
  run: (
    kind: string,
    handler: string,
    agent: string,
    durationMs: number,
    status: FinalStatus | 'running',
  ) => Promise<string>;
}> {
  const store = await openMasterStore(tempDir('gov-exec-'));
  stores.push(store);
  const clock = { t: T0 };
  let seq = 0;
  const log = new ExecutionLog(store, { capacity, now: () => clock.t, newId: () => `ex-${++seq}` });
  const run = async (
    kind: string,
    handler: string,
    agent: string,
    durationMs: number,
    status: FinalStatus | 'running',
  ): Promise<string> => {
    const rec = log.begin({ kind, handler, agent, issued_by: 'admin' });
    if (status === 'running') return rec.id;
    clock.t += durationMs;
    await log.complete(rec.id, { status, error: status === 'success' ? undefined : `${status} on ${agent}` });
    clock.t += 1000; // gap between executions
    return rec.id;
  };
  return { store, log, clock, run };
}

const stores: MasterStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('execution log', () => {
  describe('stats and filters over a known sequence', () => {
    let ctx: Awaited<ReturnType<typeof setup>>;
    beforeEach(async () => {
      ctx = await setup(10);
      const { run, clock } = ctx;
      await run('restart', 'web', 'edge-a', 100, 'success'); // ex-1
      await run('restart', 'web', 'edge-b', 300, 'success'); // ex-2
      await run('stop', 'api', 'edge-a', 50, 'error'); // ex-3
      clock.t += 3_600_000; // an hour later
      await run('restart', 'web', 'edge-a', 1000, 'timeout'); // ex-4
      await run('start', 'api', 'edge-b', 150, 'success'); // ex-5
      await run('restart', 'web', 'edge-b', 0, 'running'); // ex-6, still in flight
    });

    it('counts, success rate (fraction of completed), averages, by_handler and by_agent', () => {
      const s = ctx.log.stats();
      assert.equal(s.total_executions, 6);
      assert.equal(s.lifetime_executions, 6);
      assert.equal(s.success_count, 3);
      assert.equal(s.error_count, 2, 'error + timeout');
      assert.equal(s.success_rate, 3 / 5, 'running record excluded from the rate');
      assert.equal(s.avg_duration_ms, (100 + 300 + 50 + 1000 + 150) / 5);
      assert.equal(s.buffer_size, 10);
      assert.equal(s.buffer_utilization, 0.6);
      assert.deepEqual(s.by_handler, {
        api: { total: 2, success: 1, error: 1, success_rate: 0.5, avg_duration_ms: 100 },
        web: { total: 4, success: 2, error: 1, success_rate: 2 / 3, avg_duration_ms: 1400 / 3 },
      });
      assert.deepEqual(s.by_agent, {
        'edge-a': { total: 3, success: 1, error: 2, success_rate: 1 / 3, avg_duration_ms: 1150 / 3 },
        'edge-b': { total: 3, success: 2, error: 0, success_rate: 1, avg_duration_ms: 225 },
      });
    });

    it('records carry every DESIGN field with exact durations', () => {
      const [rec] = ctx.log.query({ handler: 'web', agent: 'edge-b', status: 'success' }).records;
      assert.deepEqual(rec, {
        id: 'ex-2',
        kind: 'restart',
        handler: 'web',
        agent: 'edge-b',
        issued_by: 'admin',
        started_at: new Date(T0 + 1100).toISOString(),
        completed_at: new Date(T0 + 1400).toISOString(),
        duration_ms: 300,
        status: 'success',
        attempt: 1,
        max_attempts: 1,
        params_summary: '',
      });
    });

    it('filters combine (AND) and apply before the limit, newest first', () => {
      const ids = (f: Parameters<ExecutionLog['query']>[0]): string[] =>
        ctx.log.query(f).records.map((r) => r.id);
      // The newest record overall (ex-6, web@edge-b) does not match: a limit applied first would return nothing.
      assert.deepEqual(ids({ handler: 'web', agent: 'edge-a', limit: 1 }), ['ex-4']);
      assert.deepEqual(ids({ handler: 'web', agent: 'edge-a' }), ['ex-4', 'ex-1']);
      assert.deepEqual(ids({ kind: 'restart', status: 'success' }), ['ex-2', 'ex-1']);
      assert.deepEqual(ids({ handler: 'api', status: 'error' }), ['ex-3']);
      assert.deepEqual(ids({ status: 'running' }), ['ex-6']);
      assert.deepEqual(ids({}), ['ex-6', 'ex-5', 'ex-4', 'ex-3', 'ex-2', 'ex-1']);
      assert.deepEqual(ids({ limit: 2 }), ['ex-6', 'ex-5']);
      // since: a duration ago (relative to the injected clock) or an ISO time, combined with other filters.
      assert.deepEqual(ids({ since: '30m' }), ['ex-6', 'ex-5', 'ex-4']);
      assert.deepEqual(ids({ since: '30m', agent: 'edge-b', limit: 1 }), ['ex-6']);
      assert.deepEqual(ids({ since: new Date(T0 + 1100).toISOString() }).at(-1), 'ex-2');
      assert.deepEqual(ids({ since: new Date(T0 + 1100) }).length, 5);
      assert.equal(ctx.log.query({ handler: 'nope' }).count, 0);
      // Empty strings and limit 0 (proto defaults) mean "not set".
      assert.equal(ctx.log.query({ handler: '', status: '', since: '', limit: 0 }).count, 6);
    });

    it('errors view lists error and timeout, newest first', () => {
      assert.deepEqual(
        ctx.log.errors().records.map((r) => [r.id, r.status]),
        [
          ['ex-4', 'timeout'],
          ['ex-3', 'error'],
        ],
      );
      assert.equal(ctx.log.errors(1).count, 1);
    });

    it('invalid filter values are refused naming the field', () => {
      assert.throws(
        () => ctx.log.query({ status: 'done' }),
        (e: Error) => {
          assert.ok(e instanceof ValidationError);
          assert.match(e.message, /^status: "done"/);
          assert.deepEqual(e.fields, ['status']);
          return true;
        },
      );
      assert.throws(() => ctx.log.query({ since: 'yesterday' }), /ValidationError: since: "yesterday"/);
      assert.throws(() => ctx.log.query({ since: '2025-13-45' }), /ValidationError: since: /);
      assert.throws(() => ctx.log.query({ limit: -1 }), /ValidationError: limit: /);
      assert.throws(() => ctx.log.query({ limit: 1.5 }), /ValidationError: limit: /);
    });
  });

  it('ring buffer wraps: capacity 5, 8 records → newest 5 kept, lifetime 8, utilization 1', async () => {
    const { log, run } = await setup(5);
    for (let i = 0; i < 8; i++) await run('start', 'web', 'edge-a', 10, 'success');
    const s = log.stats();
    assert.equal(s.total_executions, 5);
    assert.equal(s.lifetime_executions, 8);
    assert.equal(s.buffer_size, 5);
    assert.equal(s.buffer_utilization, 1);
    assert.deepEqual(
      log.query().records.map((r) => r.id),
      ['ex-8', 'ex-7', 'ex-6', 'ex-5', 'ex-4'],
    );
    assert.equal(log.get('ex-1'), undefined);
  });

  it('a running execution is never trimmed: its completion is listed and on disk after the ring wrapped', async () => {
    const dir = tempDir('gov-exec-');
    const store = await openMasterStore(dir);
    const log = new ExecutionLog(store, { capacity: 5 });
    const running = log.begin({ kind: 'stop', handler: 'web', agent: 'edge-a', issued_by: 'admin' });
    for (let i = 0; i < 12; i++) {
      const r = log.begin({ kind: 'start', handler: 'web', agent: 'edge-b', issued_by: 'admin' });
      await log.complete(r.id, { status: 'success' });
    }
    assert.equal(log.get(running.id)?.status, 'running', 'still in the ring');
    assert.equal(log.size, 5, 'the completed ones were trimmed instead');
    const done = await log.complete(running.id, { status: 'success' });
    assert.equal(done.status, 'success');
    assert.ok(
      log.query({ agent: 'edge-a' }).records.some((r) => r.id === running.id),
      'listed',
    );
    await store.close();
    const reopened = await openMasterStore(dir);
    stores.push(reopened);
    // Read with room for every record the journal holds: at capacity 5 it is now the oldest, the next to leave.
    assert.equal(new ExecutionLog(reopened, { capacity: 100 }).get(running.id)?.status, 'success', 'on disk');
  });

  it("a reporter's share: its records beyond it evict its own oldest, never others'", async () => {
    const { log, run } = await setup(10);
    const admin = await run('restart', 'web', 'edge-a', 10, 'success');
    const share = { holds: (r: { agent: string }) => r.agent === 'edge-b', max: 3 };
    const reported: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `rep-${i}`;
      reported.push(id);
      const at = new Date(T0).toISOString();
      await log.recordDone(
        {
          id,
          kind: 'policy',
          handler: '',
          agent: 'edge-b',
          issued_by: 'policy/x',
          started_at: at,
          completed_at: at,
          duration_ms: 0,
          status: 'success',
          attempt: 1,
          max_attempts: 1,
          params_summary: '',
        },
        share,
      );
    }
    assert.deepEqual(
      log.query({ limit: 100 }).records.map((r) => r.id),
      [...reported.slice(-3).reverse(), admin],
    );
  });

  it('clear removes completed records, keeps running ones and the lifetime counter', async () => {
    const { log, run, store } = await setup(10);
    await run('start', 'web', 'edge-a', 10, 'success');
    await run('stop', 'web', 'edge-a', 10, 'error');
    const running = await run('restart', 'web', 'edge-a', 0, 'running');
    assert.equal(await log.clear(), 2);
    assert.equal(store.data.executions.length, 1);
    let s = log.stats();
    assert.equal(s.total_executions, 1);
    assert.equal(s.lifetime_executions, 3);
    const done = await log.complete(running, { status: 'success' });
    assert.equal(done.status, 'success');
    s = log.stats();
    assert.equal(s.success_count, 1);
    assert.equal(s.lifetime_executions, 3);
  });

  it('complete: resolves after a durable write, first completion wins, unknown id is NotFound', async () => {
    const { log, store } = await setup(10);
    const rec = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-a', issued_by: 'admin' });
    const writesBefore = store.writes;
    const done = await log.complete(rec.id, { status: 'timeout', error: 'no answer within 10s' });
    assert.ok(store.writes > writesBefore);
    assert.equal(done.error, 'no answer within 10s');
    const again = await log.complete(rec.id, { status: 'success' });
    assert.equal(again.status, 'timeout');
    await assert.rejects(log.complete('missing', { status: 'success' }), { name: 'NotFoundError' });
    await assert.rejects(log.complete(rec.id, { status: 'running' as FinalStatus }), ValidationError);
  });

  it('a burst of completions shares writes (coalesced)', async () => {
    const { log, store } = await setup(1000);
    const recs = Array.from({ length: 200 }, (_, i) =>
      log.begin({ kind: 'start', handler: `h${i % 3}`, agent: 'edge-a', issued_by: 'admin' }),
    );
    const before = store.writes;
    await Promise.all(recs.map((r) => log.complete(r.id, { status: 'success' })));
    assert.ok(store.writes - before <= 3, `200 completions took ${store.writes - before} writes`);
    assert.equal(log.stats().success_count, 200);
  });

  it('records still running when the master stops are marked interrupted on the next open', async () => {
    const dir = tempDir('gov-exec-');
    const store = await openMasterStore(dir);
    const log = new ExecutionLog(store, { now: () => T0 });
    const rec = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-a', issued_by: 'admin' });
    await store.flush();
    await store.close();
    const reopened = await openMasterStore(dir);
    stores.push(reopened);
    const log2 = new ExecutionLog(reopened, { now: () => T0 + 5000 });
    const got = log2.get(rec.id);
    assert.equal(got?.status, 'error');
    assert.equal(got?.error, INTERRUPTED_ERROR);
    assert.equal(got?.duration_ms, 5000);
    assert.equal(log2.stats().lifetime_executions, 1);
  });

  it('a smaller capacity on open trims the oldest records', async () => {
    const dir = tempDir('gov-exec-');
    const store = await openMasterStore(dir);
    const log = new ExecutionLog(store, { capacity: 10 });
    for (let i = 0; i < 6; i++) {
      const r = log.begin({ kind: 'start', handler: 'web', agent: 'a', issued_by: 'admin' });
      await log.complete(r.id, { status: 'success' });
    }
    await store.close();
    const reopened = await openMasterStore(dir);
    stores.push(reopened);
    const small = new ExecutionLog(reopened, { capacity: 4 });
    assert.equal(small.stats().total_executions, 4);
    assert.equal(small.stats().lifetime_executions, 6);
    assert.throws(() => new ExecutionLog(reopened, { capacity: 0 }), ValidationError);
  });
});
