/**
 * `gov exec` end to end against a real master and agents: the remote program runs in the handler's
 * context (cwd, env), its stdout and stderr arrive apart, stdin is forwarded, gov exec exits with its code;
 * viewers, agents with exec disabled and targets naming several instances are refused; every session is an
 * execution record; a session ends with nothing left running when the CLI dies, and with a clear error
 * when the agent dies; 100 MB through a slowly reading client keeps master and agent RSS bounded, and
 * output at volume arrives byte for byte.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Cluster, type GovResult } from '../helpers/cluster.js';
import { GOV_BIN, fixture, trackPid, waitFor } from '../helpers/common.js';
import { isAlive } from '../../shared/proc.js';
import type { PairName } from '../helpers/pki.js';
import * as pty from 'node-pty';
import { rawAgent } from '../helpers/raw-agent.js';

/** VmRSS of a process, bytes. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

describe('integration: gov exec', function () {
  this.slow(30_000);
  let c: Cluster;
  let cwd: string;

  /** `gov exec ARGS` with the admin (or `pair`) connection flags before the `--`. */
  function exec(
    args: string[],
    opts: { pair?: PairName; stdin?: string } = {},
  ): { child: ReturnType<typeof spawn>; result: Promise<GovResult> } {
    const dash = args.indexOf('--');
    const full =
      dash < 0
        ? [...args, ...c.connectionArgs(opts.pair)]
        : [...args.slice(0, dash), ...c.connectionArgs(opts.pair), ...args.slice(dash)];
    const child = spawn(process.execPath, [GOV_BIN, 'exec', ...full], {
      cwd: c.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackPid(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    const result = new Promise<GovResult>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    return { child, result };
  }

  before(async function () {
    this.timeout(180_000);
    // A generous grace: five agents and a 100 MB transfer on a busy 2-core machine must not look like a disconnection.
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'], heartbeatGrace: '5s' });
    await c.startAgent('edge-3', { args: ['--no-exec'] });
    await c.startAgent('edge-4', { args: ['--exec-max-sessions', '1', '--exec-idle-timeout', '2s'] });
    cwd = path.join(c.dir, 'web-home');
    mkdirSync(cwd);
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1'],
        cwd,
        env: { GREETING: 'hello there' },
        command: [process.execPath, fixture('ticker.mjs')],
      },
      { name: 'api', agents: ['edge-1', 'edge-2'], command: [process.execPath, fixture('ticker.mjs')] },
      { name: 'locked', agents: ['edge-3'], command: [process.execPath, fixture('ticker.mjs')] },
      { name: 'tight', agents: ['edge-4'], command: [process.execPath, fixture('ticker.mjs')] },
    ]);
    // Under heavy load one agent may answer its APPLY after the master gave up (exit 1); it still applies it:
    // what matters is that every instance runs.
    const applied = await c.gov(['apply', '-f', file]);
    for (const [h, n] of [
      ['web', 1],
      ['api', 2],
      ['locked', 1],
      ['tight', 1],
    ] as const)
      await c
        .waitInstances(h, n, (i) => i.state === 'running')
        .catch((err: unknown) => {
          throw new Error(`${String(err)}\napply exited ${applied.code}: ${applied.stderr}`);
        });
  });

  after(async function () {
    this.timeout(30_000);
    await c?.stop();
  });

  it("runs in the handler's cwd and env, with stdout and stderr apart, and exits with the remote code", async () => {
    const r = await exec([
      'web',
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; pwd; echo "$GREETING/$GOV_INSTANCE/$GOV_AGENT"; exit 3',
    ]).result;
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.stdout, `out\n${cwd}\nhello there/web/edge-1\n`);
    assert.equal(r.code, 3);
  });

  it('forwards stdin with -i', async () => {
    const r = await exec(['-i', 'web', '--', 'wc', '-l'], { stdin: 'a\nb\n' }).result;
    assert.equal(r.stdout.trim(), '2', r.stderr);
    assert.equal(r.code, 0);
  });

  it('records every session as an execution of kind exec with its exit code', async () => {
    await exec(['web', '--', 'sh', '-c', 'exit 7']).result;
    const { records } = await c.govJson<{ records: Array<Record<string, unknown>> }>([
      'executions',
      '--kind',
      'exec',
    ]);
    const rec = records.find((r) => String(r.params_summary).includes('exit 7'));
    assert.ok(rec, JSON.stringify(records));
    assert.equal(rec.handler, 'web');
    assert.equal(rec.agent, 'edge-1');
    assert.equal(rec.issued_by, 'admin');
    assert.equal(rec.status, 'error');
    assert.match(String(rec.result), /exit code 7/);
    assert.equal(typeof rec.duration_ms, 'number');
  });

  it('refuses a viewer', async () => {
    const r = await exec(['web', '--', 'true'], { pair: 'viewer-viewer' }).result;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /read-only|viewer/);
  });

  it('refuses a target that matches several instances, listing them', async () => {
    const r = await exec(['api', '--', 'true']).result;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /api@edge-1, api@edge-2/);
    const one = await exec(['api', '--agent', 'edge-2', '--', 'sh', '-c', 'echo $GOV_AGENT']).result;
    assert.equal(one.stdout, 'edge-2\n', one.stderr);
  });

  it('refuses on an agent with exec disabled, saying so', async () => {
    const r = await exec(['locked', '--', 'true']).result;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /agent edge-3 refuses exec: exec is disabled on this agent \(--no-exec/);
  });

  it("refuses a session past the agent's limit and ends an idle one, each with a clear error", async function () {
    this.timeout(90_000);
    // A busy session (it prints every 300 ms, so it never idles) takes the agent's one slot.
    const busy = exec(['tight', '--', 'sh', '-c', 'echo $$; while :; do echo .; sleep 0.3; done']);
    let out = '';
    busy.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor(() => Number(out.split('\n')[0]) || 0, { what: 'the remote PID' });
    trackPid(pid);
    const second = await exec(['tight', '--', 'true']).result;
    assert.equal(second.code, 1, second.stdout);
    assert.match(second.stderr, /already runs 1 exec sessions, its limit \(--exec-max-sessions 1\)/);
    busy.child.kill('SIGKILL');
    await waitFor(() => !isAlive(pid), { timeoutMs: 15_000, what: `busy session ${pid} to end` });
    // A silent one ends after the agent's idle timeout (2s).
    const idle = await exec(['tight', '--', 'sleep', '100']).result;
    assert.equal(idle.code, 1);
    assert.match(idle.stderr, /the exec session was idle for 2s \(the agent's exec idle timeout\)/);
  });

  it('a stop of the instance ends what exec started in it (its cgroup)', async function () {
    this.timeout(60_000);
    const [web] = await c.waitInstances('web', 1, (i) => i.state === 'running' && !!i.pid);
    if (!readFileSync(`/proc/${web!.pid}/cgroup`, 'utf8').includes('governor/')) this.skip(); // no cgroup here
    const s = exec(['web', '--', 'sh', '-c', 'echo $$; exec sleep 100']);
    let out = '';
    s.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor(() => Number(out.trim()) || 0, { what: 'the remote PID' });
    trackPid(pid);
    await c.govJson(['stop', 'web']);
    await waitFor(() => !isAlive(pid), { timeoutMs: 15_000, what: `exec'd sleep ${pid} to end with web` });
    await s.result;
    await c.govJson(['start', 'web']);
    await c.waitInstances('web', 1, (i) => i.state === 'running');
  });

  it('refuses an instance that is not running, naming its state (no cgroup to hold what exec starts)', async function () {
    this.timeout(60_000);
    await c.govJson(['stop', 'web']);
    await c.waitInstances('web', 1, (i) => i.state === 'stopped');
    const r = await exec(['web', '--', 'cat', '/proc/self/cgroup']).result;
    await c.govJson(['start', 'web']);
    await c.waitInstances('web', 1, (i) => i.state === 'running');
    assert.equal(r.code, 1, `ran in a stopped instance, in cgroup ${r.stdout}`);
    assert.match(r.stderr, /web is stopped, not running: exec runs only in a running instance/);
  });

  it('ends the remote program when the CLI is killed (gone within the grace)', async () => {
    const s = exec(['web', '--', 'sh', '-c', 'echo $$; exec sleep 100']);
    let out = '';
    s.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor(() => Number(out.trim()) || 0, { what: 'the remote PID' });
    trackPid(pid);
    assert.ok(isAlive(pid));
    s.child.kill('SIGKILL');
    await waitFor(() => !isAlive(pid), { timeoutMs: 8000, what: `remote sleep ${pid} to end` });
  });

  it('keeps master and agent RSS bounded while 100 MB go to a slowly reading client', async function () {
    this.timeout(120_000);
    const agentPid = c.agents.get('edge-1')!.pid;
    const masterPid = c.master!.pid;
    const base = { agent: rss(agentPid), master: rss(masterPid) };
    const s = exec(['web', '--', 'sh', '-c', 'yes | head -c 100000000']);
    const stdout = s.child.stdout!;
    stdout.removeAllListeners('data');
    let got = 0;
    let peak = { agent: 0, master: 0 };
    // A slow reader: 1 MiB, then a pause of 20 ms.
    let sinceRest = 0;
    stdout.on('data', (d: Buffer) => {
      got += d.length;
      sinceRest += d.length;
      if (sinceRest >= 1 << 20) {
        sinceRest = 0;
        stdout.pause();
        setTimeout(() => stdout.resume(), 20);
      }
    });
    const sampler = setInterval(() => {
      try {
        peak = { agent: Math.max(peak.agent, rss(agentPid)), master: Math.max(peak.master, rss(masterPid)) };
      } catch {
        /* gone */
      }
    }, 50);
    const r = await s.result.finally(() => clearInterval(sampler));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(got, 100_000_000);
    const bound = 96 * 1024 * 1024;
    assert.ok(peak.agent - base.agent < bound, `agent RSS grew ${peak.agent - base.agent} bytes`);
    assert.ok(peak.master - base.master < bound, `master RSS grew ${peak.master - base.master} bytes`);
  });

  it('delivers output byte for byte at volume, stdout and stderr apart, written at the same time', async function () {
    this.timeout(120_000);
    // Random bytes, so a frame sent from a buffer already written into again (or a field header
    // rewritten in the wrong place on the master) shows as a different digest.
    const files = ['out.bin', 'err.bin'].map((name, i) => {
      const file = path.join(c.dir, name);
      writeFileSync(file, randomBytes(16_000_000 + i * 1_000_003));
      return file;
    });
    const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    const s = exec(['web', '--', 'sh', '-c', `cat ${files[0]} & cat ${files[1]} >&2; wait`]);
    const got = { stdout: createHash('sha256'), stderr: createHash('sha256') };
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = s.child[stream]!;
      readable.removeAllListeners('data');
      readable.on('data', (d: Buffer) => got[stream].update(d));
    }
    const r = await s.result;
    assert.equal(r.code, 0);
    assert.equal(got.stdout.digest('hex'), digest(files[0]!), 'stdout differs');
    assert.equal(got.stderr.digest('hex'), digest(files[1]!), 'stderr differs');
  });

  /** `gov exec -it ARGS` under a pseudo-terminal here (node-pty), its output collected. */
  function execTty(args: string[]): { p: pty.IPty; output: () => string; exited: Promise<number> } {
    const dash = args.indexOf('--');
    const full = [...args.slice(0, dash), ...c.connectionArgs(), ...args.slice(dash)];
    const p = pty.spawn(process.execPath, [GOV_BIN, 'exec', '-it', ...full], {
      cols: 80,
      rows: 24,
      cwd: c.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' },
    });
    trackPid(p.pid);
    let out = '';
    p.onData((d) => (out += d));
    const exited = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
    return { p, output: () => out, exited };
  }

  it('-it: a pseudo-terminal on the agent that follows the local size; Ctrl-C interrupts the program (130)', async function () {
    this.timeout(60_000);
    const sh = execTty(['web', '--', 'sh']);
    sh.p.write('tty\r');
    await waitFor(() => /\/dev\/pts\/\d+/.test(sh.output()), { what: `a /dev/pts/N in: ${sh.output()}` });
    sh.p.resize(100, 40);
    await waitFor(
      async () => {
        sh.p.write('stty size\r');
        return waitFor(() => sh.output().includes('40 100'), { timeoutMs: 1000 }).catch(() => false);
      },
      { timeoutMs: 15_000, what: `stty size to say 40 100 in: ${sh.output()}` },
    );
    sh.p.write('exit 4\r');
    assert.equal(await sh.exited, 4);

    const sleeper = execTty(['web', '--', 'sh', '-c', 'echo ready; exec sleep 100']);
    await waitFor(() => sleeper.output().includes('ready'), { what: 'the remote sleep' });
    sleeper.p.write('\x03');
    assert.equal(await sleeper.exited, 130);
  });

  it('-t needs a terminal on stdin: a usage error without one', async () => {
    const r = await exec(['-t', 'web', '--', 'true'], { stdin: '' }).result;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-t needs a terminal on stdin/);
  });

  it("joins the instance's cgroup", async function () {
    const [web] = await c.waitInstances('web', 1, (i) => i.state === 'running' && !!i.pid);
    const own = readFileSync(`/proc/${web!.pid}/cgroup`, 'utf8');
    if (!own.includes('governor/')) this.skip(); // the agent tracks by process group here: no cgroup to join
    const r = await exec(['web', '--', 'cat', '/proc/self/cgroup']).result;
    // Each hierarchy the instance is in; in the tracking one, the session's own group under the instance's.
    const mine = r.stdout.trim().split('\n');
    const theirs = own.trim().split('\n');
    assert.equal(mine.length, theirs.length, r.stdout);
    mine.forEach((line, i) => assert.match(line, new RegExp(`^${escape(theirs[i]!)}(/exec-[0-9a-f-]+)?$`)));
    assert.equal(mine.filter((l) => /\/exec-[0-9a-f-]+$/.test(l)).length, 1, r.stdout);
  });

  it('ends the CLI with a clear error and the remote program when the agent dies mid-session', async function () {
    this.timeout(60_000);
    const s = exec(['api', '--agent', 'edge-2', '--', 'sh', '-c', 'echo $$; exec sleep 100']);
    let out = '';
    s.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor(() => Number(out.trim()) || 0, { what: 'the remote PID' });
    trackPid(pid);
    await c.killAgent('edge-2');
    const r = await s.result;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /agent edge-2 disconnected during the exec session/);
    // Nothing outlives its agent: the program was killed with it (kill -9 leaves the agent no say).
    await waitFor(() => !isAlive(pid), {
      timeoutMs: 8000,
      what: `remote sleep ${pid} to end with its agent`,
    });
  });

  it('names an agent of an older Governor (no exec in its hello) instead of waiting on it', async function () {
    this.timeout(60_000);
    await c.waitAgentConnected('edge-2', false, 20_000); // killed by the test before
    const old = await rawAgent(c, 'edge-2');
    try {
      await c.waitAgentConnected('edge-2', true, 20_000);
      const r = await exec(['api', '--agent', 'edge-2', '--', 'true']).result;
      assert.equal(r.code, 1);
      assert.match(r.stderr, /agent edge-2 runs an older Governor without exec/);
    } finally {
      old.close();
    }
  });
});

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
