/**
 * DESIGN §8 item 4 / issue test 1 against a real grpc-js server on 127.0.0.1:0 hosting the real AgentLink
 * and Admin service definitions (stub handlers) behind the real credentials and auth interceptor.
 */
import assert from 'node:assert/strict';
import { checkServerIdentity } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../../proto/generated/governor/v1/Admin.js';
import type { AgentLinkClient } from '../../proto/generated/governor/v1/AgentLink.js';
import type { AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage__Output } from '../../proto/generated/governor/v1/MasterMessage.js';
import {
  callerIdentity,
  checkAgentId,
  createAuthInterceptor,
  type CallerIdentity,
} from '../../master/api/auth.js';
import { errorMessage } from '../../shared/errors.js';
import { loadProtos } from '../../shared/proto.js';
import {
  clientChannelOptions,
  clientConnection,
  serverCredentials,
  serverOptions,
  type ClientConnection,
} from '../../shared/tls.js';
import { testPki, type PairName, type TestPki } from '../helpers/pki.js';

const DEADLINE_MS = 5_000;

/** What the stub handlers saw: method name and the caller identity read inside the handler. */
interface HandlerCall {
  method: string;
  caller: CallerIdentity;
}

interface StubServer {
  address: string;
  calls: HandlerCall[];
  revoked: Set<string>;
  server: grpc.Server;
}

