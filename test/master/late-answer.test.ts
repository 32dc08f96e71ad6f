/**
 * The execution log ends up true (DESIGN §8.10), master side: a record the master completed without the
 * agent's answer is `unanswered`; the agent's late answer replaces its outcome (marked `late`, the give-up
 * kept in `note`), only for that agent, once, persisted — and is acknowledged only once on disk.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { commandIdFor, executionIdOf } from '../../master/fleet/command-id.js';
import { Dispatcher } from '../../master/fleet/dispatcher.js';
import { EXECUTION_JOURNAL_FILE } from '../../master/state/execution-journal.js';
import { ExecutionLog, INTERRUPTED_ERROR } from '../../master/state/execution-log.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { SessionHub } from '../../master/fleet/session-hub.js';
import type { CommandResult__Output } from '../../proto/generated/governor/v1/CommandResult.js';
import { tempDir } from '../helpers/common.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/full-disk.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const stores: MasterStore[] = [];
const disks: SmallDisk[] = [];
afterEach(async () => {
  for (const d of disks) d.free();
  for (const s of stores.splice(0)) await s.close();
  for (const d of disks.splice(0)) d.unmount();
});

async function setup(dir = tempDir('gov-late-')) {
  const store = await openMasterStore(dir);
  stores.push(store);
  const clock = { t: T0 };
  let seq = 0;
  const log = new ExecutionLog(store, {
    now: () => clock.t,
    newId: () => `00000000-0000-4000-8000-00000000000${++seq}`,
  });
  return { dir, store, log, clock };
}

function answer(commandId: string, over: Partial<CommandResult__Output> = {}): CommandResult__Output {
  return {
    command_id: commandId,
    ok: true,
    error: null,
    instances: [],
    metrics: null,
    cold_start_ms: 0,
    lines: [],
    summary: 'web running pid 42',
    ...over,
  };
}

describe('late answers correct the execution log', () => {
  it('command ids carry their execution id; other ids belong to none', () => {
    const id = '3f2a9c1e-1111-4222-8333-444455556666';
    assert.equal(executionIdOf(commandIdFor(id)), id);
    assert.equal(executionIdOf('metrics-edge-1-1700000000000-0.123'), null);
  });

  it('a given-up record becomes a late success with the give-up kept in the note, stats follow, and it is on disk', async () => {
    const { dir, store, log, clock } = await setup();
    const rec = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
    clock.t += 1000;
    const gaveUp = 'agent edge-1 disconnected before answering (no heartbeat)';
    await log.complete(rec.id, { status: 'error', error: gaveUp, unanswered: true });
    assert.equal(log.get(rec.id)?.unanswered, true);
    assert.equal(log.stats().error_count, 1);

    clock.t += 4000;
    const out = await log.completeLate(rec.id, 'edge-1', { status: 'success', result: 'web running pid 42' });
    assert.ok('corrected' in out);
    const r = log.get(rec.id)!;
    assert.equal(r.status, 'success');
    assert.equal(r.late, true);
    assert.equal(r.note, gaveUp);
    assert.equal(r.result, 'web running pid 42');
    assert.equal(r.error, undefined);
    assert.equal(r.unanswered, undefined);
    assert.equal(r.duration_ms, 5000, 'completed when the answer came');
    const s = log.stats();
    assert.deepEqual([s.success_count, s.error_count, s.by_handler.web?.success], [1, 0, 1]);

    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const reopened = await setup(dir);
    assert.deepEqual(reopened.log.get(rec.id), r, 'persisted');
  });

  it('changes only an unanswered record of the same agent, once', async () => {
    const { log } = await setup();
    const answered = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
    await log.complete(answered.id, { status: 'error', error: 'web: not found' });
    assert.ok('ignored' in (await log.completeLate(answered.id, 'edge-1', { status: 'success' })));
    assert.equal(log.get(answered.id)?.status, 'error', 'an answered record keeps its answer');

    const given = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
    await log.complete(given.id, { status: 'timeout', error: 'no answer within 30000 ms', unanswered: true });
    const other = await log.completeLate(given.id, 'edge-2', { status: 'success' });
    assert.match('ignored' in other ? other.ignored : '', /sent to agent edge-1, not edge-2/);
    assert.equal(log.get(given.id)?.status, 'timeout', 'another agent cannot settle it');

    const first = await log.completeLate(given.id, 'edge-1', {
      status: 'error',
      error: 'not carried out: …',
    });
    assert.ok('corrected' in first);
    assert.ok('ignored' in (await log.completeLate(given.id, 'edge-1', { status: 'success' })), 'only once');
    assert.equal(log.get(given.id)?.status, 'error');
    assert.ok('ignored' in (await log.completeLate('nope', 'edge-1', { status: 'success' })));
  });

  it('a record interrupted by a master restart may still be settled by its agent', async () => {
    const { dir, store, log } = await setup();
    const rec = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
    await store.flush();
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const next = await setup(dir);
    assert.equal(next.log.get(rec.id)?.error, INTERRUPTED_ERROR);
    await next.log.completeLate(rec.id, 'edge-1', { status: 'success', result: 'ok' });
    assert.deepEqual(
      {
        status: next.log.get(rec.id)?.status,
        late: next.log.get(rec.id)?.late,
        note: next.log.get(rec.id)?.note,
      },
      { status: 'success', late: true, note: INTERRUPTED_ERROR },
    );
  });

  it('the dispatcher acknowledges a late answer once recorded, and not when recording failed', async function () {
    // A real full disk (small tmpfs): the failed write leaves the record as it was.
    const disk = mountSmallDisk();
    if ('skip' in disk) {
      console.log(`      (skipped: ${disk.skip})`);
      return this.skip();
    }
    disks.push(disk);
    const { log } = await setup(disk.dir);
    const dispatcher = new Dispatcher(new SessionHub(), log, 1000, () => undefined);
    const rec = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
    await log.complete(rec.id, { status: 'error', error: 'gave up', unanswered: true });
    const acked: string[] = [];
    const cmd = commandIdFor(rec.id);
    await dispatcher.settleLate('edge-1', answer(cmd), (ids) => acked.push(...ids));
    assert.deepEqual(acked, [cmd]);
    assert.equal(log.get(rec.id)?.status, 'success');
    // Unknown, already settled, or not an execution: nothing to correct, but acknowledged (never re-sent forever).
    await dispatcher.settleLate('edge-1', answer(cmd), (ids) => acked.push(...ids));
    await dispatcher.settleLate('edge-1', answer('logs-edge-1-1-0.5'), (ids) => acked.push(...ids));
    assert.equal(acked.length, 3);

    const failing = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
    await log.complete(failing.id, { status: 'error', error: 'gave up', unanswered: true });
    disk.fill(path.join(disk.dir, EXECUTION_JOURNAL_FILE));
    await dispatcher.settleLate('edge-1', answer(commandIdFor(failing.id)), (ids) => acked.push(...ids));
    assert.equal(acked.length, 3, 'not recorded: not acknowledged (the agent sends it again)');
    const kept = log.get(failing.id);
    assert.deepEqual(
      [kept?.status, kept?.unanswered, kept?.late],
      ['error', true, undefined],
      'memory as it was',
    );
  });
});
