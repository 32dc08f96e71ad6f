/**
 * Nothing secret leaves through the unauthenticated HTTP endpoint: command lines and environments are
 * redacted from every body — specs, lifecycle events (a failed spawn quotes its command line), errors —
 * by the one function at the edge (master/redact.ts), while the mTLS admin API still shows them.
 */
import assert from 'node:assert/strict';
import { redactPublic, REDACTED, Secrets, secretsOf } from '../../master/api/redact.js';
import type { HandlerSpec } from '../../shared/spec.js';
import { Cluster } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';

const TOKEN = 'tok-7f3a9e0c41';
const POSITIONAL = 'pos-51c2d8b6aa';
const ENV_VALUE = 'env-a8e4b1f925';
const SECRETS = [TOKEN, POSITIONAL, ENV_VALUE];

describe('master HTTP endpoint: no secrets without authentication', () => {
  describe('the redaction function', () => {
    const spec = {
      name: 'web',
      command: ['/usr/bin/node', `--token=${TOKEN}`, POSITIONAL],
      env: { API_KEY: ENV_VALUE, PORT: '8080' },
      health: {
        exec: ['/bin/check', '--password', 'hc-secret-99'],
        http: 'http://u:urlpw123@h/x?key=q-secret-77',
      },
    } as unknown as HandlerSpec;

    it('keeps the program and env keys, drops arguments and env values, wherever they are quoted', () => {
      const out = redactPublic(
        {
          spec,
          events: [
            {
              type: 'FATAL',
              message: `could not spawn /usr/bin/node --token=${TOKEN} ${POSITIONAL}: ENOENT`,
            },
          ],
          json_inside: JSON.stringify(spec),
        },
        secretsOf([spec]),
      );
      const text = JSON.stringify(out);
      for (const s of [...SECRETS, 'hc-secret-99', 'urlpw123', 'q-secret-77'])
        assert.ok(!text.includes(s), `${s} leaked: ${text}`);
      assert.deepEqual(out.spec.command, ['/usr/bin/node', REDACTED, REDACTED]);
      assert.deepEqual(out.spec.env, { API_KEY: REDACTED, PORT: REDACTED });
      assert.equal(out.events[0]?.message, `could not spawn /usr/bin/node ${REDACTED} ${REDACTED}: ENOENT`);
    });

    it('redacts secret-looking values it was not told about, and leaves ordinary text alone', () => {
      const s = new Secrets([]);
      assert.equal(
        s.redactText('run app --api-key abc123 --port 80'),
        `run app --api-key ${REDACTED} --port 80`,
      );
      assert.equal(s.redactText('DB_PASSWORD=hunter22 x'), `DB_PASSWORD=${REDACTED} x`);
      assert.equal(s.redactText('url https://bob:pw123@db.lan/x'), `url https://bob:${REDACTED}@db.lan/x`);
      assert.equal(s.redactText('EXITED code=1 after 3s (SIGTERM)'), 'EXITED code=1 after 3s (SIGTERM)');
    });
  });

  describe('every route of a live master', () => {
    let c: Cluster;
    let base = '';

    before(async () => {
      c = await Cluster.start({ agents: ['edge-1'], masterArgs: ['--http', '127.0.0.1:0'] });
      const port = /, http 127\.0\.0\.1:(\d+)/.exec(c.master?.stdout ?? '')?.[1];
      assert.ok(port, `no http port in: ${c.master?.stdout}`);
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await c?.stop();
    });

    it('serves no argument or env value of any spec, nor a failed spawn’s command line', async () => {
      const file = c.writeHandlers([
        {
          // The working directory does not exist: the start fails (SPAWN_FAILED) and the instance is listed.
          name: 'leaky',
          agents: ['edge-1'],
          command: [process.execPath, fixture('ticker.mjs'), `--token=${TOKEN}`, POSITIONAL],
          cwd: '/nonexistent/governor-test-dir',
          env: { API_SECRET: ENV_VALUE },
          restart: 'never',
        },
      ]);
      await c.gov(['apply', '-f', file]);
      // The failed start is listed (its event names the missing cwd; no event quotes arguments any more).
      await waitFor(async () => JSON.stringify(await c.instances('leaky')).includes('SPAWN_FAILED'), {
        timeoutMs: 20_000,
        what: 'the failed start of leaky on the admin API',
      });
      const { stdout } = await c.gov(['ps', '--json']);
      assert.ok(stdout.includes('leaky'));
      const routes = [
        '/healthz',
        '/metrics',
        '/v1/agents',
        '/v1/instances',
        '/v1/stats',
        '/v1/specs',
        '/nope',
      ];
      for (const route of routes) {
        const res = await fetch(base + route);
        const body = await res.text();
        for (const secret of SECRETS)
          assert.ok(!body.includes(secret), `${route} serves ${secret}:\n${body}`);
        if (route === '/v1/instances')
          assert.match(body, /"handler":"leaky"/, 'the instance is still listed');
      }
    });
  });
});
