/**
 * The agent's exec sessions on their own (agent/exec): output stops at the master's credit and resumes with
 * a grant; the session limit and the idle timeout refuse or end a session with a clear error; a close
 * from the master sends SIGHUP, then SIGKILL after the grace (nothing left running); a program ended by a
 * signal exits 128+N; a recording is asciicast v2; node-pty failing to load leaves exec unavailable with
 * the reason, and the agent still starts.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecFrame } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import { DEFAULT_EXEC_SETTINGS, ExecSessions, type ExecSettings } from '../../agent/exec/exec-sessions.js';
import type { LoadedSpawn } from '../../agent/native/process-spawn.js';
import { Logger, silentLogger } from '../../shared/logger.js';
import { isAlive } from '../../shared/proc.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';
import { execFromAgent } from '../helpers/wire.js';
import type { Encoded } from '../../shared/wire-bytes.js';

interface Harness {
  sessions: ExecSessions;
  frames: ExecFrame[];
  dir: string;
  open(id: string, command: string[], extra?: Partial<NonNullable<ExecFrame['open']>>): void;
  to(id: string, f: Omit<ExecFrame__Output, 'session' | 'body'> & { body: ExecFrame__Output['body'] }): void;
  of(id: string): ExecFrame[];
  bytes(id: string): number;
  text(id: string): string;
  pid(id: string): Promise<number>;
}

const blank: ExecFrame__Output = {
  session: '',
  open: null,
  stdin: Buffer.alloc(0),
  stdin_eof: false,
  resize: null,
  signal: '',
  grant: 0,
  close: '',
  opened: null,
  stdout: Buffer.alloc(0),
  stderr: Buffer.alloc(0),
  exit: null,
  error: null,
  body: 'grant',
};

/** How the suite below starts piped programs (undefined: the native spawn when the addon loads). */
let spawnVia: LoadedSpawn | undefined;

function harness(settings: Partial<ExecSettings> = {}): Harness {
  const dir = tempDir('gov-exec-');
  const frames: ExecFrame[] = [];
  const sessions = new ExecSessions(
    (_key, command) => ({
      argv: command,
      direct: { command, procs: [], identity: null },
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      logDir: dir,
    }),
    { ...DEFAULT_EXEC_SETTINGS, ...(spawnVia ? { spawn: spawnVia } : {}), ...settings },
    silentLogger,
  );
  const send = (f: ExecFrame | Encoded) => frames.push(execFromAgent(f));
  const h: Harness = {
    sessions,
    frames,
    dir,
    open(id, command, extra = {}) {
      sessions.onFrame(
        {
          ...blank,
          session: id,
          body: 'open',
          open: {
            handler: 'web',
            instance: 'web',
            command,
            tty: false,
            stdin: false,
            window: null,
            term: '',
            record: false,
            issued_by: 'admin',
            grant: 1 << 20,
            ...extra,
          } as NonNullable<ExecFrame__Output['open']>,
        },
        send,
      );
    },
    to(id, f) {
      sessions.onFrame({ ...blank, ...f, session: id } as ExecFrame__Output, send);
    },
    of: (id) => frames.filter((f) => f.session === id),
    bytes: (id) => h.of(id).reduce((n, f) => n + ((f.stdout as Buffer | undefined)?.length ?? 0), 0),
    text: (id) =>
      h
        .of(id)
        .map((f) => (f.stdout ? Buffer.from(f.stdout as Buffer).toString() : ''))
        .join(''),
    async pid(id) {
      const opened = await waitFor(() => h.of(id).find((f) => f.opened)?.opened, { what: `${id} opened` });
      const pid = opened.pid ?? 0;
      trackPid(pid, true);
      return pid;
    },
  };
  return h;
}

const exitOf = (h: Harness, id: string) =>
  waitFor(() => h.of(id).find((f) => f.exit)?.exit, { what: `${id} exit` });
const errorOf = (h: Harness, id: string) =>
  waitFor(() => h.of(id).find((f) => f.error)?.error, { what: `${id} error` });

