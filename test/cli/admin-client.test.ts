/**
 * The gRPC AdminApi over real mTLS against a stub Admin server (port 0, certs from the PKI helper in a
 * temp dir): requests and responses cross the wire intact, and every failure becomes a clear message.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createGrpcAdminApi, inFlagWords, mapGrpcError } from '../../master/cli/admin-client.js';
import { main } from '../../master/cli/gov-program.js';
import { adminHandlers } from '../../master/api/admin-service.js';
import type { RolloutEngine } from '../../master/rollout/engine.js';
import type { Fleet } from '../../master/fleet/fleet.js';
import { FIELDS_METADATA_KEY, toServiceError } from '../../shared/grpc-status.js';
import { GovError, NotFoundError, StateError, UnavailableError } from '../../shared/errors.js';
import { initPki } from '../../shared/pki.js';
import { loadProtos } from '../../shared/proto.js';
import { clientConnection, loadTlsMaterial, serverCredentials, serverOptions } from '../../shared/tls.js';
import { tempDir } from '../helpers/common.js';
import { METRICS, captureIO, execution, instance } from './fake-admin.js';

type Handler = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

describe('admin client', () => {
  describe('mapGrpcError', () => {
    const target = '127.0.0.1:7070';
    const err = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

    it('connection refused names the address and what to do', () => {
      const e = mapGrpcError(
        err(
          grpc.status.UNAVAILABLE,
          'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7070',
        ),
        target,
      );
      assert.equal(
        e.message,
        'cannot reach master at 127.0.0.1:7070: connection refused — is `gov master` running? pass --master or set GOV_MASTER',
      );
      assert.equal(e.kind, 'UNAVAILABLE');
    });

    it('TLS failures point at the certificate flags', () => {
      const e = mapGrpcError(
        err(
          grpc.status.UNAVAILABLE,
          'No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ',
        ),
        target,
      );
      assert.match(
        e.message,
        /^TLS handshake with master at 127\.0\.0\.1:7070 failed: self-signed certificate in certificate chain — check --ca\/--cert\/--key/,
      );
    });

    it('server-side refusals keep the server message', () => {
      for (const code of [
        grpc.status.PERMISSION_DENIED,
        grpc.status.NOT_FOUND,
        grpc.status.INVALID_ARGUMENT,
      ]) {
        assert.equal(
          mapGrpcError(err(code, 'handler "web" not found'), target).message,
          'handler "web" not found',
        );
      }
      assert.equal(mapGrpcError(err(grpc.status.NOT_FOUND, 'x'), target).kind, 'NOT_FOUND');
    });

    it('a message that names request fields shows the flags that set them instead', () => {
      const fields = new grpc.Metadata();
      fields.set(FIELDS_METADATA_KEY, 'pid');
      const e = mapGrpcError(
        Object.assign(err(grpc.status.INVALID_ARGUMENT, 'pid 1 is not a process id'), { metadata: fields }),
        target,
      );
      assert.equal(e.message, '--pid 1 is not a process id');
      assert.equal(e.kind, 'INVALID_ARGUMENT');
      assert.equal(
        mapGrpcError(err(grpc.status.INVALID_ARGUMENT, 'pid 1 is not a process id'), target).message,
        'pid 1 is not a process id',
        'no fields sent: the message is left as it is',
      );
      assert.equal(inFlagWords('instance needs agent', ['instance', 'agent']), '--instance needs --agent');
      assert.equal(
        inFlagWords('name "Bad Name" is not a valid name', ['name']),
        '--name "Bad Name" is not a valid name',
        'only the first mention is the field',
      );
      assert.equal(inFlagWords('agent-1 and agents', ['agent']), 'agent-1 and agents', 'whole words only');
    });

    it('deadline names the timeout', () => {
      assert.match(
        mapGrpcError(err(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), target, 2000).message,
        /^master at 127\.0\.0\.1:7070 did not answer within 2s/,
      );
    });
  });

  describe('over mTLS against a stub Admin server', () => {
    let server: grpc.Server;
    let cwd: string;
    let port: number;
    const received: Array<[string, unknown]> = [];
    const handlers: Record<string, Handler> = {};
    /** A client connection to the stub server as admin-admin. */
    const adminConnection = () => {
      const certs = path.join(cwd, 'certs');
      return clientConnection(
        `127.0.0.1:${port}`,
        loadTlsMaterial({
          caPath: path.join(certs, 'ca.crt'),
          certPath: path.join(certs, 'admin-admin.crt'),
          keyPath: path.join(certs, 'admin-admin.key'),
          cwd,
        }),
      );
    };

    before(async () => {
      cwd = tempDir();
      const certs = path.join(cwd, 'certs');
      await initPki({ dir: certs, viewers: ['bob'] });
      const material = loadTlsMaterial({
        caPath: path.join(certs, 'ca.crt'),
        certPath: path.join(certs, 'master.crt'),
        keyPath: path.join(certs, 'master.key'),
        cwd,
      });
      const { admin } = loadProtos();
      server = new grpc.Server(serverOptions());
      const impl: grpc.UntypedServiceImplementation = {};
      for (const method of Object.keys(admin.governor.v1.Admin.service)) {
        impl[method] = ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          received.push([method, call.request]);
          const h = handlers[method];
          if (h) h(call, cb);
          else cb({ code: grpc.status.UNIMPLEMENTED, details: `${method} not stubbed` });
        }) as grpc.handleUnaryCall<unknown, unknown>;
      }
      server.addService(admin.governor.v1.Admin.service, impl);
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', serverCredentials(material), (e, p) => (e ? reject(e) : resolve(p))),
      );
    });

    after(() => server?.forceShutdown());
    beforeEach(() => {
      received.length = 0;
      for (const k of Object.keys(handlers)) delete handlers[k];
    });

    const gov = async (argv: string[]) => {
      const io = captureIO({ cwd });
      const code = await main([...argv, '--master', `127.0.0.1:${port}`], io);
      return { code, io };
    };

    it('gov ps --json: request fields and the response cross the wire', async () => {
      handlers.ListInstances = (_call, cb) => cb(null, { instances: [instance()] });
      const { code, io } = await gov(['ps', 'web', '--agent', 'edge-1', '--json']);
      assert.equal(code, 0, io.stderr);
      assert.deepEqual(received, [
        [
          'ListInstances',
          {
            handler: '',
            agent: '',
            targets: { names: ['web'], all: false, selector: {}, agents: ['edge-1'] },
            page_size: 0,
            page_token: '',
          },
        ],
      ]);
      const doc = JSON.parse(io.stdout) as { instances: Array<Record<string, unknown>> };
      assert.equal(doc.instances[0]?.pid, 4321);
      assert.deepEqual(doc.instances[0]?.last_exit, { code: 1, signal: '', at: '2025-01-01T11:58:00.000Z' });
    });

    it('gov restart / metrics / executions / logs send the documented request messages', async () => {
      handlers.Control = (_c, cb) =>
        cb(null, { executions: [execution()], instances: [instance({ pid: 99 })] });
      handlers.GetMetrics = (_c, cb) => cb(null, METRICS);
      handlers.ListExecutions = (_c, cb) => cb(null, { count: 1, records: [execution()] });
      handlers.TailLogs = (_c, cb) => cb(null, { lines: ['hello'] });
      assert.equal((await gov(['restart', 'web', '--agent', 'edge-1'])).code, 0);
      assert.equal((await gov(['signal', 'hup', '--selector', 'tier=web', '--main'])).code, 0);
      assert.equal((await gov(['ensure', 'web', '--hold', '90s'])).code, 0);
      assert.equal((await gov(['metrics', '--json'])).code, 0);
      assert.equal((await gov(['executions', '--kind', 'restart', '--limit', '3'])).code, 0);
      const logs = await gov(['logs', 'web', '--agent', 'edge-1', '--tail', '5']);
      assert.equal(logs.io.stdout, 'hello\n');
      assert.deepEqual(received, [
        [
          'Control',
          {
            action: 'restart',
            handler: '',
            agent: '',
            instance: '',
            targets: { names: ['web'], all: false, selector: {}, agents: ['edge-1'] },
            signal: '',
            main: false,
            hold_ms: 0,
          },
        ],
        [
          'Control',
          {
            action: 'signal',
            handler: '',
            agent: '',
            instance: '',
            targets: { names: [], all: false, selector: { tier: 'web' }, agents: [] },
            signal: 'SIGHUP',
            main: true,
            hold_ms: 0,
          },
        ],
        [
          'Control',
          {
            action: 'ensure',
            handler: '',
            agent: '',
            instance: '',
            targets: { names: ['web'], all: false, selector: {}, agents: [] },
            signal: '',
            main: false,
            hold_ms: 90_000,
          },
        ],
        [
          'GetMetrics',
          { handler: '', agent: '', targets: { names: [], all: false, selector: {}, agents: [] } },
        ],
        [
          'ListExecutions',
          {
            handler: '',
            agent: '',
            kind: 'restart',
            status: '',
            since: '',
            limit: 3,
            page_size: 0,
            page_token: '',
          },
        ],
        [
          'TailLogs',
          {
            handler: '',
            agent: '',
            tail: 5,
            stream: 'stdout',
            instance: '',
            targets: { names: ['web'], all: false, selector: {}, agents: ['edge-1'] },
          },
        ],
      ]);
    });

    it("the master's refusal of unknown target names exits 2 (nothing was done); other refusals exit 1", async () => {
      const refuse = (err: GovError) => {
        handlers.Control = (_c, cb) => cb(toServiceError(err));
      };
      refuse(
        new NotFoundError('unknown handler "nope" (known: web); nothing was done', { fields: ['targets'] }),
      );
      let r = await gov(['restart', 'web', 'nope']);
      assert.equal(r.code, 2, r.io.stderr);
      assert.equal(r.io.stderr, 'error: unknown handler "nope" (known: web); nothing was done\n');
      refuse(new StateError('ext is an observed process (attached by PID)'));
      r = await gov(['signal', 'HUP', 'ext']);
      assert.equal(r.code, 1, r.io.stderr);
    });

    it('a master that refuses a call as unavailable (its disk full) is not reported as unreachable', async () => {
      let calls = 0;
      handlers.Control = (_c, cb) => {
        calls++;
        cb(
          toServiceError(
            new UnavailableError(
              'restart of db@a1 was not sent to agent a1: its execution record could not be written (ENOSPC: no space left on device, write); nothing was done',
            ),
          ),
        );
      };
      const { code, io } = await gov(['restart', 'db']);
      assert.equal(code, 1);
      assert.equal(
        io.stderr,
        `error: master at 127.0.0.1:${port}: restart of db@a1 was not sent to agent a1: its execution record could not be written (ENOSPC: no space left on device, write); nothing was done\n`,
      );
      assert.equal(calls, 1, 'an answer, not a lost call: not repeated');
    });

    it("a refusal exits 1 with the server's message", async () => {
      handlers.Control = (_c, cb) =>
        cb({
          code: grpc.status.PERMISSION_DENIED,
          details: 'viewer "bob" may not call Control (read-only role)',
        });
      const { code, io } = await gov(['stop', 'web']);
      assert.equal(code, 1);
      assert.equal(io.stderr, 'error: viewer "bob" may not call Control (read-only role)\n');
    });

    it('an API refusal names the request field; the CLI shows its flag in its place', async () => {
      const fleet = {
        registry: {
          getAgent: (id: string) => ({ id }),
          getSpec: (name: string) => ({ spec: { name } }),
          agentsFor: () => ['edge-1'],
        },
        executions: {},
      } as unknown as Fleet;
      handlers.Attach = adminHandlers(fleet, {} as RolloutEngine).Attach as unknown as Handler;

      const { admin } = loadProtos();
      const conn = adminConnection();
      const client = new admin.governor.v1.Admin(conn.target, conn.credentials, conn.options);
      const attach = (req: { agent: string; pid: number; name: string }) =>
        new Promise<grpc.ServiceError>((resolve, reject) =>
          client.Attach(req, (e, res) => (e ? resolve(e) : reject(new Error(`accepted: ${String(res)}`)))),
        );
      try {
        const missing = await attach({ agent: '', pid: 4242, name: 'ext' });
        assert.equal(missing.code, grpc.status.INVALID_ARGUMENT);
        assert.equal(missing.details, 'agent is required');
        assert.deepEqual(missing.metadata.get(FIELDS_METADATA_KEY), ['agent']);
        const clash = await attach({ agent: 'edge-1', pid: 4242, name: 'web' });
        assert.equal(clash.code, grpc.status.FAILED_PRECONDITION);
        assert.match(clash.details, /^name web: handler web and the observed process web \(pid 4242\)/);
      } finally {
        client.close();
      }

      const { code, io } = await gov(['attach', '--agent', 'edge-1', '--pid', '4242', '--name', 'web']);
      assert.equal(code, 1);
      assert.match(
        io.stderr,
        /^error: --name web: handler web and the observed process web \(pid 4242\) on agent edge-1/,
      );
    });

    it('a master that does not answer hits the --timeout deadline', async () => {
      handlers.GetStats = () => {
        /* never answers */
      };
      const started = Date.now();
      const { code, io } = await gov(['stats', '--timeout', '300ms']);
      assert.equal(code, 1);
      assert.match(io.stderr, /did not answer within 300ms/);
      assert.ok(Date.now() - started < 5000);
    });

    it('a control action waits as long as the master takes (its handlers set that), beyond the call timeout; --timeout still bounds it', async () => {
      // The master answers a stop after 600 ms (a handler's stop_timeout); the call timeout here is 200 ms.
      handlers.Control = (_c, cb) =>
        setTimeout(() => cb(null, { outcomes: [], executions: [], instances: [] }), 600);
      const conn = adminConnection();
      const api = (waitTimeoutMs?: number) =>
        createGrpcAdminApi({
          target: conn.target,
          credentials: conn.credentials,
          channelOptions: conn.options,
          timeoutMs: 200,
          ...(waitTimeoutMs !== undefined ? { waitTimeoutMs } : {}),
        });
      const patient = api();
      try {
        const res = await patient.control('stop', { names: ['web'], all: false, selector: {}, agents: [] });
        assert.deepEqual(res.outcomes, []);
      } finally {
        patient.close();
      }
      const bounded = api(200);
      try {
        await assert.rejects(
          bounded.control('stop', { names: ['web'], all: false, selector: {}, agents: [] }),
          /did not answer within 200ms/,
        );
      } finally {
        bounded.close();
      }
    });

    it('a master certificate from another CA is refused with a TLS hint naming the CA file', async () => {
      const other = tempDir();
      await initPki({ dir: path.join(other, 'certs') });
      const io = captureIO({ cwd: other });
      const code = await main(['ps', '--master', `127.0.0.1:${port}`], io);
      assert.equal(code, 1);
      assert.match(
        io.stderr,
        /TLS handshake with master at 127\.0\.0\.1:\d+ failed: this client does not trust the master's certificate \(self-signed certificate in certificate chain\): it must be issued by the CA in \.\/certs\/ca\.crt and name 127\.0\.0\.1 — check --ca \(GOV_CA\)/,
      );
      assert.deepEqual(received, []);
    });

    it('a client certificate from another CA: the CLI says the master refused it in the TLS handshake, naming the files', async () => {
      const other = tempDir();
      await initPki({ dir: other });
      const io = captureIO({ cwd });
      const code = await main(
        [
          'ps',
          '--master',
          `127.0.0.1:${port}`,
          '--cert',
          path.join(other, 'admin-admin.crt'),
          '--key',
          path.join(other, 'admin-admin.key'),
        ],
        io,
      );
      assert.equal(code, 1);
      const certFile = path.join(other, 'admin-admin.crt');
      assert.equal(
        io.stderr,
        `error: TLS handshake with master at 127.0.0.1:${port} failed: the master refused the client ` +
          `certificate ${certFile} (key ${path.join(other, 'admin-admin.key')}): it was not issued by the CA ` +
          "in ./certs/ca.crt (which issued the master's certificate) but by another one (CN=Governor " +
          'dev CA, O=Governor); use a certificate of the cluster CA (gov certs issue) — check --cert/--key ' +
          '(GOV_CERT, GOV_KEY)\n',
      );
      assert.deepEqual(received, []);
    });
  });
});
