/**
 * The file store's execution journal: an execution made durable is an append (master.json is not
 * rewritten), the journal stays bounded and reads back the same ring, a torn tail is dropped, a bad line
 * is refused naming file, line and field, and an older master's master.json hands its executions over.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXECUTION_JOURNAL_FILE } from '../../master/state/execution-journal.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { MASTER_STATE_FILE, openMasterStore, type MasterStore } from '../../master/state/store.js';
import { tempDir } from '../helpers/common.js';

const stores: MasterStore[] = [];
async function open(dir: string, capacity = 1000): Promise<{ store: MasterStore; log: ExecutionLog }> {
  const store = await openMasterStore(dir);
  stores.push(store);
  return { store, log: new ExecutionLog(store, { capacity }) };
}
async function close(store: MasterStore): Promise<void> {
  stores.splice(stores.indexOf(store), 1);
  await store.close();
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

/** Runs `n` executions to completion, one after another; returns their ids. */
async function run(log: ExecutionLog, n: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const rec = await log.beginDurably({
      kind: 'restart',
      handler: `h${i}`,
      agent: 'edge-1',
      issued_by: 'admin',
    });
    await log.complete(rec.id, i % 2 ? { status: 'error', error: `boom ${i}` } : { status: 'success' });
    ids.push(rec.id);
  }
  return ids;
}