const spawns: Array<[string, LoadedSpawn | undefined]> = [
  ['native spawn', undefined],
  ['child_process', { ok: false, reason: 'the test runs without it' }],
];
for (const [via, spawn] of spawns)
  describe(`agent exec sessions (${via})`, function () {
    this.slow(5000);
    before(() => {
      spawnVia = spawn;
    });
    after(() => {
      spawnVia = undefined;
    });

    it('sends output only within the credit the master granted, and more after a grant', async () => {
      const h = harness();
      h.open('s', ['yes'], { grant: 64 * 1024 });
      await h.pid('s');
      await waitFor(() => h.bytes('s') >= 64 * 1024, { what: 'the first window' });
      // Watch for a while: nothing past the window and one pipe read (64 KiB) may come.
      const deadline = Date.now() + 300;
      while (Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      const held = h.bytes('s');
      assert.ok(held <= 2 * 64 * 1024, `sent ${held} bytes on a 64 KiB credit`);
      h.to('s', { body: 'grant', grant: 1 << 20 });
      // All of both credits is used (the last chunk may go past it). Not `held` + the grant: what went past
      // the first credit is taken from the second, so that much more was never due.
      await waitFor(() => h.bytes('s') >= 64 * 1024 + (1 << 20), { what: 'output after the grant' });
      h.to('s', { body: 'close', close: 'test over' });
      await waitFor(() => h.sessions.size === 0, { what: 'the session to end' });
    });

    it('keeps to the credit when the program exits with output unread, and sends the exit after all of it', async () => {
      // Node resumes a child's paused pipes when the child exits: the rest must still wait for a grant.
      const h = harness();
      const size = 150_000; // the first read, a full pipe and a read into Node's buffer: head can exit
      h.open('s', ['head', '-c', String(size), '/dev/zero'], { grant: 1 });
      const pid = await h.pid('s');
      await waitFor(() => !existsSync(`/proc/${pid}`), { what: 'head to exit and be reaped' });
      // Node has seen the exit (it reaped the child); give the resumed pipe a few turns to be read.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 100));
      const held = h.bytes('s');
      assert.ok(held > 0 && held <= 64 * 1024, `sent ${held} bytes on a 1-byte credit`);
      assert.equal(
        h.of('s').find((f) => f.exit),
        undefined,
        'the exit came before the output',
      );
      h.to('s', { body: 'grant', grant: 1 << 20 });
      await exitOf(h, 's');
      assert.equal(h.bytes('s'), size);
      assert.ok(h.of('s').at(-1)?.exit, 'the exit is the last frame');
    });

    it('sends the output byte for byte, stdout and stderr apart, through held and granted credit', async () => {
      // Reads go into reused buffers: a chunk sent, held or pending must never be read over. `cat` writes
      // faster than the agent reads, so a turn reads several chunks.
      const h = harness();
      const seq = (from: number, to: number) =>
        Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');
      const [out1, err, out2] = [seq(1, 200000), seq(1, 50000), seq(200001, 300000)];
      writeFileSync(path.join(h.dir, 'out1'), out1);
      writeFileSync(path.join(h.dir, 'err'), err);
      writeFileSync(path.join(h.dir, 'out2'), out2);
      h.open('s', ['sh', '-c', 'cat out1; cat err >&2; cat out2'], { grant: 256 * 1024 });
      let granted = 256 * 1024;
      const stderr = () =>
        Buffer.concat(h.of('s').flatMap((f) => (f.stderr ? [f.stderr as Buffer] : []))).toString();
      while (!h.of('s').some((f) => f.exit)) {
        // Grants in steps as the output comes, as a slow client's master gives them.
        if (granted - (h.bytes('s') + Buffer.byteLength(stderr())) < 128 * 1024) {
          h.to('s', { body: 'grant', grant: 192 * 1024 });
          granted += 192 * 1024;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      assert.ok(h.text('s') === out1 + out2, 'stdout differs from the files cat printed');
      assert.ok(stderr() === err, 'stderr differs from the file cat printed');
    });

    it('refuses a session past the limit, naming it', async () => {
      const h = harness({ maxSessions: 1 });
      h.open('a', ['sleep', '100']);
      const pid = await h.pid('a');
      h.open('b', ['true']);
      const err = await errorOf(h, 'b');
      assert.equal(err.code, 'FAILED_PRECONDITION');
      assert.match(err.message ?? '', /already runs 1 exec sessions, its limit \(--exec-max-sessions 1\)/);
      h.to('a', { body: 'close', close: 'test over' });
      await waitFor(() => !isAlive(pid), { what: 'sleep to end' });
    });

    it('ends an idle session with an error and ends its program', async () => {
      const h = harness({ idleMs: 300 });
      h.open('s', ['sleep', '100']);
      const pid = await h.pid('s');
      const err = await errorOf(h, 's');
      assert.equal(err.code, 'DEADLINE_EXCEEDED');
      assert.match(err.message ?? '', /idle for 300ms/);
      await waitFor(() => !isAlive(pid), { what: 'sleep to end' });
    });

    it('on close sends SIGHUP, then SIGKILL after the grace to a program that ignores SIGHUP', async () => {
      const h = harness({ killGraceMs: 500 });
      h.open('s', ['sh', '-c', 'trap "" HUP; echo ready; exec sleep 100']);
      const pid = await h.pid('s');
      await waitFor(() => h.bytes('s') > 0, { what: 'the trap to be set' });
      const t0 = Date.now();
      h.to('s', { body: 'close', close: 'client gone' });
      await waitFor(() => !isAlive(pid), { what: 'the program to be killed' });
      assert.ok(Date.now() - t0 >= 400, 'it survived SIGHUP until the grace ended');
      await waitFor(() => h.sessions.size === 0, { what: 'the session to end' });
    });

    it("never signals the program's PID once it exited and was reaped: that number may be another process's by then", async () => {
      const h = harness({ killGraceMs: 200 });
      // A daemon in a session of its own holds the output: the session stays open after the program itself
      // exited (and was reaped), and a close then signals what is left — the group, nothing by PID.
      h.open('d', ['sh', '-c', 'setsid sleep 100 & echo $!']);
      const pid = await h.pid('d');
      const daemon = Number(await waitFor(() => h.text('d').trim(), { what: 'the daemon PID' }));
      trackPid(daemon);
      await waitFor(() => !isAlive(pid), { what: 'the program to exit' });
      const signalled: number[] = [];
      const kill = process.kill;
      process.kill = ((p: number, s?: string | number) => {
        signalled.push(p);
        return kill.call(process, p, s);
      }) as typeof process.kill;
      try {
        h.to('d', { body: 'close', close: 'client gone' });
        await new Promise((r) => setTimeout(r, 400)); // SIGHUP, and SIGKILL after the grace
      } finally {
        process.kill = kill;
        process.kill(daemon, 'SIGKILL');
      }
      assert.ok(signalled.includes(-pid), 'its group was signalled');
      assert.ok(!signalled.includes(pid), `pid ${pid} itself was signalled after its exit`);
      await waitFor(() => h.sessions.size === 0, { what: 'the session to end' });
    });

    it('exits 128+N for a program ended by signal N; stdin is forwarded and closed', async () => {
      const h = harness();
      h.open('k', ['sh', '-c', 'kill -TERM $$']);
      assert.deepEqual(await exitOf(h, 'k'), { code: 143, signal: 'SIGTERM' });
      h.open('c', ['cat'], { stdin: true });
      await h.pid('c');
      h.to('c', { body: 'stdin', stdin: Buffer.from('ping\n') });
      h.to('c', { body: 'stdin_eof', stdin_eof: true });
      assert.deepEqual(await exitOf(h, 'c'), { code: 0, signal: '' });
      assert.equal(
        Buffer.concat(h.of('c').flatMap((f) => (f.stdout ? [f.stdout as Buffer] : []))).toString(),
        'ping\n',
      );
      assert.ok(
        h.of('c').some((f) => f.grant === 5),
        'stdin credit granted back',
      );
    });

    it('gives stdin credit back on a pseudo-terminal only as the program takes its input', async () => {
      const h = harness();
      const granted = (id: string) => h.of(id).reduce((n, f) => n + (f.grant ?? 0), 0);
      h.open('p', ['sleep', '60'], { tty: true, stdin: true });
      await h.pid('p');
      // A master that sends past its credit to a program that reads nothing: 1 MiB of lines.
      const line = Buffer.from(`${'x'.repeat(63)}\n`.repeat(1024));
      for (let i = 0; i < 16; i++) h.to('p', { body: 'stdin', stdin: line });
      await waitFor(() => h.bytes('p') > 0, { what: 'the terminal to echo some input' });
      assert.ok(granted('p') <= 256 * 1024, `granted back ${granted('p')} bytes the program never read`);
      h.to('p', { body: 'close', close: 'test over' });
      await waitFor(() => h.sessions.size === 0, { what: 'the session to end' });

      // A program that reads: the credit comes back as it takes the input.
      h.open(
        'r',
        ['sh', '-c', 'stty -echo -icanon; echo ready; head -c 262144 >/dev/null; echo done; sleep 60'],
        {
          tty: true,
          stdin: true,
        },
      );
      await h.pid('r');
      await waitFor(() => h.bytes('r') >= 'ready'.length, { what: 'ready' });
      // Nothing of what the first session was sent reaches this one (node-pty writes its queue to an fd number).
      assert.match(h.text('r'), /^ready/, 'input of another session in this one');
      for (let i = 0; i < 4; i++) h.to('r', { body: 'stdin', stdin: line.subarray(0, 64 * 1024) });
      await waitFor(() => granted('r') >= 256 * 1024, { what: 'the stdin credit back' });
      await waitFor(() => h.bytes('r') >= 'ready\r\ndone'.length, { what: 'all input read' });
      h.to('r', { body: 'close', close: 'test over' });
      await waitFor(() => h.sessions.size === 0, { what: 'the session to end' });
    });

    it('records a session in asciicast v2 in the log folder', async () => {
      const h = harness();
      h.open('r', ['sh', '-c', 'echo recorded'], { record: true, tty: true, window: { rows: 30, cols: 90 } });
      const opened = await waitFor(() => h.of('r').find((f) => f.opened)?.opened, { what: 'opened' });
      await exitOf(h, 'r');
      await waitFor(() => h.sessions.size === 0, { what: 'the session to end' });
      const file = opened.recording ?? '';
      assert.equal(path.dirname(file), h.dir);
      assert.deepEqual(
        readdirSync(h.dir).filter((f) => f.endsWith('.cast')),
        [path.basename(file)],
      );
      const [header, ...events] = readFileSync(file, 'utf8').trim().split('\n');
      const head = JSON.parse(header!) as Record<string, unknown>;
      assert.equal(head.version, 2);
      assert.equal(head.width, 90);
      assert.equal(head.height, 30);
      const text = events.map((l) => JSON.parse(l) as [number, string, string]).filter((e) => e[1] === 'o');
      assert.match(text.map((e) => e[2]).join(''), /recorded/);
    });

    it('runs a program on a pseudo-terminal with -t', async () => {
      const h = harness();
      h.open('t', ['tty'], { tty: true });
      await exitOf(h, 't');
      const out = Buffer.concat(h.of('t').flatMap((f) => (f.stdout ? [f.stdout as Buffer] : []))).toString();
      assert.match(out, /^\/dev\/pts\/\d+/);
    });

    it('says exec is unavailable, with the reason, when node-pty does not load, and refuses sessions', () => {
      const h = harness({ ptyModule: 'no-such-pty-module' });
      assert.match(h.sessions.unavailable, /no-such-pty-module failed to load: Cannot find/);
      h.open('x', ['true']);
      const err = h.of('x').find((f) => f.error)?.error;
      assert.equal(err?.code, 'UNAVAILABLE');
    });

    it('refuses every session with --no-exec', () => {
      const h = harness({ enabled: false });
      assert.match(h.sessions.unavailable, /exec is disabled on this agent/);
    });
  });

describe('agent exec sessions: an agent without the native spawn', () => {
  it('says once, with the reason, that programs are spawned through child_process, and still runs them', async () => {
    const lines: string[] = [];
    const logger = new Logger('agent', { level: 'info', sink: { write: (l) => lines.push(l) } });
    const dir = tempDir('gov-exec-');
    const sessions = new ExecSessions(
      (_key, command) => ({
        argv: command,
        direct: { command, procs: [], identity: null },
        cwd: dir,
        env: {},
        logDir: dir,
      }),
      { ...DEFAULT_EXEC_SETTINGS, spawn: { ok: false, reason: 'not built here' } },
      logger,
    );
    const frames: ExecFrame[] = [];
    for (const id of ['a', 'b'])
      sessions.onFrame(
        {
          ...blank,
          session: id,
          body: 'open',
          open: { instance: 'web', command: ['/bin/echo', id], grant: 1 << 20 } as ExecFrame__Output['open'],
        },
        (f) => frames.push(execFromAgent(f)),
      );
    await waitFor(() => frames.filter((f) => f.exit).length === 2, { what: 'both exits' });
    const warned = lines.filter((l) => l.includes('spawned through child_process'));
    assert.equal(warned.length, 1);
    assert.match(warned[0]!, /not built here/);
  });
});
