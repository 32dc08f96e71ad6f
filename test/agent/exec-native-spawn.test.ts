/**
 * An exec session's piped program started by the native spawn (agent/exec/program.ts, process-spawn.c),
 * which does in the child, before the exec, what the `sh` / `setpriv` chain did: the program is in the
 * session's cgroup from its first instruction, runs as the instance's user with its groups (what
 * `setpriv --init-groups` sets), dies with the agent (parent-death signal), and a program that cannot be
 * executed ends as setpriv's exec failure did (its reason on stderr, 127). A cgroup that cannot be joined
 * fails the start, naming it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPiped, type ProgramSpec } from '../../agent/exec/program.js';
import { prepareLaunch } from '../../agent/instance/launch.js';
import { nativeSpawn, type NativeSpawn } from '../../agent/native/process-spawn.js';
import { isAlive } from '../../shared/proc.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { spec, supervisors } from './health-helpers.js';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(native: NativeSpawn, direct: Omit<NonNullable<ProgramSpec['direct']>, 'spawner'>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const out = { stdout: '', stderr: '' };
    const program = startPiped(
      {
        argv: [],
        direct: { ...direct, spawner: native },
        cwd: undefined,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        tty: null,
        stdin: false,
      },
      {
        output: (stream, chunk) => (out[stream] += chunk.toString()),
        gone: () => {},
        exit: (code) => resolve({ code, ...out }),
        failed: reject,
      },
    );
    if (program) trackPid(program.pid, true);
  });
}

describe('exec: the native spawn of piped programs', function () {
  this.slow(5000);
  const loaded = nativeSpawn();
  let native: NativeSpawn;
  before(function () {
    if (!loaded.ok) {
      console.log(`      (skipped: ${loaded.reason})`);
      this.skip();
    }
    native = loaded.native;
  });
  const s = supervisors();
  after(() => s.close());

  it("is in the session's cgroup when it starts (it reads its own /proc/self/cgroup)", async function () {
    const sup = await s.make({});
    if (!sup.tracker.layout) {
      console.log(`      (skipped: handlers are tracked by process group here: ${sup.tracker.reason})`);
      return this.skip();
    }
    await sup.applySpecs([spec({ name: 'web', command: ['node', fixture('ticker.mjs')], start_seconds: 0 })]);
    await waitFor(() => sup.status().find((i) => i.instance === 'web')?.state === 'running', {
      what: 'web running',
    });
    const ctx = sup.execContext('web', ['cat', '/proc/self/cgroup'], 'cgtest');
    try {
      assert.ok(ctx.direct && ctx.direct.procs.length > 0, 'a cgroup to join');
      const ran = await run(native, ctx.direct);
      assert.equal(ran.code, 0, ran.stderr);
      const session = path.basename(path.dirname(ctx.direct.procs[0]!));
      assert.equal(session, 'exec-cgtest');
      assert.match(ran.stdout, /\/exec-cgtest$/m);
    } finally {
      ctx.release?.(0);
    }
  });

  it('refuses an instance whose cgroup is being frozen: a program joining it would stop before its exec, and the agent with it', async function () {
    // vfork: the agent's thread waits for the child's exec, and a child that joined a freezing v2 group is
    // frozen before it gets there: the agent's event loop would stand still until someone else thaws it.
    const sup = await s.make({ cgroupRoot: '/sys/fs/cgroup/unified' });
    if (sup.tracker.layout?.version !== 2) {
      console.log(`      (skipped: no cgroup v2 tracking at /sys/fs/cgroup/unified: ${sup.tracker.reason})`);
      return this.skip();
    }
    await sup.applySpecs([spec({ name: 'web', command: ['node', fixture('ticker.mjs')], start_seconds: 0 })]);
    const group = await waitFor(
      () => {
        const i = sup.status().find((x) => x.instance === 'web');
        return i?.state === 'running' ? sup.tracker.dirOf('web') : null;
      },
      { what: 'web running' },
    );
    // What the freezer writes first; the instance counts as frozen only once the kernel says it is.
    writeFileSync(path.join(group, 'cgroup.freeze'), '1');
    try {
      assert.throws(() => sup.execContext('web', ['true'], 'frz'), /web is being frozen/);
    } finally {
      writeFileSync(path.join(group, 'cgroup.freeze'), '0');
    }
    const ctx = sup.execContext('web', ['true'], 'thawed');
    try {
      assert.equal((await run(native, ctx.direct!)).code, 0);
    } finally {
      ctx.release?.(0);
    }
  });

  it('leaves an instance with limits to the chain: the agent never waits on the quota of a group it joined before the exec', async function () {
    // vfork holds the agent's thread until the child's exec; a child already in `cpu: 1%` (kept busy) or
    // at its memory limit would exec at that pace, the whole agent standing still meanwhile.
    const sup = await s.make({});
    await sup.applySpecs([
      spec({
        name: 'capped',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        limits: { cpu: '10%' },
      }),
      spec({ name: 'free', command: ['node', fixture('ticker.mjs')], start_seconds: 0 }),
    ]);
    await waitFor(() => sup.status().every((i) => i.state === 'running') && sup.status().length === 2, {
      what: 'both running',
    });
    const capped = sup.execContext('capped', ['true'], 'capped1');
    const free = sup.execContext('free', ['true'], 'free1');
    try {
      assert.equal(capped.direct, undefined, 'no native spawn into a limited instance');
      assert.ok(capped.argv.includes('true'), 'the chain runs the command');
      assert.ok(free.direct, 'the native spawn where nothing limits the exec');
    } finally {
      capped.release?.(0);
      free.release?.(0);
    }
  });

  it('fails the start naming a cgroup it cannot join', async () => {
    const procs = path.join(tempDir('gov-nocg-'), 'missing', 'cgroup.procs');
    await assert.rejects(
      () => run(native, { command: ['true'], procs: [procs], identity: null }),
      (err: Error & { code?: string }) => err.code === 'ENOENT' && err.message.includes(procs),
    );
  });

  it("runs as the instance's user, with the groups setpriv --init-groups gives it", async function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: needs root)');
      return this.skip();
    }
    const dir = tempDir('gov-accounts-');
    const accounts = { passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group') };
    writeFileSync(accounts.passwd, 'svc:x:4711:4712:svc:/srv/svc:/bin/sh\n');
    writeFileSync(accounts.group, 'svc:x:4712:\nextra:x:4713:other,svc\nnot-svc:x:4714:other\n');
    const launch = prepareLaunch(spec({ name: 'web', command: ['true'], user: 'svc' }), 0, {
      agentId: 'a',
      agentEnv: {},
      uid: 0,
      gid: 0,
      accounts,
    });
    assert.deepEqual(launch.identity, { uid: 4711, gid: 4712, groups: [4712, 4713] });
    const ran = await run(native, {
      command: ['sh', '-c', 'id -u; id -g; id -G'],
      procs: [],
      identity: launch.identity,
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(ran.stdout.trim().split('\n'), ['4711', '4712', '4712 4713']);
  });

  it('ends as an exec failure did: the reason on its stderr, exit 127 (not found)', async () => {
    const ran = await run(native, { command: ['no-such-program-gov'], procs: [], identity: null });
    assert.equal(ran.code, 127);
    assert.match(ran.stderr, /failed to execute no-such-program-gov: No such file or directory/);
  });

  it('runs a script without #! named by its path through /bin/sh, as execvp (setpriv) did', async () => {
    const dir = tempDir('gov-script-');
    const script = path.join(dir, 'plain.sh');
    writeFileSync(script, 'echo "plain $1"\n', { mode: 0o755 });
    const ran = await run(native, { command: [script, 'arg'], procs: [], identity: null });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'plain arg\n');
  });

  it('ends an empty program name as execvp does: not found, exit 127', async () => {
    const ran = await run(native, { command: [''], procs: [], identity: null });
    assert.equal(ran.code, 127);
    assert.match(ran.stderr, /No such file or directory/);
  });

  it('refuses a NUL byte in an argument or a path (as child_process does) instead of running the cut-short command', async () => {
    const refused = (err: Error) => /null bytes/.test(err.message);
    await assert.rejects(
      () => run(native, { command: ['echo', 'kept\0dropped'], procs: [], identity: null }),
      refused,
    );
    await assert.rejects(
      () => run(native, { command: ['true'], procs: ['/sys/fs/cgroup\0/x/cgroup.procs'], identity: null }),
      refused,
    );
  });

  it('is killed when the agent process dies (SIGKILL)', async () => {
    // A stand-in agent: starts `sleep` through the same path, prints its PID, and is then killed.
    const here = path.dirname(fileURLToPath(import.meta.url));
    const program = path.join(here, '..', '..', 'agent', 'exec', 'program.js');
    const processSpawn = path.join(here, '..', '..', 'agent', 'native', 'process-spawn.js');
    const script = `
      const { startPiped } = await import(${JSON.stringify(program)});
      const { nativeSpawn } = await import(${JSON.stringify(processSpawn)});
      const p = startPiped({ argv: [], cwd: undefined, env: { PATH: process.env.PATH }, tty: null, stdin: false,
        direct: { command: ['sleep', '1000'], procs: [], identity: null, spawner: nativeSpawn().native } },
        { output() {}, gone() {}, exit() {}, failed(e) { throw e; } });
      console.log(p.pid);
      setInterval(() => {}, 1000);`;
    const agent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    trackPid(agent.pid);
    let out = '';
    agent.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const pid = await waitFor(() => Number(out.trim()) || 0, { what: 'the program PID' });
    trackPid(pid, true);
    assert.ok(isAlive(pid));
    agent.kill('SIGKILL');
    await waitFor(() => !isAlive(pid), { what: 'the program to die with its agent' });
  });
});
