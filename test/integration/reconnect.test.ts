/**
 * The agent's dial loop against a real master that goes away for a while: the link's own backoff (here
 * capped at 300 ms) decides when it reconnects — no second, slower backoff inside the gRPC channel
 * (DESIGN §4 "one reconnect loop at a time"). Without that, grpc-js keeps the channel in
 * TRANSIENT_FAILURE for its own growing backoff (1 s × 1.6ⁿ, up to 120 s) and every dial in between
 * fails at once with the stale ECONNREFUSED, so agents came back many seconds after the master did.
 */
import assert from 'node:assert/strict';
import { MasterLink, type LinkHost } from '../../agent/link/master-link.js';
import { Logger } from '../../shared/logger.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/common.js';

const host: LinkHost = {
  inventory: () => ({ hostname: 'test', version: '0', labels: {}, instances: [], specs_hash: '' }),
  execute: () => Promise.resolve({ summary: 'ok' }),
  metrics: () => Promise.resolve({ instances: [], host: null }),
};

describe('integration: agent link reconnects and flaps (DESIGN §4)', function () {
  this.slow(15_000);
  let c: Cluster;
  let link: MasterLink | null = null;

  before(async () => {
    c = await Cluster.start();
  });
  after(async () => {
    link?.close();
    await c?.stop();
  });

  it('comes back within the link backoff after a master outage of several seconds', async () => {
    const conn = clientConnection(c.address, c.pki.material('agent-edge-1'), { separateConnection: true });
    link = new MasterLink(host, {
      agentId: 'edge-1',
      address: conn.target,
      credentials: conn.credentials,
      channelOptions: conn.options,
      logger: new Logger('test', { level: 'error' }),
      backoffInitialMs: 100,
      backoffMaxMs: 300,
    });
    link.start();
    await link.whenConnected();
    await c.waitAgentConnected('edge-1');

    await c.killMaster('SIGKILL');
    await waitFor(() => link?.state !== 'connected', { what: 'the link to notice the master is gone' });
    // Long enough for grpc-js's own backoff to grow past 4 s if it were in charge (1 + 1.6 + 2.56 s).
    const downUntil = Date.now() + 6000;
    while (Date.now() < downUntil) {
      assert.notEqual(link.state, 'connected', 'no master, no connection');
      await new Promise((r) => setTimeout(r, 100));
    }
    await c.startMaster();
    const upAt = Date.now();
    await link.whenConnected();
    const tookMs = Date.now() - upAt;
    assert.ok(tookMs < 2000, `reconnected ${tookMs} ms after the master came back (link backoff ≤ 300 ms)`);
  });

  it('an agent stream that drops right after its hello is reported disconnected, never left half-connected', async () => {
    // `web` targets every known agent, so the master accepts edge-2's report of it (it keeps only what it
    // assigned to an agent).
    await c.admin().apply('handlers:\n  - name: web\n    command: [node, server.js]\n', 'web.yaml');
    const conn = clientConnection(c.address, c.pki.material('agent-edge-2'), { separateConnection: true });
    const { link: proto } = loadProtos();
    // Drop the stream as soon as the master welcomes it: the master is then still registering the
    // hello (registry write, inventory, APPLY). Several times, to land in each of those steps.
    for (let round = 0; round < 8; round++) {
      const client = new proto.governor.v1.AgentLink(conn.target, conn.credentials, conn.options);
      const call = client.Connect();
      await new Promise<void>((resolve) => {
        call.on('error', () => resolve());
        call.on('end', () => resolve());
        call.on('data', () => call.cancel());
        call.write({
          hello: {
            agent_id: 'edge-2',
            hostname: 'flappy',
            protocol: AGENT_LINK_PROTOCOL,
            version: '0',
            labels: {},
            instances: [{ handler: 'web', instance: 'web', state: 'running', pid: 1 }],
          },
        });
      });
      client.close();
    }
    await c.waitAgentConnected('edge-2', false);
    // The registry agrees with `gov agents`: its instances are stale (the last status, not a live one).
    await waitFor(
      async () => {
        const list = await c.instances('web');
        return list.length === 1 && list[0]?.stale === true;
      },
      { timeoutMs: 3000, what: 'the instance of the gone agent to be listed stale' },
    );
  });
});
