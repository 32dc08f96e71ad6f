/**
 * The CLI follows the leader of an HA cluster (DESIGN §9 "HA"), over real mTLS against stub masters:
 * `--master`/`GOV_MASTER` lists, a follower's refusal followed to the leader it names (mutations too: a
 * refused call was not carried out), unreachable addresses skipped, a read repeated after its connection
 * was lost but a mutation never, rounds backed off within the deadline, and a final error naming every
 * address tried and why. Streams (watch, exec) are opened at the leader the same way.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { createGrpcAdminApi, type AdminApi, type WatchEvent } from '../../master/cli/admin-client.js';
import { runExec } from '../../master/cli/exec.js';
import { main } from '../../master/cli/gov-program.js';
import { callFate, withFailover } from '../../master/cli/master-failover.js';
import { GovError, NotLeaderError } from '../../shared/errors.js';
import { toServiceError } from '../../shared/grpc-status.js';
import { FencedError } from '../../master/state/etcd-store.js';
import { MasterRotation } from '../../shared/master-rotation.js';
import { initPki } from '../../shared/pki.js';
import { clientConnection, loadTlsMaterial } from '../../shared/tls.js';
import { GOV_BIN, tempDir } from '../helpers/common.js';
import { deadAddress } from '../agent/health-helpers.js';
import { captureIO, instance } from './fake-admin.js';
import { StubMaster } from './stub-masters.js';

const status = (code: grpc.status, details: string, headers = false) => {
  const metadata = new grpc.Metadata();
  if (headers) metadata.set('content-type', 'application/grpc+proto');
  return Object.assign(new Error(details), { code, details, metadata });
};

describe('clients follow the leader', () => {
  describe('what a failed call says of its fate', () => {
    it("a follower's refusal: not carried out, names the leader", () => {
      assert.deepEqual(callFate(new NotLeaderError('m3:7070')), { kind: 'refused', leader: 'm3:7070' });
    });
    it('no connection (grpc-js picker), or still waiting for one at the deadline: never sent', () => {
      const refused = 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.';
      assert.equal(callFate(status(grpc.status.UNAVAILABLE, refused)).kind, 'unreachable');
      const pick = 'Deadline exceeded after 1.001s,Waiting for LB pick';
      assert.equal(callFate(status(grpc.status.DEADLINE_EXCEEDED, pick)).kind, 'unreachable');
    });
    it('a connection lost or a deadline passed after sending: may have been carried out', () => {
      assert.equal(callFate(status(grpc.status.UNAVAILABLE, 'Connection dropped')).kind, 'lost');
      const sent = 'Deadline exceeded after 1.001s,LB pick: 0.001s,remote_addr=127.0.0.1:7070';
      assert.equal(callFate(status(grpc.status.DEADLINE_EXCEEDED, sent)).kind, 'lost');
    });
    it("the master's own UNAVAILABLE (e.g. an agent not connected) is its answer", () => {
      assert.equal(
        callFate(status(grpc.status.UNAVAILABLE, 'agent edge-1 is not connected', true)).kind,
        'answer',
      );
      assert.equal(callFate(status(grpc.status.NOT_FOUND, 'no handler web')).kind, 'answer');
    });
  });

  describe('withFailover', () => {
    const noSleep = { sleep: async () => {}, random: () => 0.5 };
    it('a mutation whose connection was lost is not repeated, and the error says to check', async () => {
      const r = new MasterRotation(['a:1', 'b:1']);
      const tried: string[] = [];
      const lost = new GovError('UNAVAILABLE', 'master at a:1 failed: Connection dropped', {
        cause: status(grpc.status.UNAVAILABLE, 'Connection dropped'),
      });
      await assert.rejects(
        withFailover(r, async (a) => (tried.push(a), Promise.reject(lost)), {
          deadline: Date.now() + 10_000,
          readOnly: false,
          ...noSleep,
        }),
        /may have been carried out: check `gov executions` before repeating it/,
      );
      assert.deepEqual(tried, ['a:1']);
    });
    it('a read whose connection was lost is repeated at the next master', async () => {
      const r = new MasterRotation(['a:1', 'b:1']);
      const tried: string[] = [];
      const result = await withFailover(
        r,
        async (a) => {
          tried.push(a);
          if (a === 'a:1') throw status(grpc.status.UNAVAILABLE, 'Connection dropped');
          return 'ok';
        },
        { deadline: Date.now() + 10_000, readOnly: true, ...noSleep },
      );
      assert.equal(result, 'ok');
      assert.deepEqual(tried, ['a:1', 'b:1']);
      assert.equal(r.current, 'b:1', 'the next call starts where this one succeeded');
    });
    it('backs off between rounds while no leader is elected, until the deadline', async () => {
      const r = new MasterRotation(['a:1', 'b:1']);
      const sleeps: number[] = [];
      let now = 0;
      await assert.rejects(
        withFailover(r, async () => Promise.reject(new NotLeaderError('')), {
          deadline: 3000,
          readOnly: false,
          now: () => now,
          sleep: async (ms) => {
            sleeps.push(ms);
            now += ms;
          },
          random: () => 0.5,
        }),
        /no leader took the call \(2 masters tried over .*\): a:1: .*no leader is elected yet.*; b:1: /,
      );
      assert.deepEqual(sleeps.slice(0, 4), [200, 400, 800, 1000], 'jittered backoff at its midpoint, capped');
    });
  });

  describe('over mTLS against stub masters', () => {
    let cwd: string;
    let masters: StubMaster[];
    let dead: string;

    before(async () => {
      cwd = tempDir();
      const certs = path.join(cwd, 'certs');
      await initPki({ dir: certs });
      const material = loadTlsMaterial({
        caPath: path.join(certs, 'ca.crt'),
        certPath: path.join(certs, 'master.crt'),
        keyPath: path.join(certs, 'master.key'),
        cwd,
      });
      masters = await Promise.all([0, 1, 2].map(() => StubMaster.start(material)));
      dead = await deadAddress();
    });
    after(() => masters?.forEach((m) => m.stop()));

    /** masters[2] leads, 0 and 1 follow naming it. */
    beforeEach(() => {
      for (const m of masters) {
        m.received.length = 0;
        for (const k of Object.keys(m.handlers)) delete m.handlers[k];
        m.role = 'follower';
        m.leader = masters[2]!.address;
      }
      masters[2]!.role = 'leader';
    });

    const list = () => masters.map((m) => m.address).join(',');
    const gov = async (argv: string[], env: Record<string, string> = {}) => {
      const io = captureIO({ cwd, env });
      const code = await main(argv, io);
      return { code, io };
    };

    it('gov ps with the list (GOV_MASTER) reaches the leader past a dead address and a follower', async () => {
      masters[2]!.handlers.ListInstances = (_c, cb) => cb(null, { instances: [instance()] });
      const { code, io } = await gov(['ps', '--json'], { GOV_MASTER: `${dead},${list()}` });
      assert.equal(code, 0, io.stderr);
      assert.equal((JSON.parse(io.stdout) as { instances: unknown[] }).instances.length, 1);
      assert.equal(masters[0]!.count('ListInstances'), 1, 'the follower refused once and named the leader');
      assert.equal(masters[1]!.count('ListInstances'), 0, 'the hint was followed: the next follower skipped');
      assert.equal(masters[2]!.count('ListInstances'), 1);
    });

    it('a mutation refused by a follower is carried out once, on the leader it names', async () => {
      masters[2]!.handlers.Control = (_c, cb) => cb(null, { outcomes: [], executions: [] });
      const { code, io } = await gov(['restart', 'web', '--master', list()]);
      assert.equal(code, 0, io.stderr);
      assert.equal(masters[2]!.count('Control'), 1);
      assert.equal(masters[0]!.count('Control') + masters[1]!.count('Control'), 1);
    });

    it('a mutation whose connection broke after it was sent is not repeated elsewhere', async () => {
      masters[2]!.leader = masters[1]!.address;
      masters[1]!.role = 'leader';
      masters[1]!.handlers.Control = (_c, cb) => cb(null, { outcomes: [], executions: [] });
      masters[2]!.handlers.Control = (call) =>
        (
          call as unknown as { call: { stream: { session: { destroy(): void } } } }
        ).call.stream.session.destroy();
      const { code, io } = await gov([
        'restart',
        'web',
        '--master',
        `${masters[2]!.address},${masters[1]!.address}`,
      ]);
      assert.equal(code, 1);
      assert.match(io.stderr, /may have been carried out: check `gov executions` before repeating it/);
      assert.equal(masters[1]!.count('Control'), 0, 'never sent to a second master');
    });

    it('a mutation whose leader lost the lead part-way (a fenced write) is not repeated on another master', async () => {
      // What it wrote before the fenced write stays (Apply: the specs, then its rolling update refused):
      // repeated on the new leader it would find them stored ("unchanged") and start no rolling update.
      masters[1]!.role = 'leader';
      masters[1]!.handlers.Control = (_c, cb) => cb(null, { outcomes: [], executions: [] });
      masters[2]!.handlers.Control = (_c, cb) =>
        cb(toServiceError(new FencedError({ key: '/g/leader', createRevision: '7' })) as grpc.ServiceError);
      const { code, io } = await gov([
        'restart',
        'web',
        '--master',
        `${masters[2]!.address},${masters[1]!.address}`,
      ]);
      assert.equal(code, 1);
      assert.match(io.stderr, /lost the lead/);
      assert.match(io.stderr, /check .* before repeating it/);
      assert.equal(masters[1]!.count('Control'), 0, 'never sent to a second master');
    });

    it('a read whose connection broke is repeated at the next master', async () => {
      masters[1]!.role = 'leader';
      masters[1]!.handlers.GetStats = (_c, cb) => cb(null, { total_executions: 7 });
      masters[2]!.handlers.GetStats = (call) =>
        (
          call as unknown as { call: { stream: { session: { destroy(): void } } } }
        ).call.stream.session.destroy();
      const { code, io } = await gov([
        'stats',
        '--json',
        '--master',
        `${masters[2]!.address},${masters[1]!.address}`,
      ]);
      assert.equal(code, 0, io.stderr);
      assert.equal((JSON.parse(io.stdout) as { total_executions: number }).total_executions, 7);
    });

    it('no leader elected: retried within --timeout, then an error naming every address and why', async () => {
      for (const m of masters) [m.role, m.leader] = ['follower', ''];
      const started = Date.now();
      const { code, io } = await gov(['ps', '--master', `${dead},${list()}`, '--timeout', '1500ms']);
      assert.equal(code, 1);
      assert.match(io.stderr, /^error: no leader took the call \(4 masters tried over/);
      assert.match(io.stderr, new RegExp(`${dead}: cannot reach master at ${dead}: connection refused`));
      for (const m of masters)
        assert.match(io.stderr, new RegExp(`${m.address}: master at ${m.address}: .*no leader`));
      assert.ok(masters[0]!.count('ListInstances') >= 2, 'more than one round');
      assert.ok(Date.now() - started < 10_000);
    });

    it('the gov binary waits out the backoff between rounds (it does not exit early, printing nothing)', async () => {
      for (const m of masters) [m.role, m.leader] = ['follower', ''];
      const child = spawn(process.execPath, [GOV_BIN, 'ps', '--master', list(), '--timeout', '2s'], {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      assert.equal(code, 1, stderr);
      assert.match(stderr, /no leader took the call/);
    });

    it('nothing listening anywhere: gives up after three rounds, naming each address', async () => {
      const other = await deadAddress();
      const started = Date.now();
      const { code, io } = await gov(['ps', '--master', `${dead},${other}`]);
      assert.equal(code, 1);
      assert.match(io.stderr, new RegExp(`${dead}: cannot reach master at ${dead}: connection refused`));
      assert.match(io.stderr, new RegExp(`${other}: cannot reach master at ${other}: connection refused`));
      assert.ok(Date.now() - started < 10_000, 'well before the 30 s deadline');
    });

    it('a bad --master list is a usage error naming the flag or GOV_MASTER', async () => {
      let r = await gov(['ps', '--master', `${masters[0]!.address},nope`]);
      assert.equal(r.code, 2);
      assert.match(r.io.stderr, /--master: "nope" is not HOST:PORT/);
      r = await gov(['ps'], { GOV_MASTER: `${masters[0]!.address},,x:1` });
      assert.equal(r.code, 2);
      assert.match(r.io.stderr, /GOV_MASTER ".*": an empty address in the list/);
    });

    describe('streams', () => {
      let api: AdminApi;
      beforeEach(() => {
        const material = loadTlsMaterial({
          caPath: path.join(cwd, 'certs', 'ca.crt'),
          certPath: path.join(cwd, 'certs', 'admin-admin.crt'),
          keyPath: path.join(cwd, 'certs', 'admin-admin.key'),
          cwd,
        });
        const c = clientConnection(masters[0]!.address, material);
        api = createGrpcAdminApi({
          target: c.target,
          credentials: c.credentials,
          channelOptions: c.options,
          masters: masters.map((m) => m.address),
          timeoutMs: 10_000,
        });
      });
      afterEach(() => api.close());

      it('a watch refused by a follower is opened at the leader', async () => {
        masters[2]!.handlers.Watch = (call) => {
          call.write({ index: 1, kind: 'notice', epoch: 'e' });
          call.end();
        };
        const events: WatchEvent[] = [];
        await api.watch({ follow: false }, (e) => events.push(e)).done;
        assert.deepEqual(
          events.map((e) => e.index),
          [1],
        );
        assert.equal(masters[0]!.count('Watch'), 1);
        assert.equal(masters[2]!.count('Watch'), 1);
      });

      it('an exec session refused by a follower starts once, at the leader, with its start frame', async () => {
        const starts: unknown[] = [];
        masters[2]!.handlers.Exec = (call) => {
          call.on('data', (f: { start?: unknown }) => {
            if (!f.start) return;
            starts.push(f.start);
            call.write({ started: { execution_id: 'e1', agent: 'edge-1', instance: 'web', recording: '' } });
            call.write({ stdout: Buffer.from('hi\n') });
            call.write({ exit: { code: 4, signal: '' } });
            call.end();
          });
        };
        const stdout = new PassThrough();
        let out = '';
        stdout.on('data', (d: Buffer) => (out += d.toString()));
        const code = await runExec(
          api,
          {
            targets: { names: ['web'], all: false, selector: {}, agents: [] },
            command: ['true'],
            tty: false,
            stdin: false,
            record: false,
          },
          {
            stdin: new PassThrough() as unknown as NodeJS.ReadStream,
            stdout,
            stderr: new PassThrough(),
            size: () => ({ rows: 24, cols: 80 }),
          },
          {},
        );
        assert.equal(code, 4);
        assert.equal(out, 'hi\n');
        assert.equal(starts.length, 1);
        assert.equal(masters[0]!.count('Exec'), 1, 'the follower refused it');
      });
    });
  });
});
