/**
 * Local control without a master: a standalone agent serves its own handlers on a unix socket, `gov --local`
 * drives it with no certificate, the socket file's permissions decide who may (the kernel refuses the
 * rest), a read-only socket answers reads and refuses mutations, and every command is in the agent's own
 * event list with the caller's kernel-verified uid.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fixture, GOV_BIN, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { startAgent, waitInstance, writeHandlers, type AgentProc } from './helpers.js';
import { LOCAL_EVENTS_FILE, type LocalEvent } from '../../agent/local/local-audit.js';
import * as grpc from '@grpc/grpc-js';
import { ControlSocket, LOCAL_LIMITS } from '../../agent/local/control-socket.js';
import { linuxSockets } from '../../agent/native/linux-sockets.js';
import { loadProtos } from '../../shared/proto.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the gov CLI (as another user when `uid` is given); resolves with its exit code and output. */
function gov(
  args: string[],
  opts: { uid?: number; env?: Record<string, string>; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [GOV_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: opts.cwd ?? tempDir(),
      env: { ...process.env, GOV_SOCKET: '', ...opts.env },
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
    });
    trackPid(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

/** A directory every user may traverse (a temp dir is 0700), for sockets others should reach. */
function openDir(): string {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  return dir;
}

function events(dataDir: string): LocalEvent[] {
  const file = path.join(dataDir, LOCAL_EVENTS_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { events: LocalEvent[] }).events : [];
}

async function agentWithSockets(
  extra: string[] = [],
): Promise<{ agent: AgentProc; data: string; dir: string }> {
  const dir = openDir();
  const data = path.join(dir, 'data');
  const file = writeHandlers(dir, [
    { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
    {
      name: 'lazy',
      command: ['node', fixture('ticker.mjs')],
      start_seconds: 0,
      mode: 'on-demand',
      idle_timeout: '10m',
    },
  ]);
  const agent = startAgent(file, data, extra);
  await waitInstance(data, agent.pid, 'tick', (s) => s.state === 'running', 'tick running');
  return { agent, data, dir };
}

async function waitSocket(file: string, agent: AgentProc): Promise<void> {
  await waitFor(() => existsSync(file) && statSync(file).isSocket(), {
    what: `${file} (agent stderr: ${agent.stderr().slice(-2000)})`,
    timeoutMs: 15_000,
  });
}

describe('local control socket (gov --local, no master)', function () {
  this.slow(8000);

  it('a standalone agent answers gov --local ps and wakes an on-demand handler with gov --local ensure', async () => {
    const { agent, data } = await agentWithSockets();
    const sock = path.join(data, 'gov.sock');
    await waitSocket(sock, agent);
    assert.equal(statSync(sock).mode & 0o777, 0o660, 'control socket mode 0660');

    const ps = await gov(['--local', '--socket', sock, 'ps', '--json']);
    assert.equal(ps.code, 0, ps.stderr);
    const listed = (
      JSON.parse(ps.stdout) as {
        instances: Array<{ handler: string; state: string; temperature: string | null }>;
      }
    ).instances;
    assert.deepEqual(
      listed.map((i) => [i.handler, i.state]),
      [
        ['lazy', 'stopped'],
        ['tick', 'running'],
      ],
    );

    const ensure = await gov(['ensure', 'lazy'], { env: { GOV_SOCKET: sock } }); // GOV_SOCKET alone means local
    assert.equal(ensure.code, 0, ensure.stderr);
    assert.match(ensure.stdout, /^lazy@\S+: running, pid \d+/m);
    const hot = await waitInstance(data, agent.pid, 'lazy', (s) => s.state === 'running', 'lazy woken');
    trackPid(hot.pgid ?? undefined, true);

    const text = await gov(['--local', '--socket', sock, 'ps', 'lazy']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^lazy\s+\S+\s+running \(hot\)\s+\d+/m);

    const [ev] = events(data);
    assert.equal(ev?.kind, 'ensure');
    assert.equal(ev?.handler, 'lazy');
    assert.equal(ev?.issued_by, `local:${process.getuid!()}`);
    assert.equal(ev?.ok, true);
    assert.equal(ev?.reported, false, 'no master has it');
  });

  it('ensure of on-demand instances named one by one wakes each of them; the handler name wakes one', async () => {
    const dir = openDir();
    const data = path.join(dir, 'data');
    const file = writeHandlers(dir, [
      { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
      {
        name: 'pair',
        count: 2,
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        mode: 'on-demand',
        idle_timeout: '10m',
      },
    ]);
    const agent = startAgent(file, data);
    await waitInstance(data, agent.pid, 'tick', (s) => s.state === 'running', 'tick running');
    const sock = path.join(data, 'gov.sock');
    await waitSocket(sock, agent);
    const running = async (): Promise<string[]> => {
      const ps = await gov(['--socket', sock, 'ps', 'pair', '--json']);
      assert.equal(ps.code, 0, ps.stderr);
      const list = (
        JSON.parse(ps.stdout) as { instances: Array<{ instance: string; state: string; pgid: number }> }
      ).instances;
      for (const i of list) trackPid(i.pgid || undefined, true);
      return list.filter((i) => i.state === 'running').map((i) => i.instance);
    };
    const one = await gov(['--socket', sock, 'ensure', 'pair']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(await running(), ['pair'], 'a handler-wide ensure wakes one instance');
    const both = await gov(['--socket', sock, 'ensure', 'pair#0', 'pair#1']);
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual(await running(), ['pair', 'pair#1'], 'each named instance is woken');
  });

  it('a user outside the socket group is refused by the kernel; the read-only socket answers ps and refuses a mutation', async function () {
    if (!isRoot) {
      console.log(`      skipped: running as another user needs root (uid ${process.getuid?.()})`);
      this.skip();
    }
    const pub = openDir();
    const sock = path.join(pub, 'gov.sock');
    const ro = path.join(pub, 'ro.sock');
    const { agent, data } = await agentWithSockets(['--socket', sock, '--read-only-socket', ro]);
    await waitSocket(sock, agent);
    await waitSocket(ro, agent);
    assert.equal(statSync(ro).mode & 0o777, 0o666, 'read-only socket mode 0666');

    const refused = await gov(['--socket', sock, 'ps'], { uid: NOBODY, cwd: pub });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(`${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: permission denied`),
    );

    const read = await gov(['--socket', ro, 'ps'], { uid: NOBODY, cwd: pub });
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stdout, /^tick\s+\S+\s+running/m);

    const stop = await gov(['--socket', ro, 'stop', 'tick'], { uid: NOBODY, cwd: pub });
    assert.equal(stop.code, 1, stop.stderr);
    assert.ok(stop.stderr.includes(`${ro} is a read-only socket`), stop.stderr);
    const st = await waitInstance(data, agent.pid, 'tick', () => true, 'tick');
    assert.equal(st.state, 'running', 'nothing stopped');
    assert.equal(events(data).length, 0, 'a refused mutation did nothing');
  });

  it('a read on the read-only socket is no use of a handler: polling its logs does not hold an on-demand handler hot', async () => {
    const pub = openDir();
    const sock = path.join(pub, 'gov.sock');
    const ro = path.join(pub, 'ro.sock');
    const dir = openDir();
    const data = path.join(dir, 'data');
    const file = writeHandlers(dir, [
      {
        name: 'lazy',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        mode: 'on-demand',
        idle_timeout: '2s',
      },
    ]);
    const agent = startAgent(file, data, ['--socket', sock, '--read-only-socket', ro]);
    await waitSocket(sock, agent);
    await waitSocket(ro, agent);
    const ensure = await gov(['--socket', sock, 'ensure', 'lazy']);
    assert.equal(ensure.code, 0, ensure.stderr);
    const hot = await waitInstance(data, agent.pid, 'lazy', (s) => s.state === 'running', 'lazy hot');
    trackPid(hot.pgid ?? undefined, true);
    const { localConnector } = await import('../../master/cli/local-connect.js');
    const api = await localConnector(ro)({
      master: '',
      caPath: '/nonexistent',
      certPath: '/nonexistent',
      keyPath: '/nonexistent',
      cwd: '/',
      timeoutMs: 10_000,
    });
    // A reader following its logs (`gov logs -f` polls every second) on the socket every user may open.
    let reading = true;
    const reader = (async () => {
      while (reading) {
        await api.tailLogs({ handler: 'lazy', tail: 5 }).catch(() => {});
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      const cold = await waitInstance(
        data,
        agent.pid,
        'lazy',
        (s) => s.state === 'stopped',
        'lazy cooled',
        30_000,
      );
      assert.equal(cold.state, 'stopped');
    } finally {
      reading = false;
      await reader;
      api.close();
    }
  });

  it('a member of the --socket-group may use the control socket', async function () {
    if (!isRoot) {
      console.log(`      skipped: running as another user needs root (uid ${process.getuid?.()})`);
      this.skip();
    }
    const pub = openDir();
    const sock = path.join(pub, 'gov.sock');
    const { agent } = await agentWithSockets(['--socket', sock, '--socket-group', String(NOBODY)]);
    await waitSocket(sock, agent);
    assert.equal(statSync(sock).gid, NOBODY);
    const r = await gov(['--socket', sock, 'restart', 'tick'], { uid: NOBODY, cwd: pub });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tick@\S+: running, pid \d+/m);
  });

  it('a socket meant for a group or for every user, in a directory closed to them (the 0700 data dir), fails the start naming it', async () => {
    const dir = openDir();
    const file = writeHandlers(dir, [
      { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
    ]);
    const data = path.join(dir, 'data');
    const grouped = startAgent(file, data, ['--socket-group', String(NOBODY)]);
    assert.equal(await grouped.exited, 1, grouped.stderr());
    assert.ok(
      grouped.stderr().includes(`meant for group ${NOBODY}, but directory ${data} (mode 0700)`),
      grouped.stderr(),
    );
    const ro = path.join(data, 'ro.sock');
    const readers = startAgent(file, data, ['--read-only-socket', ro]);
    assert.equal(await readers.exited, 1, readers.stderr());
    assert.ok(readers.stderr().includes(`${ro}: the socket is meant for every user`), readers.stderr());
  });

  it('refuses a socket in a directory another user owns or can write (who could swap the socket for a link to a file of root): nothing is bound', async function () {
    const native = linuxSockets();
    if (!native.ok) {
      console.log(`      skipped: no native socket helpers (${native.reason})`);
      this.skip();
    }
    const open = (dir: string) =>
      ControlSocket.open({
        path: path.join(dir, 'gov.sock'),
        mode: 0o660,
        gid: null,
        service: loadProtos().admin.governor.v1.Admin.service,
        handlers: {},
        native: native.native,
      });
    const theirs = openDir();
    chownSync(theirs, 65534, 65534); // nobody's
    const everybodys = openDir();
    chmodSync(everybodys, 0o777);
    for (const dir of [theirs, everybodys]) {
      await assert.rejects(open(dir), /another user could replace the socket there/);
      assert.ok(!existsSync(path.join(dir, 'gov.sock')), `nothing bound in ${dir}`);
    }
    // A sticky directory (as /tmp): others cannot move what is not theirs.
    const sticky = openDir();
    chmodSync(sticky, 0o1777);
    const sock = await open(sticky);
    assert.equal(statSync(path.join(sticky, 'gov.sock')).mode & 0o777, 0o660);
    await sock.close();
  });

  it('opening a control socket changes the umask of nothing else (a handler spawned meanwhile keeps the agent umask)', async function () {
    const native = linuxSockets();
    if (!native.ok) {
      console.log(`      skipped: no native socket helpers (${native.reason})`);
      this.skip();
    }
    const file = path.join(openDir(), 'gov.sock');
    const before = process.umask();
    const seen: number[] = [];
    const listen = net.Server.prototype.listen;
    // Whatever runs right after the bind (a continuation, a spawn, a file created on the thread pool).
    net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
      const r = (listen as (...a: unknown[]) => net.Server).apply(this, args);
      process.nextTick(() => seen.push(process.umask()));
      return r;
    } as typeof listen;
    let sock: ControlSocket | undefined;
    try {
      sock = await ControlSocket.open({
        path: file,
        mode: 0o660,
        gid: null,
        service: loadProtos().admin.governor.v1.Admin.service,
        handlers: {},
        native: native.native,
      });
    } finally {
      net.Server.prototype.listen = listen;
      await sock?.close();
    }
    assert.deepEqual(seen, [before], 'the umask while the socket was being opened');
    assert.equal(process.umask(), before);
  });

  it('a socket left by a killed agent is replaced; a clean exit removes it', async () => {
    const { agent, data, dir } = await agentWithSockets();
    const sock = path.join(data, 'gov.sock');
    await waitSocket(sock, agent);
    process.kill(agent.pid, 'SIGKILL');
    await agent.exited;
    assert.ok(existsSync(sock), 'the killed agent left its socket file');
    const again = startAgent(path.join(dir, 'handlers.yaml'), data);
    await waitFor(async () => (await gov(['--socket', sock, 'ps'])).code === 0, {
      what: `the new agent to answer on ${sock}: ${again.stderr().slice(-2000)}`,
      timeoutMs: 20_000,
    });
    process.kill(again.pid, 'SIGTERM');
    assert.equal(await again.exited, 0, again.stderr());
    assert.ok(!existsSync(sock), 'removed on clean exit');
  });

  it('an agent refuses a --socket path where another process answers', async () => {
    const pub = openDir();
    const sock = path.join(pub, 'taken.sock');
    const other = net.createServer(() => {});
    await new Promise<void>((r) => other.listen(sock, r));
    try {
      const dir = openDir();
      const file = writeHandlers(dir, [
        { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
      ]);
      const agent = startAgent(file, path.join(dir, 'data'), ['--socket', sock]);
      const code = await agent.exited;
      assert.equal(code, 1);
      assert.ok(agent.stderr().includes(`${sock} is in use`), agent.stderr());
    } finally {
      other.close();
    }
  });

  it('a default socket path too long for a unix socket is logged and the agent runs on; an asked-for one fails the start', async () => {
    const dir = openDir();
    const data = path.join(dir, 'd'.repeat(110));
    const file = writeHandlers(dir, [
      { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
    ]);
    const agent = startAgent(file, data);
    await waitInstance(data, agent.pid, 'tick', (s) => s.state === 'running', 'tick running');
    await waitFor(() => agent.stderr().includes('local control socket not opened'), { what: 'the warning' });
    assert.match(agent.stderr(), /at most 107 bytes/);
    process.kill(agent.pid, 'SIGTERM');
    assert.equal(await agent.exited, 0);

    const asked = startAgent(file, path.join(dir, 'data2'), ['--socket', path.join(data, 'gov.sock')]);
    assert.equal(await asked.exited, 1, asked.stderr());
    assert.match(asked.stderr(), /a unix socket path may be at most 107 bytes/);
  });

  it('gov --local with a command the socket does not serve is a usage error naming it (exit 2)', async () => {
    const r = await gov(['--local', 'apply', '-f', 'x.yaml']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /gov apply is not available with --local/);
    const env = await gov(['executions'], { env: { GOV_SOCKET: '/nonexistent/gov.sock' } });
    assert.equal(env.code, 2, env.stderr);
    assert.match(env.stderr, /gov executions is not available with GOV_SOCKET/);
  });

  it('gov --local on a missing socket fails naming the path and why (exit 1)', async () => {
    const missing = path.join(tempDir(), 'none', 'gov.sock');
    const r = await gov(['--socket', missing, 'ps']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`${missing}: no such file`), r.stderr);
    const cwd = tempDir();
    const dflt = await gov(['--local', 'ps'], { cwd });
    assert.equal(dflt.code, 1, dflt.stderr);
    assert.ok(dflt.stderr.includes(path.join(cwd, 'data', 'agent-<ID>', 'gov.sock')), dflt.stderr);
  });

  it('one user holds at most its share of connections to a socket (more are closed); root is still answered, and the share comes back', async function () {
    if (!isRoot) {
      console.log(`      skipped: running as another user needs root (uid ${process.getuid?.()})`);
      this.skip();
    }
    const pub = openDir();
    const ro = path.join(pub, 'ro.sock');
    const { agent } = await agentWithSockets(['--read-only-socket', ro]);
    await waitSocket(ro, agent);
    // nobody opens more raw connections than its share and never sends a byte on them.
    const n = LOCAL_LIMITS.perUid + 4;
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const net = require('net'); let open = 0, closed = 0;
         const say = () => process.stdout.write(JSON.stringify({ open, closed }) + '\\n');
         for (let i = 0; i < ${n}; i++) {
           const c = net.connect(process.argv[1]);
           c.on('connect', () => { open++; say(); });
           c.on('close', () => { closed++; say(); });
           c.on('error', () => {});
         }
         setInterval(() => {}, 1000);`,
        ro,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], uid: NOBODY, gid: NOBODY },
    );
    trackPid(holder.pid);
    let last = { open: 0, closed: 0 };
    holder.stdout.on('data', (d: Buffer) => {
      const line = d.toString().trim().split('\n').at(-1);
      if (line) last = JSON.parse(line) as typeof last;
    });
    try {
      await waitFor(() => last.open === n && last.closed >= n - LOCAL_LIMITS.perUid, {
        what: `${n - LOCAL_LIMITS.perUid} of nobody's ${n} connections closed by the agent (now ${JSON.stringify(last)})`,
      });
      const theirs = await gov(['--socket', ro, 'ps'], { uid: NOBODY, cwd: pub });
      assert.equal(theirs.code, 1, 'nobody has no connection left');
      const root = await gov(['--socket', ro, 'ps'], { cwd: pub });
      assert.equal(root.code, 0, root.stderr);
      assert.match(root.stdout, /^tick\s+\S+\s+running/m);
    } finally {
      holder.kill('SIGKILL');
    }
    await waitFor(async () => (await gov(['--socket', ro, 'ps'], { uid: NOBODY, cwd: pub })).code === 0, {
      what: "nobody's share back once its connections closed",
    });
  });

  it('a streaming RPC the socket does not serve ends UNIMPLEMENTED, and a request over the local size limit is refused', async () => {
    const { agent, data } = await agentWithSockets();
    const sock = path.join(data, 'gov.sock');
    await waitSocket(sock, agent);
    const Admin = loadProtos().admin.governor.v1.Admin;
    const client = new Admin(`unix:${sock}`, grpc.credentials.createInsecure());
    try {
      const watch = client.Watch({});
      const err = await new Promise<grpc.ServiceError>((resolve) => watch.on('error', resolve));
      assert.equal(err.code, grpc.status.UNIMPLEMENTED, err.message);
      assert.match(err.details, /Watch needs the master/);
      const names = Array.from({ length: 20_000 }, () => 'tick'.repeat(15));
      const big = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.ListInstances({ targets: { names } }, (e: grpc.ServiceError | null) => resolve(e)),
      );
      assert.equal(big?.code, grpc.status.RESOURCE_EXHAUSTED, big?.message);
    } finally {
      client.close();
    }
  });

  it('the local socket answers UNIMPLEMENTED for what needs the master', async () => {
    const { agent, data } = await agentWithSockets();
    const sock = path.join(data, 'gov.sock');
    await waitSocket(sock, agent);
    const { localConnector } = await import('../../master/cli/local-connect.js');
    // No certificate is read: the connection settings are ignored but for the deadline.
    const api = await localConnector(sock)({
      master: '',
      caPath: '/nonexistent',
      certPath: '/nonexistent',
      keyPath: '/nonexistent',
      cwd: '/',
      timeoutMs: 10_000,
    });
    try {
      await assert.rejects(api.listExecutions(), /ListExecutions needs the master/);
    } finally {
      api.close();
    }
  });
});
