/**
 * The `gov ui` proxy (master/cli/ui/) against a fake master: only a request with the one-time token and
 * this proxy's own Host gets anything; no CORS header is ever sent; a POST takes the token from its header
 * only; the event stream relays the master's Watch as server-sent events; the master's refusal of an
 * action is relayed as 403 with its message. Also `gov ui` itself: it prints the URL and exits 0 when
 * interrupted.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { GovError } from '../../shared/errors.js';
import { STATIC_DIR, uplotDir } from '../../master/cli/ui.js';
import { startUiServer, type UiServer } from '../../master/cli/ui/server.js';
import { LIVE_KINDS } from '../../master/cli/ui/events-relay.js';
import type { WatchEvent } from '../../master/cli/admin-client.js';
import { testPki } from '../helpers/pki.js';
import { waitFor } from '../helpers/common.js';
import { main } from '../../master/cli/gov-program.js';
import { FakeAdmin, captureIO, instance, runGov } from './fake-admin.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to the proxy; `host` overrides the Host header. */
function request(
  server: UiServer,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: opts.method ?? 'GET',
        headers: { Host: opts.host ?? `127.0.0.1:${server.port}`, ...opts.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const bearer = (s: UiServer) => ({ Authorization: `Bearer ${s.token}` });
const json = (s: UiServer) => ({ ...bearer(s), 'Content-Type': 'application/json' });

function event(over: Partial<WatchEvent>): WatchEvent {
  return {
    index: 0,
    kind: 'instance',
    at: '2025-01-01T12:00:00.000Z',
    handler: '',
    agent: '',
    epoch: 'e1',
    ...over,
  };
}

describe('gov ui proxy', () => {
  let fake: FakeAdmin;
  let server: UiServer;

  const start = async (f = new FakeAdmin()) => {
    fake = f;
    server = await startUiServer({
      api: fake,
      role: 'admin',
      name: 'admin',
      master: '127.0.0.1:7070',
      staticDir: STATIC_DIR,
      uplotDir: uplotDir(),
    });
  };
  afterEach(async () => server?.close());

  it('listens on 127.0.0.1 and prints a URL with a token of at least 128 random bits', async () => {
    await start();
    const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+)$/.exec(server.url);
    assert.ok(m, server.url);
    assert.equal(Number(m[1]), server.port);
    assert.ok(Buffer.from(m[2]!, 'base64url').length >= 16, 'token shorter than 128 bits');
    const other = await startUiServer({
      api: fake,
      role: 'admin',
      name: 'admin',
      master: 'm',
      staticDir: STATIC_DIR,
      uplotDir: uplotDir(),
    });
    assert.notEqual(other.token, server.token, 'each run makes its own token');
    await other.close();
  });

  it('refuses a request without the token or with a wrong one: 401 and nothing else', async () => {
    await start();
    for (const path of ['/', '/app.js', '/api/whoami', '/api/history', `/?token=${server.token}x`]) {
      const r = await request(server, path);
      assert.equal(r.status, 401, path);
      assert.deepEqual(JSON.parse(r.body), { error: 'missing or wrong token' });
    }
    const wrong = await request(server, '/api/whoami', { headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.deepEqual(fake.calls, [], 'nothing reached the master');
  });

  it('refuses a foreign Host header (DNS rebinding) with 403, even with the token', async () => {
    await start();
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1:1', '127.0.0.1']) {
      const r = await request(server, `/?token=${server.token}`, { host });
      assert.equal(r.status, 403, host);
      assert.doesNotMatch(r.body, /Governor/);
    }
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`])
      assert.equal((await request(server, `/?token=${server.token}`, { host })).status, 200, host);
  });

  it('serves the page with its token, uPlot, security headers and never a CORS header', async () => {
    await start();
    const page = await request(server, `/?token=${server.token}`, {
      headers: { Origin: 'http://evil.example' },
    });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /^text\/html/);
    assert.ok(page.body.includes(`app.js?token=${server.token}`), 'the page names its script with the token');
    assert.ok(!page.body.includes('{{TOKEN}}'));
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    const uplot = await request(server, `/uplot/uPlot.iife.min.js?token=${server.token}`);
    assert.equal(uplot.status, 200);
    assert.match(uplot.body, /uPlot/);
    const preflight = await request(server, '/api/control', {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    for (const r of [page, uplot, preflight])
      assert.deepEqual(
        Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
        [],
        'no CORS header',
      );
  });

  it('whoami tells the role of the certificate and the master', async () => {
    await start();
    const r = await request(server, '/api/whoami', { headers: bearer(server) });
    assert.deepEqual(JSON.parse(r.body), { role: 'admin', name: 'admin', master: '127.0.0.1:7070' });
  });

  it('a POST takes the token from its header only, and a JSON body', async () => {
    await start();
    const body = JSON.stringify({ action: 'restart', targets: ['web@edge-1'] });
    const inQuery = await request(server, `/api/control?token=${server.token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    assert.equal(inQuery.status, 401);
    const form = await request(server, '/api/control', {
      method: 'POST',
      headers: { ...bearer(server), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'action=restart',
    });
    assert.equal(form.status, 415);
    assert.deepEqual(fake.calls, []);
    const ok = await request(server, '/api/control', { method: 'POST', headers: json(server), body });
    assert.equal(ok.status, 200, ok.body);
    assert.equal((JSON.parse(ok.body) as { outcomes: unknown[] }).outcomes.length, 1);
    assert.deepEqual(fake.calls, [
      ['control', 'restart', { names: ['web@edge-1'], all: false, selector: {}, agents: [] }, undefined],
    ]);
  });

  it('bad input is refused with 400 naming what, and nothing is called', async () => {
    await start();
    const cases: Array<[string, string, RegExp]> = [
      ['/api/control', JSON.stringify({ action: 'delete', targets: ['web'] }), /action "delete"/],
      ['/api/control', JSON.stringify({ action: 'stop', targets: [] }), /targets/],
      ['/api/control', JSON.stringify({ action: 'stop', targets: ['bad name!'] }), /target "bad name!"/],
      ['/api/control', '{nope', /not JSON/],
      ['/api/rollouts/%E0%A4/pause', '{}', /rollout id "%E0%A4"/],
    ];
    for (const [path, body, why] of cases) {
      const r = await request(server, path, { method: 'POST', headers: json(server), body });
      assert.equal(r.status, 400, body);
      assert.match((JSON.parse(r.body) as { error: string }).error, why);
    }
    const limit = await request(server, '/api/executions?limit=0', { headers: bearer(server) });
    assert.equal(limit.status, 400);
    assert.match((JSON.parse(limit.body) as { error: string }).error, /limit "0"/);
    assert.deepEqual(fake.calls, []);
  });

  it('relays a refused action as 403 with the master message', async () => {
    const refusal = 'role viewer may not call Control (read-only)';
    await start(
      new FakeAdmin({
        control: () => Promise.reject(new GovError('PERMISSION_DENIED', refusal)),
        abortRollout: () => Promise.reject(new GovError('PERMISSION_DENIED', refusal)),
      }),
    );
    const body = JSON.stringify({ action: 'stop', targets: ['web@edge-1'] });
    const r = await request(server, '/api/control', { method: 'POST', headers: json(server), body });
    assert.equal(r.status, 403);
    assert.deepEqual(JSON.parse(r.body), { error: refusal });
    const ro = await request(server, '/api/rollouts/ro-1/abort', {
      method: 'POST',
      headers: json(server),
      body: '{}',
    });
    assert.equal(ro.status, 403);
  });

  it('routes executions filters, history and rollout actions to their Admin calls', async () => {
    await start();
    const ex = await request(
      server,
      '/api/executions?handler=web&agent=edge-1&kind=restart&status=error&limit=5',
      {
        headers: bearer(server),
      },
    );
    assert.equal(ex.status, 200);
    assert.equal((JSON.parse(ex.body) as { count: number }).count, 2);
    const hist = await request(server, '/api/history', { headers: bearer(server) });
    assert.equal((JSON.parse(hist.body) as { interval_ms: number }).interval_ms, 5000);
    const paused = await request(server, '/api/rollouts/ro-7/pause', {
      method: 'POST',
      headers: json(server),
      body: '{}',
    });
    assert.equal((JSON.parse(paused.body) as { state: string }).state, 'paused');
    assert.deepEqual(fake.calls, [
      ['listExecutions', { handler: 'web', agent: 'edge-1', kind: 'restart', status: 'error', limit: 5 }],
      ['getMetricsHistory', undefined],
      ['pauseRollout', 'ro-7'],
    ]);
  });

  it('relays the Watch as server-sent events (snapshot, follow, every kind with metrics at the interval asked) and stops it when the browser goes', async () => {
    const f = new FakeAdmin();
    f.watchEvents = [
      event({
        index: 3,
        kind: 'snapshot',
        snapshot: { agents: [], instances: [instance()], rollouts: [], more: false },
      }),
      event({
        index: 4,
        kind: 'instance',
        handler: 'web',
        agent: 'edge-1',
        instance: {
          instance: instance({ pid: 5555 }),
          key: 'web',
          previous_state: 'running',
          previous_health: '',
          previous_pid: 4321,
          previous_temperature: '',
          removed: false,
        },
      }),
    ];
    let cancelled = false;
    const watch = f.watch.bind(f);
    f.watch = (req, onEvent) => {
      const s = watch(req, onEvent);
      return {
        done: s.done,
        cancel: () => {
          cancelled = true;
          s.cancel();
        },
      };
    };
    await start(f);
    const got: string[] = [];
    const req = http.get({
      host: '127.0.0.1',
      port: server.port,
      path: `/api/events?token=${server.token}&interval_ms=2000`,
      headers: { Host: `127.0.0.1:${server.port}` },
    });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
    res.setEncoding('utf8');
    let text = '';
    res.on('data', (d: string) => (text += d));
    await waitFor(() => text.split('\n\n').filter((b) => b.startsWith('id: ')).length >= 2, {
      what: 'two events',
    });
    for (const block of text.split('\n\n').filter((b) => b.startsWith('id: '))) {
      const [id, data] = block.split('\n');
      const e = JSON.parse(data!.slice('data: '.length)) as WatchEvent;
      assert.equal(id, `id: ${e.index}`);
      got.push(`${e.index} ${e.kind}`);
    }
    assert.deepEqual(got, ['3 snapshot', '4 instance']);
    assert.deepEqual(f.calls[0], [
      'watch',
      { snapshot: true, follow: true, kinds: LIVE_KINDS, metrics_interval_ms: 2000 },
    ]);
    req.destroy();
    await waitFor(() => cancelled, { what: 'the watch to be cancelled when the browser goes' });
  });

  it('a snapshot part before the last carries no id: a browser reconnecting in the middle of a snapshot is sent a whole one', async () => {
    const f = new FakeAdmin();
    const part = (more: boolean) =>
      event({
        index: 7,
        kind: 'snapshot',
        snapshot: { agents: [], instances: [instance()], rollouts: [], more },
      });
    f.watchEvents = [part(true), part(false)];
    await start(f);
    const req = http.get({
      host: '127.0.0.1',
      port: server.port,
      path: `/api/events?token=${server.token}`,
      headers: { Host: `127.0.0.1:${server.port}` },
    });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    res.setEncoding('utf8');
    let text = '';
    res.on('data', (d: string) => (text += d));
    const blocks = () => text.split('\n\n').filter((b) => b.includes('data: '));
    await waitFor(() => blocks().length >= 2, { what: 'both parts' });
    assert.deepEqual(
      blocks().map((b) => b.split('\n')[0]!.slice(0, 4)),
      ['data', 'id: '],
      'only the last part has an id',
    );
    req.destroy();
  });

  it('a lost master is told to the page (reconnecting event) while the proxy watches again', async () => {
    await start();
    const req = http.get({
      host: '127.0.0.1',
      port: server.port,
      path: `/api/events?token=${server.token}`,
      headers: { Host: `127.0.0.1:${server.port}` },
    });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    res.setEncoding('utf8');
    let text = '';
    res.on('data', (d: string) => (text += d));
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => text.includes('event: reconnecting\n'), { what: 'the reconnecting event' });
    assert.match(text, /event: reconnecting\ndata: \{"error":"master 127.0.0.1:1 is unreachable"\}\n\n/);
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch again', timeoutMs: 10_000 });
    req.destroy();
  });

  it('a browser that takes nothing (a hung tab) has its stream cut and its watch ended: the proxy does not hold every event for it', async () => {
    fake = new FakeAdmin();
    server = await startUiServer({
      api: fake,
      role: 'admin',
      name: 'admin',
      master: '127.0.0.1:7070',
      staticDir: STATIC_DIR,
      uplotDir: uplotDir(),
      keepAliveMs: 50,
    });
    const socket = net.connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET /api/events?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    socket.pause();
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    const big = 'x'.repeat(64 * 1024);
    // 64 MB: far more than the socket buffers of both ends hold.
    for (let i = 1; i <= 1000; i++)
      fake.pushWatch(event({ index: i, kind: 'execution', handler: 'web', agent: 'edge-1', at: big }));
    await waitFor(() => fake.openWatchCount === 0, {
      what: 'the watch of a browser that reads nothing to end',
      timeoutMs: 20_000,
    });
    socket.destroy();
  });

  it('a browser that reconnects with Last-Event-ID resumes from it instead of a new snapshot', async () => {
    await start();
    const req = http.get({
      host: '127.0.0.1',
      port: server.port,
      path: '/api/events',
      headers: { Host: `127.0.0.1:${server.port}`, ...bearer(server), 'Last-Event-ID': '42' },
    });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    assert.equal(res.statusCode, 200);
    await waitFor(() => fake.calls.length > 0, { what: 'the watch' });
    assert.deepEqual(fake.calls[0], [
      'watch',
      { snapshot: false, follow: true, kinds: LIVE_KINDS, metrics_interval_ms: 0, resume: true, since: 42 },
    ]);
    req.destroy();
  });
});

describe('gov ui', () => {
  it('prints only the URL with its token on stdout and exits 0 when interrupted', async () => {
    const pki = await testPki();
    const p = pki.paths('viewer-viewer');
    let interrupt!: () => void;
    const interrupted = new Promise<void>((r) => (interrupt = r));
    const fake = new FakeAdmin();
    const io = captureIO({ interrupted });
    const run = main(['ui', '--ca', p.ca, '--cert', p.cert, '--key', p.key], io, { connect: fake.connect });
    // The URL shows once the server listens: ask it who we are, then stop.
    const url = await waitFor(() => /^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)\n$/.exec(io.stdout)?.[1]);
    const who = await fetch(url.replace('/?', '/api/whoami?'));
    assert.deepEqual(await who.json(), { role: 'viewer', name: 'viewer', master: '127.0.0.1:7070' });
    interrupt();
    assert.equal(await run, 0, io.stderr);
    assert.equal(fake.closed, 1, 'the master connection is closed');
  });

  it('refuses a bad --port with a usage error naming it', async () => {
    const { code, io } = await runGov(['ui', '--port', 'http']);
    assert.equal(code, 2);
    assert.match(io.stderr, /--port "http"/);
  });
});
