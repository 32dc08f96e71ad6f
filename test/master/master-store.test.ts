/**
 * Master store: one master per data dir, acknowledged executions are on disk, and `kill -9` at random
 * moments never leaves a file that fails to load. Child processes run test/fixtures/exec-log-writer.mjs
 * against the built code (dist/).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LockedError } from '../../shared/errors.js';
import { EXECUTION_JOURNAL_FILE } from '../../master/state/execution-journal.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { MASTER_STATE_FILE, openMasterStore, type MasterState } from '../../master/state/store.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

const WRITER = fixture('exec-log-writer.mjs');

interface Writer {
  child: ChildProcess;
  acks: string[];
  lines: string[];
  exited: Promise<NodeJS.Signals | number | null>;
}

function startWriter(dir: string, mode: 'once' | 'hammer', inFlight = 50): Writer {
  const child = spawn(process.execPath, [WRITER, dir, mode, String(inFlight)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackPid(child.pid);
  const w: Writer = {
    child,
    acks: [],
    lines: [],
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code))),
  };
  let buf = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const line of parts) {
      w.lines.push(line);
      if (line.startsWith('ack ')) w.acks.push(line.slice(4));
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => w.lines.push(`stderr: ${chunk.toString()}`));
  return w;
}

describe('master store', () => {
  it('a second open of the same data dir is refused with a clear error', async () => {
    const dir = tempDir('gov-store-');
    const first = await openMasterStore(dir);
    try {
      await assert.rejects(openMasterStore(dir), (e: Error) => {
        assert.ok(e instanceof LockedError);
        assert.match(
          e.message,
          new RegExp(`data dir ${dir} is in use by another .*\\(pid ${process.pid}\\)`),
        );
        return true;
      });
    } finally {
      await first.close();
    }
    const again = await openMasterStore(dir);
    await again.close();
  });

  it('creates a file with the full layout and an execution journal; refuses a file from a newer layout', async () => {
    const dir = tempDir('gov-store-');
    const store = await openMasterStore(dir);
    await store.flush();
    await store.close();
    const onDisk = JSON.parse(readFileSync(path.join(dir, MASTER_STATE_FILE), 'utf8')) as MasterState;
    assert.deepEqual(Object.keys(onDisk).sort(), [
      'agents',
      'execution_journal',
      'instances',
      'rollouts',
      'specs',
      'version',
    ]);
    assert.equal(readFileSync(path.join(dir, EXECUTION_JOURNAL_FILE), 'utf8'), '{"lifetime":0}\n');
    const store2 = await openMasterStore(dir);
    await store2.update((d) => {
      d.version = 99;
    });
    await store2.close();
    await assert.rejects(openMasterStore(dir), /layout version 99/);
  });

  it('an execution acknowledged by complete() is on disk even if the process is killed right after', async () => {
    const dir = tempDir('gov-store-');
    const w = startWriter(dir, 'once');
    assert.equal(await w.exited, 'SIGKILL', w.lines.join('\n'));
    assert.equal(w.acks.length, 1, w.lines.join('\n'));
    const store = await openMasterStore(dir); // the dead writer's lock is stale and taken over
    try {
      const log = new ExecutionLog(store);
      const rec = log.get(w.acks[0] as string);
      assert.equal(rec?.status, 'success');
      assert.equal(rec?.result, 'pid 4242');
      assert.equal(rec?.issued_by, 'admin');
      assert.equal(typeof rec?.duration_ms, 'number');
      assert.equal(log.lifetime, 1);
    } finally {
      await store.close();
    }
  });

  it('kill -9 at 10 random moments while hammering: the file always loads, acknowledged records are kept', async function () {
    this.timeout(60_000);
    const dir = tempDir('gov-store-');
    let lifetimeBefore = 0;
    for (let round = 0; round < 10; round++) {
      const w = startWriter(dir, 'hammer', 50);
      const target = 1 + Math.floor(Math.random() * 300);
      await waitFor(() => w.acks.length >= target, {
        what: `${target} acks (round ${round}): ${w.lines.slice(-3).join('|')}`,
      });
      // A random moment after the target: anywhere within the next few writes.
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      w.child.kill('SIGKILL');
      assert.equal(await w.exited, 'SIGKILL');
      const store = await openMasterStore(dir);
      try {
        const log = new ExecutionLog(store);
        // Every acknowledged record not yet pushed out of the ring by newer ones is there, completed.
        const recent = w.acks.slice(-500);
        for (const id of recent) {
          const rec = log.get(id);
          assert.ok(rec, `round ${round}: acknowledged execution ${id} missing after kill -9`);
          assert.notEqual(rec.status, 'running');
        }
        assert.ok(
          log.lifetime >= lifetimeBefore + w.acks.length,
          `round ${round}: lifetime ${log.lifetime} < ${lifetimeBefore} + ${w.acks.length}`,
        );
        lifetimeBefore = log.lifetime;
        assert.equal(store.data.agents['edge-1']?.hostname, 'h1');
      } finally {
        await store.close();
      }
    }
  });
});
