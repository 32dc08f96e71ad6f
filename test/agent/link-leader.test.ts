/**
 * The agent's one dial loop follows the leader of an HA cluster (DESIGN §9 "HA"): it tries the masters of
 * its list in order, dials the leader a follower's refusal names next (skipping the rest), keeps retrying
 * while no leader is elected, moves to the new leader when its master dies, and never holds links to two
 * masters at once.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { MasterLink, type LinkHost } from '../../agent/link/master-link.js';
import type { AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage } from '../../proto/generated/governor/v1/MasterMessage.js';
import { NotLeaderError } from '../../shared/errors.js';
import { toServiceError } from '../../shared/grpc-status.js';
import { Logger } from '../../shared/logger.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { waitFor } from '../helpers/common.js';
import { deadAddress } from './health-helpers.js';

type Stream = grpc.ServerDuplexStream<AgentMessage__Output, MasterMessage>;

/** Open agent streams over every stub master (the agent must never hold two). */
let open = 0;
let maxOpen = 0;

class StubLinkMaster {
  /** silent: takes the stream and the hello, answers nothing (a frozen master). */
  role: 'leader' | 'follower' | 'silent' = 'follower';
  leader = '';
  hellos = 0;
  readonly streams = new Set<Stream>();
  private constructor(
    readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(): Promise<StubLinkMaster> {
    const server = new grpc.Server();
    let self: StubLinkMaster | null = null;
    server.addService(loadProtos().link.governor.v1.AgentLink.service, {
      Connect: (call: Stream) => {
        const me = self!;
        open++;
        maxOpen = Math.max(maxOpen, open);
        let closed = false;
        const done = () => {
          if (closed) return;
          closed = true;
          open--;
          me.streams.delete(call);
        };
        me.streams.add(call);
        call.on('error', done);
        call.on('close', done);
        call.on('finish', done);
        call.on('cancelled', done);
        call.on('data', (m: AgentMessage__Output) => {
          if (m.body !== 'hello') return;
          me.hellos++;
          if (me.role === 'silent') return;
          if (me.role === 'follower') {
            done();
            call.emit(
              'error',
              Object.assign(new Error('not leader'), toServiceError(new NotLeaderError(me.leader))),
            );
            return;
          }
          call.write({
            welcome: {
              heartbeat_interval_ms: 200,
              metrics_interval_ms: 60_000,
              sent_at_ms: Date.now(),
              heartbeat_grace_ms: 1000,
              protocol: AGENT_LINK_PROTOCOL,
            },
          });
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    self = new StubLinkMaster(server, `127.0.0.1:${port}`);
    return self;
  }
}

const host: LinkHost = {
  inventory: () => ({ hostname: 'test', version: '0', labels: {}, instances: [], specs_hash: '' }),
  execute: () => Promise.resolve({ summary: 'ok' }),
  metrics: () => Promise.resolve({ instances: [], host: null }),
};

describe('agent link: following the leader of an HA cluster', () => {
  let masters: StubLinkMaster[] = [];
  let link: MasterLink | null = null;
  beforeEach(() => {
    open = 0;
    maxOpen = 0;
  });
  afterEach(() => {
    link?.close();
    link = null;
    for (const m of masters) m.server.forceShutdown();
    masters = [];
  });

  const dial = (addresses: string[]) => {
    link = new MasterLink(host, {
      agentId: 'edge-1',
      address: addresses[0]!,
      masters: addresses,
      credentials: grpc.credentials.createInsecure(),
      logger: new Logger('test', { level: 'error' }),
      backoffInitialMs: 50,
      backoffMaxMs: 300,
      welcomeTimeoutMs: 500,
    });
    link.start();
    return link;
  };

  it('dials the leader a follower names, skipping the rest of the list, and one link at a time', async () => {
    masters = await Promise.all([0, 1, 2].map(() => StubLinkMaster.start()));
    const [a, b, c] = masters as [StubLinkMaster, StubLinkMaster, StubLinkMaster];
    c.role = 'leader';
    a.leader = b.leader = c.address;
    const l = dial([a.address, await deadAddress(), b.address, c.address]);
    await l.whenConnected();
    assert.equal(l.master, c.address);
    assert.deepEqual([a.hellos, b.hellos, c.hellos], [1, 0, 1], 'the hint was followed past the others');
    assert.equal(maxOpen, 1, 'never two links at once');
  });

  it('keeps dialing while no leader is elected, then connects to the one that wins', async () => {
    masters = await Promise.all([0, 1].map(() => StubLinkMaster.start()));
    const [a, b] = masters as [StubLinkMaster, StubLinkMaster];
    const l = dial([a.address, b.address]);
    await waitFor(() => a.hellos >= 3 && b.hellos >= 3, { what: 'several rounds over the followers' });
    assert.notEqual(l.state, 'connected');
    b.role = 'leader';
    a.leader = b.address;
    await l.whenConnected();
    assert.equal(l.master, b.address);
    assert.equal(maxOpen, 1);
  });

  it('while linked, keeps a connection (no stream) to every other master: a failover needs no handshake', async () => {
    masters = await Promise.all([0, 1].map(() => StubLinkMaster.start()));
    const [a, b] = masters as [StubLinkMaster, StubLinkMaster];
    a.role = 'leader';
    // A TCP relay in front of b counts the connections made to it.
    let connections = 0;
    const relay = net.createServer((sock) => {
      connections++;
      const [host, port] = b.address.split(':');
      const up = net.connect(Number(port), host, () => sock.pipe(up).pipe(sock));
      up.on('error', () => sock.destroy());
      sock.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const l = dial([a.address, `127.0.0.1:${(relay.address() as net.AddressInfo).port}`]);
      await l.whenConnected();
      await waitFor(() => connections >= 1, { what: 'a standby connection to the other master' });
      assert.equal(b.hellos, 0, 'no stream was opened on it');
    } finally {
      link?.close();
      relay.close();
    }
  });

  it('a master that takes the stream but never welcomes it (frozen) is given up, and the next one tried', async () => {
    masters = await Promise.all([0, 1].map(() => StubLinkMaster.start()));
    const [a, b] = masters as [StubLinkMaster, StubLinkMaster];
    a.role = 'silent';
    b.role = 'leader';
    const l = dial([a.address, b.address]);
    await waitFor(() => l.state === 'connected' && l.master === b.address, {
      what: 'the link to give up the silent master and reach the leader',
    });
    assert.equal(a.hellos, 1);
    assert.equal(a.streams.size, 0, 'the stream to the silent master was closed');
    assert.equal(maxOpen, 1, 'never two links at once');
  });

  it('when its master dies, moves to the new leader (a follower of the old one names it)', async () => {
    masters = await Promise.all([0, 1, 2].map(() => StubLinkMaster.start()));
    const [a, b, c] = masters as [StubLinkMaster, StubLinkMaster, StubLinkMaster];
    a.role = 'leader';
    b.leader = c.leader = a.address;
    const l = dial([a.address, b.address, c.address]);
    await l.whenConnected();
    assert.equal(l.master, a.address);
    // The leader dies; c wins the election, b follows it.
    c.role = 'leader';
    b.leader = c.address;
    a.server.forceShutdown();
    await waitFor(() => l.state === 'connected' && l.master === c.address, {
      what: 'the link to reach the new leader',
    });
    assert.ok(c.streams.size === 1 && b.streams.size === 0);
    assert.equal(maxOpen, 1, 'never two links at once');
  });
});
