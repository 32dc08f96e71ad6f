/**
 * A watcher that never reads cannot grow the master's memory without bound: its buffer stays within
 * `--watch-buffer` (plus what grpc-js takes before `write()` says stop), then it is dropped with one
 * `dropped` notice and the stream ends (status OK); meanwhile a reading watcher gets every event, and a
 * cancelled one is removed at once. Master shutdown ends every stream.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../../proto/generated/governor/v1/Admin.js';
import type { WatchEvent__Output } from '../../proto/generated/governor/v1/WatchEvent.js';
import { DistributedGovernor } from '../../master/governor.js';
import { compileMasterOptions } from '../../master/options.js';
import { silentLogger } from '../../shared/logger.js';
import { loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { testPki } from '../helpers/pki.js';

const BOUND = 50;
/** What grpc-js's object-mode writable takes before write() returns false. */
const GRPC_WRITE_AHEAD = 16;

/** An instance event as large as a real one (a status with a command line, events and a reason). */
function bigEvent(i: number) {
  return {
    kind: 'instance',
    at: new Date().toISOString(),
    handler: 'web',
    agent: 'edge-1',
    instance: {
      key: 'web',
      instance: {
        agent: 'edge-1',
        stale: false,
        reported_at: new Date().toISOString(),
        status: {
          handler: 'web',
          state: i % 2 ? 'running' : 'stopping',
          pid: 1000 + i,
          health_reason: 'x'.repeat(1500),
        },
      },
    },
  };
}

describe('watch back-pressure: a client that never reads', function () {
  this.slow(10_000);
  let governor: DistributedGovernor;
  let clients: grpc.Client[] = [];

  const client = async (): Promise<AdminClient> => {
    const pki = await testPki();
    const conn = clientConnection(`127.0.0.1:${governor.port}`, pki.material('admin-admin'), {
      separateConnection: true,
    });
    const { admin } = loadProtos();
    const c = new admin.governor.v1.Admin(conn.target, conn.credentials, conn.options) as AdminClient;
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    const pki = await testPki();
    const options = compileMasterOptions(
      {
        listen: '127.0.0.1:0',
        http: 'off',
        data_dir: tempDir(),
        ca: path.join(pki.dir, 'ca.crt'),
        cert: path.join(pki.dir, 'master.crt'),
        key: path.join(pki.dir, 'master.key'),
        watch_buffer: BOUND,
        watch_events: 100,
      },
      process.cwd(),
    );
    governor = await DistributedGovernor.create(options, silentLogger);
    await governor.listen();
  });
  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await governor.shutdown();
  });

  it('is dropped after its bounded buffer with one dropped notice, the stream ending OK; a reader gets every event meanwhile', async () => {
    const hub = governor.watch.hub;
    // A grpc-js client acknowledges HTTP/2 data whether or not its code reads: a client that never reads
    // is one whose process stops reading its socket (stopped, hung). Stand for it with a stopped process.
    const pki = await testPki();
    const p = pki.paths('admin-admin');
    const child = spawn(
      process.execPath,
      [fixture('watch-client.mjs'), `127.0.0.1:${governor.port}`, p.ca, p.cert, p.key],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    trackPid(child.pid);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const fast = (await client()).Watch({ follow: true });
    const fastGot: WatchEvent__Output[] = [];
    fast.on('data', (e: WatchEvent__Output) => fastGot.push(e));
    fast.on('error', () => {});
    await waitFor(() => hub.stats().watchers === 2, { what: 'two watchers' });
    hub.publish(bigEvent(0));
    await waitFor(() => out.includes('ready'), { what: 'the client to get its first event' });
    process.kill(child.pid!, 'SIGSTOP');
    try {
      let maxBuffered = 0;
      let i = 1;
      for (; hub.stats().watchers === 2 && i < 20_000; i++) {
        hub.publish(bigEvent(i));
        for (const w of hub.stats().each) maxBuffered = Math.max(maxBuffered, w.buffered);
        // At the pace the reader reads (it must never be the one dropped), in bursts of 20.
        if (i % 20 === 19)
          await waitFor(() => fastGot.length >= i - 20, { what: 'the reader', intervalMs: 1 });
      }
      assert.equal(hub.stats().watchers, 1, `the stopped client dropped (after ${i} events)`);
      assert.ok(maxBuffered <= BOUND + GRPC_WRITE_AHEAD + 1, `buffered at most ${maxBuffered}`);
      for (let k = 0; k < 30; k++) hub.publish(bigEvent(i + k)); // the master goes on with the others
      const total = i + 30;
      await waitFor(() => fastGot.length === total, { what: `the reader to get all ${total} events` });
      assert.deepEqual(
        fastGot.map((e) => e.index),
        Array.from({ length: total }, (_, k) => k + 1),
      );
    } finally {
      process.kill(child.pid!, 'SIGCONT');
    }
    // It reads again: what was sent before the drop, then the notice, then the end with status OK.
    await waitFor(() => /^(end|error .*)$/m.test(out), { what: `the client to end:\n${out}` });
    const m = /received (\d+) last (\S+) (\S+) (\d+)\n(.*)/.exec(out);
    assert.ok(m, out);
    assert.equal(m[5], 'end', out);
    assert.deepEqual([m[2], m[3]], ['notice', 'dropped'], out);
    assert.ok(Number(m[1]) < fastGot.length, out);
  });

  it('a cancelled watcher is removed at once', async () => {
    const hub = governor.watch.hub;
    const call = (await client()).Watch({ follow: true });
    call.on('error', () => {});
    call.on('data', () => {});
    await waitFor(() => hub.stats().watchers === 1, { what: 'the watcher' });
    call.cancel();
    await waitFor(() => hub.stats().watchers === 0, { what: 'the watcher removed' });
  });

  it('master shutdown ends every stream (UNAVAILABLE), also one that never reads', async () => {
    const hub = governor.watch.hub;
    const reading = (await client()).Watch({ follow: true });
    const idle = (await client()).Watch({ follow: true });
    const codes = Promise.all(
      [reading, idle].map(
        (call) =>
          new Promise<number>((resolve) => call.on('status', (s: grpc.StatusObject) => resolve(s.code))),
      ),
    );
    reading.on('data', () => {});
    reading.on('error', () => {});
    idle.on('error', () => {});
    await waitFor(() => hub.stats().watchers === 2, { what: 'two watchers' });
    for (let i = 0; i < BOUND - 10; i++) hub.publish(bigEvent(i));
    await governor.shutdown(20_000);
    idle.on('data', () => {});
    const [a, b] = await codes;
    assert.equal(a, grpc.status.UNAVAILABLE);
    assert.ok(b === grpc.status.UNAVAILABLE || b === grpc.status.CANCELLED, `idle ended with ${b}`);
  });
});
