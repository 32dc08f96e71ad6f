/** The master's read-only HTTP endpoint: health, Prometheus metrics and the JSON views. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { HTTP_LIMITS } from '../../master/api/http.js';
import { DistributedGovernor } from '../../master/governor.js';
import { compileMasterOptions } from '../../master/options.js';
import { silentLogger } from '../../shared/logger.js';
import { tempDir, waitFor } from '../helpers/common.js';
import { testPki } from '../helpers/pki.js';

describe('master HTTP endpoint', () => {
  let governor: DistributedGovernor;
  let base: string;

  before(async () => {
    const pki = await testPki();
    const options = compileMasterOptions(
      {
        listen: '127.0.0.1:0',
        data_dir: tempDir(),
        ca: path.join(pki.dir, 'ca.crt'),
        cert: path.join(pki.dir, 'master.crt'),
        key: path.join(pki.dir, 'master.key'),
      },
      process.cwd(),
    );
    assert.equal(options.http, '127.0.0.1:0', 'an ephemeral gRPC port makes the HTTP port ephemeral too');
    governor = await DistributedGovernor.create(options, silentLogger);
    await governor.listen();
    assert.ok(governor.httpPort > 0);
    base = `http://127.0.0.1:${governor.httpPort}`;
  });

  after(async () => {
    await governor.shutdown();
  });

  it('answers /healthz and 404 with a hint', async () => {
    assert.equal(await (await fetch(`${base}/healthz`)).text(), 'ok\n');
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /\/metrics/);
  });

  it('bound to loopback, answers only a loopback Host (a DNS-rebinding page names its own): 403 otherwise', async () => {
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: governor.httpPort, path: '/v1/instances', headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    for (const host of [
      `127.0.0.1:${governor.httpPort}`,
      `localhost:${governor.httpPort}`,
      'localhost',
      `[::1]:${governor.httpPort}`,
    ])
      assert.equal(await get(host), 200, host);
    for (const host of [
      `attacker.example:${governor.httpPort}`,
      'attacker.example',
      `10.0.0.1:${governor.httpPort}`,
    ])
      assert.equal(await get(host), 403, host);
  });

  it('exposes Prometheus metrics for agents, handlers and executions', async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^governor_agents\{connected="true"\} 0$/m);
    assert.match(text, /^governor_handlers_configured 0$/m);
    assert.match(text, /^governor_executions\{status="lifetime"\} 0$/m);
  });

  it('serves the stats and agents as JSON', async () => {
    const stats = (await (await fetch(`${base}/v1/stats`)).json()) as Record<string, unknown>;
    assert.equal(stats.total_executions, 0);
    assert.equal(stats.buffer_size, 1000);
    const agents = (await (await fetch(`${base}/v1/agents`)).json()) as { agents: unknown[] };
    assert.deepEqual(agents.agents, []);
  });

  it('unauthenticated clients hold at most HTTP_LIMITS.maxConnections descriptors: the rest are closed as they come', async () => {
    const extra = 12;
    const socks: net.Socket[] = [];
    let closed = 0;
    try {
      for (let i = 0; i < HTTP_LIMITS.maxConnections + extra; i++) {
        const sock = net.connect(governor.httpPort, '127.0.0.1');
        sock.on('error', () => {});
        sock.on('close', () => closed++);
        // A request header that never ends (a slowloris).
        sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ');
        socks.push(sock);
      }
      await waitFor(() => closed >= extra, { what: `${extra} connections over the limit closed` });
      assert.ok(socks.length - closed <= HTTP_LIMITS.maxConnections, `${socks.length - closed} held`);
    } finally {
      for (const sock of socks) sock.destroy();
    }
    await waitFor(
      async () =>
        (await fetch(`${base}/healthz`).then(
          (r) => r.text(),
          () => '',
        )) === 'ok\n',
      {
        what: '/healthz answered once they are gone',
      },
    );
  });

  it('refuses a second master on the same data dir with a clear error', async () => {
    await assert.rejects(
      DistributedGovernor.create({ ...governor.options, listen: '127.0.0.1:0' }, silentLogger),
      /in use by another gov master process/,
    );
  });
});