async function startStubServer(pki: TestPki, host = '127.0.0.1'): Promise<StubServer> {
  const { admin, link } = loadProtos();
  const calls: HandlerCall[] = [];
  const revoked = new Set<string>();
  const server = new grpc.Server(
    serverOptions([createAuthInterceptor({ isRevoked: (id) => revoked.has(id) })]),
  );

  const adminImpl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(admin.governor.v1.Admin.service)) {
    adminImpl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      calls.push({ method: name, caller: callerIdentity(call) });
      cb(null, {});
      return;
    };
  }
  server.addService(admin.governor.v1.Admin.service, adminImpl);
  server.addService(link.governor.v1.AgentLink.service, {
    Connect(call: grpc.ServerDuplexStream<AgentMessage__Output, unknown>) {
      const caller = callerIdentity(call);
      calls.push({ method: 'Connect', caller });
      call.once('data', (msg: AgentMessage__Output) => {
        try {
          checkAgentId(caller, msg.hello?.agent_id ?? '');
        } catch (err) {
          call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: errorMessage(err) });
          return;
        }
        call.write({ welcome: { heartbeat_interval_ms: 1000, metrics_interval_ms: 5000 } });
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, serverCredentials(pki.material('master')), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `${host}:${port}`, calls, revoked, server };
}

describe('security: mTLS and roles against a real server', function () {
  let pki: TestPki;
  let stub: StubServer;
  let clients: grpc.Client[] = [];

  before(async () => {
    pki = await testPki();
  });
  beforeEach(async () => {
    stub = await startStubServer(pki);
  });
  afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
    stub.server.forceShutdown();
  });

  function creds(pair: PairName, opts?: { wrongPair?: boolean; trustWrongCa?: boolean }): ClientConnection {
    return clientConnection(stub.address, pki.material(pair, opts), { separateConnection: true });
  }
  /** A client that trusts the cluster CA but presents no certificate. */
  function noCert(): ClientConnection {
    const verify = {
      checkServerIdentity: (_h: string, c: Parameters<typeof checkServerIdentity>[1]) =>
        checkServerIdentity('127.0.0.1', c),
    };
    return {
      target: stub.address,
      credentials: grpc.credentials.createSsl(pki.material('admin-admin').ca, null, null, verify),
      options: {
        ...clientChannelOptions({ separateConnection: true }),
        'grpc.ssl_target_name_override': 'governor-master',
      },
    };
  }
  function adminClient(c: ClientConnection): AdminClient {
    const client = new (loadProtos().admin.governor.v1.Admin)(c.target, c.credentials, c.options);
    clients.push(client);
    return client;
  }
  function linkClient(c: ClientConnection): AgentLinkClient {
    const client = new (loadProtos().link.governor.v1.AgentLink)(c.target, c.credentials, c.options);
    clients.push(client);
    return client;
  }
  const deadline = () => ({ deadline: Date.now() + DEADLINE_MS });

  function listAgents(c: AdminClient): Promise<unknown> {
    return new Promise((resolve, reject) =>
      c.ListAgents({}, deadline(), (err, res) => (err ? reject(err) : resolve(res))),
    );
  }
  function apply(c: AdminClient): Promise<unknown> {
    return new Promise((resolve, reject) =>
      c.Apply({ yaml: 'handlers: []' }, deadline(), (err, res) => (err ? reject(err) : resolve(res))),
    );
  }
  function control(c: AdminClient): Promise<unknown> {
    return new Promise((resolve, reject) =>
      c.Control({ handler: 'web' }, deadline(), (err, res) => (err ? reject(err) : resolve(res))),
    );
  }
  /** Opens the agent stream with a hello as `agentId`; resolves with the first master message. */
  function connect(c: AgentLinkClient, agentId: string): Promise<MasterMessage__Output> {
    return new Promise((resolve, reject) => {
      const call = c.Connect(deadline());
      call.once('data', (msg: MasterMessage__Output) => {
        resolve(msg);
        call.cancel();
      });
      call.once('error', reject);
      call.write({ hello: { agent_id: agentId, hostname: 'test', version: '0' } });
    });
  }
  async function expectStatus(p: Promise<unknown>, code: grpc.status, details?: RegExp): Promise<void> {
    await assert.rejects(p, (err: grpc.ServiceError) => {
      assert.equal(err.code, code, `want ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
      if (details) assert.match(err.details, details);
      return true;
    });
  }

  // ---- refused -----------------------------------------------------------------------------------

  it('refuses a client without a certificate (TLS handshake fails → UNAVAILABLE)', async () => {
    await expectStatus(listAgents(adminClient(noCert())), grpc.status.UNAVAILABLE, /certificate required/);
    await expectStatus(connect(linkClient(noCert()), 'edge-1'), grpc.status.UNAVAILABLE);
    assert.deepEqual(stub.calls, [], 'no handler ran');
  });

  it('refuses a certificate from another CA, even with a valid-looking CN/OU', async () => {
    await expectStatus(
      listAgents(adminClient(creds('admin-admin', { wrongPair: true }))),
      grpc.status.UNAVAILABLE,
      /No connection established/,
    );
    await expectStatus(
      connect(linkClient(creds('agent-edge-1', { wrongPair: true })), 'edge-1'),
      grpc.status.UNAVAILABLE,
    );
    assert.deepEqual(stub.calls, []);
  });

  it('a client that trusts another CA refuses the master (server authenticated too)', async () => {
    await expectStatus(
      listAgents(adminClient(creds('admin-admin', { trustWrongCa: true }))),
      grpc.status.UNAVAILABLE,
      /self-signed certificate in certificate chain/,
    );
    assert.deepEqual(stub.calls, []);
  });

  it('a client checks the master IP against the certificate SANs (127.0.0.2 is not in them)', async function () {
    let other: StubServer;
    try {
      other = await startStubServer(pki, '127.0.0.2');
    } catch {
      this.skip(); // 127.0.0.2 is not a loopback address on this OS
    }
    try {
      const c = clientConnection(other.address, pki.material('admin-admin'), { separateConnection: true });
      const client = adminClient(c);
      await expectStatus(
        listAgents(client),
        grpc.status.UNAVAILABLE,
        /IP: 127\.0\.0\.2 is not in the cert's list/,
      );
      assert.deepEqual(other.calls, []);
    } finally {
      other.server.forceShutdown();
    }
  });

  it('an IP target does not put the IP in SNI (no DEP0123 warning) and still connects', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.message);
    process.on('warning', onWarning);
    try {
      await listAgents(adminClient(creds('admin-admin')));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });

  it('refuses an agent certificate calling an Admin RPC', async () => {
    const c = adminClient(creds('agent-edge-1'));
    await expectStatus(
      listAgents(c),
      grpc.status.PERMISSION_DENIED,
      /^certificate CN=edge-1 OU=agent may not call Admin\/ListAgents: agent certificates may only open AgentLink\/Connect$/,
    );
    await expectStatus(apply(c), grpc.status.PERMISSION_DENIED);
    assert.deepEqual(stub.calls, []);
  });

  it('refuses a viewer calling mutating RPCs (Apply, Control) and opening the agent stream', async () => {
    const c = adminClient(creds('viewer-viewer'));
    await expectStatus(
      apply(c),
      grpc.status.PERMISSION_DENIED,
      /CN=viewer OU=viewer may not call Admin\/Apply: viewer is read-only/,
    );
    await expectStatus(control(c), grpc.status.PERMISSION_DENIED, /Admin\/Control: viewer is read-only/);
    await expectStatus(connect(linkClient(creds('viewer-viewer')), 'viewer'), grpc.status.PERMISSION_DENIED);
    assert.deepEqual(stub.calls, []);
  });

  it('refuses an agent opening the stream as another agent id (handler check via callerIdentity)', async () => {
    await expectStatus(
      connect(linkClient(creds('agent-edge-1')), 'edge-2'),
      grpc.status.PERMISSION_DENIED,
      /CN=edge-1 may not connect as agent "edge-2"/,
    );
    assert.deepEqual(stub.calls, [{ method: 'Connect', caller: { cn: 'edge-1', role: 'agent' } }]);
  });

  it('refuses a revoked agent; other agents still connect', async () => {
    stub.revoked.add('edge-1');
    await expectStatus(
      connect(linkClient(creds('agent-edge-1')), 'edge-1'),
      grpc.status.UNAUTHENTICATED,
      /CN=edge-1 OU=agent is revoked/,
    );
    assert.deepEqual(stub.calls, [], 'the handler never ran for the revoked agent');
    const welcome = await connect(linkClient(creds('agent-edge-2')), 'edge-2');
    assert.ok(welcome.welcome);
  });

  it('refuses an admin certificate opening the agent stream', async () => {
    await expectStatus(
      connect(linkClient(creds('admin-admin')), 'admin'),
      grpc.status.PERMISSION_DENIED,
      /only agent certificates may open the agent stream/,
    );
  });

  // ---- allowed -----------------------------------------------------------------------------------

  it('allows a viewer to read (ListAgents)', async () => {
    await listAgents(adminClient(creds('viewer-viewer')));
    assert.deepEqual(stub.calls, [{ method: 'ListAgents', caller: { cn: 'viewer', role: 'viewer' } }]);
  });

  it('allows an admin to mutate; the handler sees the admin CN (for issued_by)', async () => {
    const c = adminClient(creds('admin-admin'));
    await apply(c);
    await control(c);
    assert.deepEqual(stub.calls, [
      { method: 'Apply', caller: { cn: 'admin', role: 'admin' } },
      { method: 'Control', caller: { cn: 'admin', role: 'admin' } },
    ]);
  });

  it('allows an agent to open its own stream and get a welcome', async () => {
    const msg = await connect(linkClient(creds('agent-edge-1')), 'edge-1');
    assert.equal(msg.welcome?.heartbeat_interval_ms, 1000);
    assert.deepEqual(stub.calls, [{ method: 'Connect', caller: { cn: 'edge-1', role: 'agent' } }]);
  });
});