describe('execution journal (file store)', () => {
  it('an execution made durable appends to the journal and leaves master.json as it was', async () => {
    const dir = tempDir('gov-journal-');
    const { store, log } = await open(dir);
    await store.flush();
    const masterFile = path.join(dir, MASTER_STATE_FILE);
    const before = { text: readFileSync(masterFile, 'utf8'), ino: statSync(masterFile).ino };
    const journal = path.join(dir, EXECUTION_JOURNAL_FILE);
    const size0 = statSync(journal).size;
    const [id] = await run(log, 1);
    assert.deepEqual({ text: readFileSync(masterFile, 'utf8'), ino: statSync(masterFile).ino }, before);
    const added = readFileSync(journal, 'utf8').slice(size0).trimEnd().split('\n');
    assert.equal(added.length, 2, 'one line when it began, one when it completed');
    assert.deepEqual(
      added.map((l) => {
        const { record } = JSON.parse(l) as { record: { id: string; status: string } };
        return [record.id, record.status];
      }),
      [
        [id, 'running'],
        [id, 'success'],
      ],
    );
  });

  it('stays bounded over many executions and reads back the same ring, order and lifetime', async () => {
    const dir = tempDir('gov-journal-');
    const { store, log } = await open(dir, 20);
    await run(log, 150);
    const want = log.query({ limit: 1000 }).records;
    const lines = readFileSync(path.join(dir, EXECUTION_JOURNAL_FILE), 'utf8').trimEnd().split('\n').length;
    assert.ok(lines <= 3 * 20 + 64 + 2, `${lines} lines for a ring of 20`);
    await close(store);
    const again = await open(dir, 20);
    assert.deepEqual(again.log.query({ limit: 1000 }).records, want);
    assert.equal(again.log.stats().lifetime_executions, 150);
    assert.equal(want.length, 20);
  });

  it('a torn last line is dropped on open and the journal rewritten; what was acknowledged stays', async () => {
    const dir = tempDir('gov-journal-');
    const { store, log } = await open(dir);
    const ids = await run(log, 3);
    await close(store);
    const journal = path.join(dir, EXECUTION_JOURNAL_FILE);
    appendFileSync(journal, '{"lifetime":4,"record":{"id":"torn","kind":"resta'); // killed mid-append
    const again = await open(dir);
    assert.deepEqual(
      again.log.query().records.map((r) => r.id),
      [...ids].reverse(),
    );
    assert.equal(again.log.get('torn'), undefined);
    assert.ok(readFileSync(journal, 'utf8').endsWith('}\n'), 'the torn tail is gone from the file');
    await run(again.log, 1, 3);
    await close(again.store);
    const third = await open(dir);
    assert.equal(third.log.query().count, 4);
  });

  it('a bad line before the last is refused naming the file, the line and the field', async () => {
    const dir = tempDir('gov-journal-');
    const { store, log } = await open(dir);
    await run(log, 2);
    await close(store);
    const journal = path.join(dir, EXECUTION_JOURNAL_FILE);
    const lines = readFileSync(journal, 'utf8').split('\n');
    const bad = JSON.parse(lines[2] as string) as { record: { status: string } };
    bad.record.status = 'done';
    lines[2] = JSON.stringify(bad);
    writeFileSync(journal, lines.join('\n'));
    await assert.rejects(
      openMasterStore(dir),
      new RegExp(`${EXECUTION_JOURNAL_FILE}: line 3\\.record\\.status: expected one of running, success`),
    );
    lines[2] = '{not json';
    writeFileSync(journal, lines.join('\n'));
    await assert.rejects(
      openMasterStore(dir),
      new RegExp(`${EXECUTION_JOURNAL_FILE}: line 3: not valid JSON`),
    );
    // The advice is the journal's: an empty file starts an empty log (moving it away is refused, see below).
    await assert.rejects(
      openMasterStore(dir),
      /replace the file with an empty one to start with an empty execution log/,
    );
    assert.equal(readFileSync(journal, 'utf8'), lines.join('\n'), 'the refused journal is left as it was');
  });

  it("an older master's master.json hands its executions to a new journal and drops them", async () => {
    const dir = tempDir('gov-journal-');
    const { store, log } = await open(dir);
    const ids = await run(log, 2);
    const old = { ...store.data } as Record<string, unknown>; // the layout an older master wrote: all in one
    delete old.execution_journal;
    await close(store);
    writeFileSync(path.join(dir, MASTER_STATE_FILE), JSON.stringify(old));
    rmSync(path.join(dir, EXECUTION_JOURNAL_FILE)); // an older master had none
    const again = await open(dir);
    assert.deepEqual(
      again.log.query().records.map((r) => r.id),
      [...ids].reverse(),
    );
    assert.equal(again.log.stats().lifetime_executions, 2);
    const master = JSON.parse(readFileSync(path.join(dir, MASTER_STATE_FILE), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(master.executions, undefined, 'master.json no longer holds them');
    assert.equal(master.lifetime_executions, undefined);
  });

  it('a local execution reported again after it left the ring reads back where memory has it, the newest', async () => {
    const dir = tempDir('gov-journal-');
    const { store, log } = await open(dir, 3);
    const local = {
      id: '6f1c1c3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f',
      kind: 'restart',
      handler: 'web',
      agent: 'edge-1',
      issued_by: 'local:0',
      started_at: new Date(Date.now() - 60_000).toISOString(),
      completed_at: new Date(Date.now() - 59_000).toISOString(),
      duration_ms: 1000,
      status: 'success' as const,
      attempt: 1,
      max_attempts: 1,
      params_summary: '',
    };
    assert.equal(await log.recordDone(local), true);
    await run(log, 3); // the local record leaves the ring of 3
    assert.equal(log.get(local.id), undefined);
    assert.equal(await log.recordDone(local), true, 'its reporter sent it again: recorded again, the newest');
    const want = log.query().records.map((r) => r.id);
    assert.equal(want[0], local.id);
    await close(store);
    const again = await open(dir, 3);
    assert.deepEqual(
      again.log.query().records.map((r) => r.id),
      want,
      'a restart loads the ring memory had',
    );
  });
});

describe('execution journal: a missing journal', () => {
  it('is refused beside a master.json that left the executions to it; an empty one starts an empty log', async () => {
    const dir = tempDir('gov-journal-');
    const { store, log } = await open(dir);
    await run(log, 2);
    await store.flush();
    await close(store);
    const journal = path.join(dir, EXECUTION_JOURNAL_FILE);
    rmSync(journal);
    await assert.rejects(
      openMasterStore(dir),
      new RegExp(
        `${EXECUTION_JOURNAL_FILE}: missing, while .*${MASTER_STATE_FILE} leaves the execution log to it`,
      ),
    );
    writeFileSync(journal, '');
    const again = await open(dir);
    assert.equal(again.log.query().count, 0);
  });
});
