/**
 * The master on a really full disk (a small tmpfs): a refused change is never written later, a command
 * whose record cannot be written is not sent, and a command the agent carried out is never reported as
 * not done.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CommandResult__Output } from '../../proto/generated/governor/v1/CommandResult.js';
import { Dispatcher } from '../../master/fleet/dispatcher.js';
import { EXECUTION_JOURNAL_FILE } from '../../master/state/execution-journal.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { MASTER_STATE_FILE, openMasterStore } from '../../master/state/store.js';
import { Registry } from '../../master/state/registry.js';
import type { SessionHub } from '../../master/fleet/session-hub.js';
import { parseHandler } from '../../shared/spec.js';
import { tempDir } from '../helpers/common.js';
import { useSmallDisk } from '../helpers/full-disk.js';

const spec = (name: string) =>
  parseHandler({ name, agents: ['edge-1'], command: ['node', 'x.js'], env: { PAD: 'p'.repeat(4096) } }, name);

/** A hub with one connected agent whose commands run `onCommand` and succeed. */
function fakeHub(onCommand: () => void): { hub: SessionHub; sent: () => number } {
  let sent = 0;
  const session = {
    command: (): Promise<CommandResult__Output> => {
      sent++;
      onCommand();
      return Promise.resolve({
        ok: true,
        summary: 'web running pid 42',
        instances: [],
      } as unknown as CommandResult__Output);
    },
  };
  return { hub: { get: () => session } as unknown as SessionHub, sent: () => sent };
}

