/**
 * The shim's spawn (agent/process/detached-spawn.ts) makes the same process with the native addon
 * (vfork + exec, exit through a pidfd) as with Node's child_process: its own session and group, every signal
 * at its default and none blocked, stdin /dev/null, no descriptor of the agent's but stdout and stderr,
 * exactly the given environment and directory; its exit (code or signal) reported once.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { nativeSpawn, type LoadedSpawn } from '../../agent/native/process-spawn.js';
import { spawnDetached, type DetachedChild } from '../../agent/process/detached-spawn.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { Logger } from '../../shared/logger.js';
import { parseHandler } from '../../shared/spec.js';
import { supervisors } from './health-helpers.js';
import type { ExitStatus } from '../../agent/process/backend.js';
import { readProcStat } from '../../shared/proc.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';

function exitOf(c: DetachedChild): Promise<ExitStatus> {
  return new Promise((resolve) => c.onExit(resolve));
}

function statusField(pid: number, name: string): string {
  const m = new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ?? '';
}

const VARIANTS: Array<[string, () => LoadedSpawn]> = [
  [
    'native',
    () => {
      const n = nativeSpawn();
      if (!n.ok) assert.fail(n.reason); // npm ci builds it; its absence is a failure, not a skip
      return n;
    },
  ],
  ['child_process', () => ({ ok: false, reason: 'test: the fallback' })],
];

for (const [name, loaded] of VARIANTS) {
  describe(`detached spawn (${name})`, () => {
    it('a session leader with default signals, stdin /dev/null, only stdout and stderr, the given env and cwd', async () => {
      const dir = tempDir();
      const out = openSync(path.join(dir, 'out'), 'a');
      const err = openSync(path.join(dir, 'err'), 'a');
      const c = spawnDetached(
        {
          argv: ['/bin/sh', '-c', 'echo "$GOV_T $(pwd)"; exec sleep 30'],
          program: 'sh',
          env: { GOV_T: 'yes', PATH: process.env.PATH ?? '/usr/bin:/bin' },
          cwd: dir,
          stdoutFd: out,
          stderrFd: err,
        },
        loaded(),
      );
      closeSync(out);
      closeSync(err);
      trackPid(c.pid, true);
      const exited = exitOf(c);
      await waitFor(() => (readFileSync(path.join(dir, 'out'), 'utf8').includes('yes') ? true : null), {
        what: 'the child wrote its output',
      });
      assert.equal(readFileSync(path.join(dir, 'out'), 'utf8').trim(), `yes ${dir}`);
      const st = readProcStat(c.pid)!;
      assert.equal(st.sid, c.pid, 'its own session');
      assert.equal(st.pgid, c.pid, 'its own process group');
      assert.equal(readlinkSync(`/proc/${c.pid}/fd/0`), '/dev/null');
      const fds = readdirSync(`/proc/${c.pid}/fd`).sort();
      // child_process passes on whatever the agent holds without close-on-exec; the native spawn closes it.
      if (name === 'native') assert.deepEqual(fds, ['0', '1', '2']);
      else assert.deepEqual(fds.slice(0, 3), ['0', '1', '2']);
      assert.equal(
        BigInt(`0x${statusField(c.pid, 'SigIgn')}`),
        0n,
        'no signal ignored (the agent ignores SIGPIPE)',
      );
      assert.equal(BigInt(`0x${statusField(c.pid, 'SigBlk')}`), 0n, 'no signal blocked');
      const env = readFileSync(`/proc/${c.pid}/environ`, 'utf8')
        .split('\0')
        .filter((e) => e !== '' && !e.startsWith('PWD=')) // sh exports PWD to what it execs
        .sort();
      assert.deepEqual(env, ['GOV_T=yes', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`]);
      process.kill(c.pid, 'SIGTERM');
      assert.deepEqual(await exited, { code: null, signal: 'SIGTERM' });
      // Reaped: no zombie left behind.
      await waitFor(() => (readProcStat(c.pid) === null ? true : null), { what: 'the child reaped' });
    });

    it('an exit code is reported, also to a callback registered after the exit', async () => {
      const fd = openSync('/dev/null', 'a');
      const c = spawnDetached(
        { argv: ['/bin/sh', '-c', 'exit 3'], program: 'sh', env: {}, stdoutFd: fd, stderrFd: fd },
        loaded(),
      );
      closeSync(fd);
      assert.deepEqual(await exitOf(c), { code: 3, signal: null });
      assert.deepEqual(await exitOf(c), { code: 3, signal: null });
    });

    it('a directory that does not exist: an error naming the program only', () => {
      const fd = openSync('/dev/null', 'a');
      try {
        assert.throws(
          () =>
            spawnDetached(
              {
                argv: ['/bin/sh', '-c', 'exit 0', 'secret-arg'],
                program: 'handler-prog',
                env: {},
                cwd: path.join(tempDir(), 'missing'),
                stdoutFd: fd,
                stderrFd: fd,
              },
              loaded(),
            ),
          (e: Error) => e.message.startsWith('could not spawn handler-prog') && !e.message.includes('secret'),
        );
      } finally {
        closeSync(fd);
      }
    });
  });
}

describe('detached spawn (native): a throw in the exit callback', () => {
  it("is the process's uncaught exception (as from child_process), not the next spawn's error", () => {
    // In a process of its own: the uncaught exception is what is looked at.
    const addon = new URL('../../agent/native/process-spawn.js', import.meta.url).href;
    const script = `
      import { nativeSpawn } from ${JSON.stringify(addon)};
      import fs from 'node:fs';
      const n = nativeSpawn();
      if (!n.ok) throw new Error(n.reason);
      const fd = fs.openSync('/dev/null', 'a');
      process.on('uncaughtException', (e) => {
        console.log('uncaught: ' + e.message);
        try {
          n.native.spawn('/bin/true', ['/bin/true'], [], null, fd, fd, () => {
            console.log('second exited');
            process.exit(0);
          });
          console.log('second spawned');
        } catch (err) {
          console.log('second spawn threw: ' + err.message);
        }
      });
      n.native.spawn('/bin/true', ['/bin/true'], [], null, fd, fd, () => { throw new Error('boom in onExit'); });
      setTimeout(() => process.exit(1), 30000); // the exit watch does not keep the process alive
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.deepEqual(out.trim().split('\n'), ['uncaught: boom in onExit', 'second spawned', 'second exited']);
  });
});

describe('detached spawn: an agent without the native spawn', () => {
  const sups = supervisors();
  afterEach(() => sups.close());

  it('still starts its handlers and says once, with the reason, that they are spawned through child_process', async () => {
    let logged = '';
    const logger = new Logger('', { level: 'info', sink: { write: (t: string) => (logged += t) } });
    const backend = new LinuxBackend({ ok: false, reason: 'test: the addon did not load' });
    const sup = await sups.make({ backend, logger });
    await sup.applySpecs([parseHandler({ name: 'plain', command: ['sleep', '60'], start_seconds: 0 }, 't')]);
    await waitFor(() => sup.status('plain')[0]?.state === 'running', { what: 'plain running' });
    const warned = logged.split('\n').filter((l) => l.includes('spawned through child_process'));
    assert.equal(warned.length, 1, logged);
    assert.match(warned[0]!, /test: the addon did not load/);
  });
});