describe('master on a full disk', function () {
  const disk = useSmallDisk('1m');
  afterEach(() => disk.free());

  it('an apply refused for a full disk is not in memory and not written by the next successful write', async () => {
    const dir = path.join(disk.dir, 'apply');
    let store = await openMasterStore(dir);
    let registry = new Registry(store);
    await registry.applySpecs([spec('kept')]);
    disk.fill();
    await assert.rejects(registry.applySpecs([spec('refused')]), /ENOSPC/);
    assert.equal(registry.getSpec('refused'), undefined, 'the refused spec is not in memory');
    disk.free();
    await registry.applySpecs([spec('later')]);
    await store.close();
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
    store = await openMasterStore(dir);
    registry = new Registry(store);
    assert.deepEqual(
      registry.listSpecs().map((s) => s.spec.name),
      ['kept', 'later'],
      'after a restart the refused handler does not exist',
    );
    await store.close();
  });

  it('a command whose execution record cannot be written is not sent to the agent', async () => {
    const dir = path.join(disk.dir, 'not-sent');
    const store = await openMasterStore(dir);
    const log = new ExecutionLog(store);
    await store.flush();
    const { hub, sent } = fakeHub(() => {});
    const dispatcher = new Dispatcher(hub, log, 5000, () => undefined);
    disk.fill(path.join(dir, EXECUTION_JOURNAL_FILE));
    await assert.rejects(
      dispatcher.dispatch({ kind: 'RESTART', handler: 'web', agent: 'edge-1', issuedBy: 'admin' }),
      /restart of web@edge-1 was not sent to agent edge-1: its execution record could not be written \(ENOSPC/,
    );
    assert.equal(sent(), 0, 'nothing reached the agent');
    assert.equal(log.query().count, 0, 'no record of a command that was not sent');
    disk.free();
    await store.close();
  });

  it('a command carried out whose final record cannot be written says so, and is recorded by the next write', async () => {
    const dir = path.join(disk.dir, 'carried-out');
    let store = await openMasterStore(dir);
    let log = new ExecutionLog(store);
    await store.flush();
    const { hub, sent } = fakeHub(() => disk.fill(path.join(dir, EXECUTION_JOURNAL_FILE)));
    const dispatcher = new Dispatcher(hub, log, 5000, () => undefined);
    await assert.rejects(
      dispatcher.dispatch({ kind: 'RESTART', handler: 'web', agent: 'edge-1', issuedBy: 'admin' }),
      /restart of web@edge-1 was carried out by agent edge-1, but its execution record .* could not be written \(ENOSPC/,
    );
    assert.equal(sent(), 1);
    assert.equal(log.query().records[0]?.status, 'success', 'memory keeps what happened');
    disk.free();
    await store.flush();
    await store.close();
    store = await openMasterStore(dir);
    log = new ExecutionLog(store);
    assert.equal(log.query().records[0]?.status, 'success', 'the true outcome reached the disk');
    await store.close();
  });

  /** Begins an execution durably; says whether its caller was told it is on disk. */
  const begin = (log: ExecutionLog, handler: string, pad = 0): Promise<{ id: string | null }> =>
    log
      .beginDurably({
        kind: 'restart',
        handler,
        agent: 'edge-1',
        issued_by: 'admin',
        params_summary: 'p'.repeat(pad),
      })
      .then(
        (r) => ({ id: r.id }),
        (err: Error) => {
          assert.match(err.message, /ENOSPC/);
          return { id: null };
        },
      );

  it('an execution acknowledged on a nearly full disk is whole on disk, and the journal loads after the disk is freed', async () => {
    const dir = path.join(disk.dir, 'short-append');
    let store = await openMasterStore(dir);
    let log = new ExecutionLog(store);
    const journal = path.join(dir, EXECUTION_JOURNAL_FILE);
    disk.fill(); // the journal's last page keeps room for part of a line (a short append), not for all of it
    assert.notEqual(statSync(journal).size % 4096, 0, 'the journal ends inside a page');
    const big = await begin(log, 'big', 8192);
    disk.free();
    const small = await begin(log, 'small');
    assert.ok(small.id, 'the disk is free again');
    await store.close();
    store = await openMasterStore(dir);
    log = new ExecutionLog(store);
    if (big.id) assert.ok(log.get(big.id), 'the acknowledged record is on disk');
    assert.ok(log.get(small.id), 'the record written after the disk was freed is on disk');
    await store.close();
  });

  it('records whose write failed on a full disk do not come back after a crash', async () => {
    const dir = path.join(disk.dir, 'failed-append');
    const store = await openMasterStore(dir);
    const log = new ExecutionLog(store);
    await store.flush();
    disk.fill();
    const first = store.saveExecutions([]); // in flight: the next two share one append
    const [small, big] = await Promise.all([begin(log, 'small'), begin(log, 'big', 8192)]);
    await first;
    // kill -9 now: what a restart loads is what the files hold.
    const copy = tempDir('gov-crash-copy-');
    for (const name of [MASTER_STATE_FILE, EXECUTION_JOURNAL_FILE])
      copyFileSync(path.join(dir, name), path.join(copy, name));
    const again = await openMasterStore(copy);
    const reloaded = new ExecutionLog(again);
    for (const [what, r] of [
      ['small', small],
      ['big', big],
    ] as const) {
      const inMemory = log.query({ handler: what }).count;
      const onDisk = reloaded.query({ handler: what }).count;
      assert.equal(onDisk, r.id ? 1 : 0, `${what}: on disk after a restart exactly when acknowledged`);
      assert.equal(inMemory, onDisk, `${what}: memory holds what a restart would load`);
    }
    await again.close();
    disk.free();
    await store.close();
  });

  it('a clear refused for a full disk leaves the ring as it was, in the order the records began', async () => {
    const dir = path.join(disk.dir, 'clear');
    const store = await openMasterStore(dir);
    const log = new ExecutionLog(store);
    const running = await begin(log, 'running');
    for (const h of ['done-1', 'done-2']) {
      const r = await begin(log, h);
      await log.complete(r.id as string, { status: 'success' });
    }
    const want = log.query().records.map((r) => r.handler);
    assert.ok(running.id);
    disk.fill();
    await assert.rejects(log.clear(), /ENOSPC/);
    assert.deepEqual(
      log.query().records.map((r) => r.handler),
      want,
      'newest first, as before the clear',
    );
    disk.free();
    await store.close();
  });
});
