/**
 * sd_notify (DESIGN §9): a `notify: true` handler gets NOTIFY_SOCKET; READY=1, not start_seconds, makes
 * it running, and a start never confirmed fails after start_timeout under the restart policy; STATUS= is
 * in its status; the watchdog restarts a handler that stops pinging, once per expiry, saying why; what
 * comes from a process outside every notify handler is ignored and counted; a MAINPID= outside the
 * handler is refused; an agent restart keeps a ready handler running and a starting one waiting. Real
 * processes, the real socket (agent/native), the real `systemd-notify` where installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { linuxSockets } from '../../agent/native/linux-sockets.js';
import { notifySocketPath } from '../../agent/notify/receiver.js';
import { OnDemandController } from '../../agent/on-demand/on-demand.js';
import { cgroupScope } from '../../agent/process/cgroups.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import {
  Supervisor,
  type InstanceStatus,
  type SupervisorOptions,
} from '../../agent/supervisor/supervisor.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { readState, startAgent, waitInstance, writeHandlers } from './helpers.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler(raw, 'handlers[0]', 'test');
}

const NOTIFY = fixture('notify.mjs');

describe('sd_notify: handlers that say when they are ready and alive', () => {
  const sups: Supervisor[] = [];
  async function supervisor(
    dataDir = tempDir(),
    extra: Partial<SupervisorOptions> = {},
  ): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50, random: () => 0.5, ...extra });
    const track = (): void => {
      for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
    };
    sup.on('state', track);
    sups.push(sup);
    return sup;
  }
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });

  const one = (sup: Supervisor, name: string): InstanceStatus => sup.status(name)[0]!;
  const types = (s: InstanceStatus): string[] => s.events.map((e) => e.type);
  /** The socket the agent named in the handler's environment (read from the handler's /proc environ). */
  function socketOf(pid: number): string {
    const env = spawnSync('cat', [`/proc/${pid}/environ`])
      .stdout.toString()
      .split('\0');
    const line = env.find((l) => l.startsWith('NOTIFY_SOCKET='));
    assert.ok(line, 'NOTIFY_SOCKET is set');
    return line.slice('NOTIFY_SOCKET='.length);
  }

  it('READY=1 after 300 ms: starting until then, running after (not after start_seconds)', async () => {
    const sup = await supervisor();
    const started = sup.applySpecs([
      spec({
        name: 'late',
        command: ['node', NOTIFY],
        notify: true,
        start_seconds: 0,
        env: { NOTIFY_READY_AFTER_MS: '300', NOTIFY_STATUS: 'warming caches' },
      }),
    ]);
    const st = await waitFor(
      () => (one(sup, 'late').state === 'starting' && one(sup, 'late').pid ? one(sup, 'late') : null),
      {
        what: 'starting with a pid',
      },
    );
    // start_seconds: 0 would have made it running at once: it waits for READY=1.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(one(sup, 'late').state, 'starting');
    await started;
    const s = one(sup, 'late');
    assert.equal(s.state, 'running');
    assert.equal(s.pid, st.pid);
    assert.equal(s.notify_status, 'warming caches');
    const startedAt = s.events.find((e) => e.type === 'STARTED')!.at;
    const running = s.events.find((e) => e.type === 'RUNNING')!;
    assert.match(running.message, /READY=1/);
    assert.ok(running.at - startedAt >= 300, `running ${running.at - startedAt} ms after the spawn`);
  });

  it('a start never confirmed fails after start_timeout, and counts as a failed start for the restart policy', async () => {
    const sup = await supervisor();
    await sup.applySpecs([
      spec({
        name: 'mute',
        command: ['node', NOTIFY],
        notify: true,
        start_timeout: '400ms',
        start_seconds: 0,
        start_retries: 1,
        restart: 'always',
        backoff: { initial: '10ms', max: '10ms' },
        stop_timeout: '1s',
        env: { NOTIFY_READY_AFTER_MS: 'never' },
      }),
    ]);
    const s = await waitFor(() => (one(sup, 'mute').state === 'fatal' ? one(sup, 'mute') : null), {
      what: 'fatal after two timed-out starts',
    });
    assert.equal(types(s).filter((t) => t === 'START_TIMEOUT').length, 2);
    assert.match(s.events.at(-1)!.message, /FATAL 2 failed starts/);
    assert.ok(!types(s).includes('RUNNING'));
  });

  it('the watchdog restarts a handler that stops pinging, once per expiry, with the reason recorded', async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const pids = path.join(dir, 'pids');
    await sup.applySpecs([
      spec({
        name: 'wd',
        command: ['node', NOTIFY],
        notify: true,
        watchdog: '400ms',
        restart: 'always',
        env: { NOTIFY_PINGS: '4', NOTIFY_PID_FILE: pids },
      }),
    ]);
    const first = one(sup, 'wd').pid;
    const s = await waitFor(
      () => {
        const x = one(sup, 'wd');
        return x.state === 'running' && x.pid !== first && x.restarts >= 1 ? x : null;
      },
      { what: 'a restarted, running handler', timeoutMs: 15_000 },
    );
    // Up to the second RUNNING: one expiry, one restart.
    const lastRunning = s.events.map((e) => e.type).lastIndexOf('RUNNING');
    const upTo = s.events.slice(0, lastRunning + 1);
    const wd = upTo.filter((e) => e.type === 'WATCHDOG');
    assert.equal(wd.length, 1, JSON.stringify(upTo));
    assert.match(wd[0]!.message, /WATCHDOG no WATCHDOG=1 within 400ms: restarting/);
    assert.equal(s.restarts, 1);
  });

  it('a handler that keeps pinging is never restarted by its watchdog; WATCHDOG=trigger restarts it at once', async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const send = path.join(dir, 'send');
    const pings = path.join(dir, 'pings');
    await sup.applySpecs([
      spec({
        name: 'alive',
        command: ['node', NOTIFY],
        notify: true,
        watchdog: '300ms',
        env: { NOTIFY_SEND_FILE: send, NOTIFY_PING_FILE: pings },
      }),
    ]);
    await pingedFor(pings, 4, 0);
    assert.equal(one(sup, 'alive').restarts, 0, 'pinged every 75ms over 4 periods: no expiry');
    writeFileSync(`${send}.tmp`, 'WATCHDOG=trigger');
    renameSync(`${send}.tmp`, send);
    const s = await waitFor(
      () =>
        one(sup, 'alive').restarts === 1 && one(sup, 'alive').state === 'running' ? one(sup, 'alive') : null,
      {
        what: 'the triggered restart',
      },
    );
    assert.ok(s.events.some((e) => e.type === 'WATCHDOG' && /WATCHDOG=trigger/.test(e.message)));
  });

  it('a burst of STATUS= messages costs a few status pushes, and the last text is the one shown', async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const portFile = path.join(dir, 'port');
    await sup.applySpecs([
      spec({
        name: 'chatty',
        command: ['node', NOTIFY],
        notify: true,
        env: { NOTIFY_TRIGGER_FILE: portFile },
      }),
    ]);
    const port = Number(
      await waitFor(() => (existsSync(portFile) ? readFileSync(portFile, 'utf8') : null), {
        what: 'the trigger port',
      }),
    );
    let pushes = 0;
    sup.on('status', () => pushes++);
    const conn = net.connect(port, '127.0.0.1');
    await new Promise((r) => conn.once('connect', r));
    const t0 = performance.now();
    conn.write(Array.from({ length: 500 }, (_, i) => `STATUS=n${i}\n`).join(''));
    await waitFor(() => (one(sup, 'chatty').notify_status === 'n499' ? true : null), {
      what: 'the last status',
    });
    const ms = performance.now() - t0;
    conn.destroy();
    // At most one push per 10 ms window (and one trailing), never one per message.
    assert.ok(pushes <= Math.ceil(ms / 10) + 2, `${pushes} pushes in ${ms.toFixed(0)} ms`);
    assert.ok(pushes < 500);
  });

  it("BUSY=1 / IDLE=1 of an on-demand handler reach its on-demand controller (setBusy); an always-on one's do not", async () => {
    const calls: Array<[string, boolean]> = [];
    const original = OnDemandController.prototype.setBusy;
    OnDemandController.prototype.setBusy = function (this: OnDemandController, busy: boolean) {
      calls.push([(this as unknown as { inst: { name: string } }).inst.name, busy]);
      original.call(this, busy);
    };
    try {
      const dir = tempDir();
      const sup = await supervisor(dir);
      const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
      await sup.applySpecs([
        spec({
          name: 'od',
          command: ['node', NOTIFY],
          notify: true,
          mode: 'on-demand',
          idle_timeout: '1h',
          env: { NOTIFY_SEND_FILE: a },
        }),
        spec({ name: 'on', command: ['node', NOTIFY], notify: true, env: { NOTIFY_SEND_FILE: b } }),
      ]);
      await sup.ensure('od');
      await waitFor(() => (one(sup, 'on').state === 'running' ? true : null), { what: 'on running' });
      say(b, 'BUSY=1\nSTATUS=b busy');
      await waitFor(() => (one(sup, 'on').notify_status === 'b busy' ? true : null), {
        what: "b's message read",
      });
      say(a, 'BUSY=1');
      await waitFor(() => (calls.length >= 1 ? true : null), { what: 'BUSY=1 passed on' });
      say(a, 'IDLE=1');
      await waitFor(() => (calls.length >= 2 ? true : null), { what: 'IDLE=1 passed on' });
      assert.deepEqual(calls, [
        ['od', true],
        ['od', false],
      ]);
    } finally {
      OnDemandController.prototype.setBusy = original;
    }
  });

  it('a forged datagram from a process outside every handler is ignored and counted', async () => {
    const native = linuxSockets();
    assert.ok(native.ok, native.ok ? '' : native.reason);
    const sup = await supervisor();
    void sup.applySpecs([
      spec({
        name: 'wait',
        command: ['node', NOTIFY],
        notify: true,
        env: { NOTIFY_READY_AFTER_MS: 'never' },
      }),
    ]);
    const pid = await waitFor(() => (one(sup, 'wait').state === 'starting' ? one(sup, 'wait').pid : null), {
      what: 'starting with a pid',
    });
    const socket = socketOf(pid);
    const before = sup.notifyIgnored();
    native.native.send(socket, Buffer.from('READY=1\nSTATUS=forged'));
    await waitFor(() => sup.notifyIgnored() > before || null, { what: 'the forged message counted' });
    assert.equal(one(sup, 'wait').state, 'starting');
    assert.equal(one(sup, 'wait').notify_status, '');
  });

  it('a message from a handler without notify: true, and a malformed one, are ignored and counted', async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const send = path.join(dir, 'send');
    const n = spec({
      name: 'n',
      command: ['node', NOTIFY],
      notify: true,
      env: { NOTIFY_READY_AFTER_MS: 'never', NOTIFY_SEND_FILE: send },
    });
    void sup.applySpecs([n]);
    const socket = socketOf(
      await waitFor(() => (one(sup, 'n').state === 'starting' ? one(sup, 'n').pid : null), { what: 'a pid' }),
    );
    // Malformed (a line without =): ignored whole, READY=1 in it included.
    writeFileSync(`${send}.tmp`, 'READY=1\ngarbage');
    renameSync(`${send}.tmp`, send);
    await waitFor(() => sup.notifyIgnored() >= 1 || null, { what: 'the malformed message counted' });
    assert.equal(one(sup, 'n').state, 'starting');
    // A handler without notify: true that found the socket anyway.
    void sup.applySpecs([
      n,
      spec({
        name: 'plain',
        command: ['node', NOTIFY],
        start_seconds: 0,
        env: { NOTIFY_SOCKET: socket, NOTIFY_STATUS: 'not heard' },
      }),
    ]);
    await waitFor(() => sup.notifyIgnored() >= 2 || null, { what: 'the plain handler ignored' });
    assert.equal(one(sup, 'plain').notify_status, '');
    assert.equal(one(sup, 'n').state, 'starting');
  });

  it('MAINPID= naming a process outside the handler is refused (counted); the rest of the message acts', async () => {
    const sup = await supervisor();
    await sup.applySpecs([
      spec({
        name: 'claim',
        command: ['node', NOTIFY],
        notify: true,
        env: { NOTIFY_MAINPID: String(process.pid), NOTIFY_STATUS: 'claimed' },
      }),
    ]);
    const s = one(sup, 'claim');
    assert.equal(s.state, 'running');
    assert.notEqual(s.pid, process.pid);
    assert.equal(s.notify_status, 'claimed');
    assert.ok(sup.notifyIgnored() >= 1);
    assert.ok(!types(s).includes('MAIN_CHANGED'));
  });

  it("MAINPID= naming the handler's shim is refused (counted): the main stays the shim's child", async () => {
    const sup = await supervisor();
    await sup.applySpecs([
      spec({ name: 'claim', command: ['node', NOTIFY], notify: true, env: { NOTIFY_MAINPID: 'parent' } }),
    ]);
    const s = one(sup, 'claim');
    assert.equal(s.state, 'running');
    assert.notEqual(s.pid, s.shim_pid);
    assert.equal(readProcStat(s.pid!)?.ppid, s.shim_pid);
    assert.ok(sup.notifyIgnored() >= 1);
    assert.ok(!types(s).includes('MAIN_CHANGED'));
  });

  it("a main named by MAINPID= that exits: the main is the shim's child again, never the dead PID", async () => {
    const dir = tempDir();
    const pids = path.join(dir, 'pids');
    const sup = await supervisor(dir);
    await sup.applySpecs([
      spec({
        name: 'm',
        command: ['node', NOTIFY],
        notify: true,
        env: { NOTIFY_MAINPID: 'short-child', NOTIFY_PID_FILE: pids },
      }),
    ]);
    const named = await waitFor(
      () => (types(one(sup, 'm')).includes('MAIN_CHANGED') ? one(sup, 'm').pid : null),
      {
        what: 'the named main',
      },
    );
    const handler = Number(readFileSync(pids, 'utf8').trim());
    assert.notEqual(named, handler);
    // Nothing asks for the status meanwhile: the instance finds out by itself, and tells its listeners.
    const pushed = new Promise<void>((resolve) =>
      sup.on('status', () => one(sup, 'm').pid === handler && resolve()),
    );
    await pushed;
    const s = one(sup, 'm');
    assert.equal(s.state, 'running');
    assert.match(
      s.events.at(-1)!.message,
      new RegExp(`pid ${named}\\) is gone; the main is the shim's child, pid ${handler}`),
    );
    const [sent] = sup.signal('m', 'SIGCONT', true);
    assert.match(sent!.sent, new RegExp(`to pid ${handler} \\(main only\\)`));
  });

  it('an agent restart keeps a ready handler running (its STATUS and watchdog) and a starting one waiting for READY=1', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    let sup = await supervisor(data);
    const send = path.join(dir, 'send');
    const pings = path.join(dir, 'pings');
    void sup.applySpecs([
      spec({
        name: 'ready',
        command: ['node', NOTIFY],
        notify: true,
        watchdog: '500ms',
        env: { NOTIFY_STATUS: 'serving', NOTIFY_PING_FILE: pings },
      }),
      spec({
        name: 'slow',
        command: ['node', NOTIFY],
        notify: true,
        start_timeout: '60s',
        env: { NOTIFY_READY_AFTER_MS: 'never', NOTIFY_SEND_FILE: send },
      }),
    ]);
    await waitFor(() => (one(sup, 'ready').state === 'running' && one(sup, 'slow').pid ? true : null), {
      what: 'ready running, slow spawned',
    });
    const readyPid = one(sup, 'ready').pid;
    const slowPid = one(sup, 'slow').pid;
    await sup.shutdown();
    sups.splice(sups.indexOf(sup), 1);
    sup = await supervisor(data);
    assert.equal(one(sup, 'ready').state, 'running');
    assert.equal(one(sup, 'ready').pid, readyPid);
    assert.equal(one(sup, 'ready').notify_status, 'serving');
    assert.equal(one(sup, 'slow').state, 'starting');
    assert.equal(one(sup, 'slow').pid, slowPid);
    writeFileSync(`${send}.tmp`, 'READY=1\nSTATUS=late but ready');
    renameSync(`${send}.tmp`, send);
    await waitFor(() => (one(sup, 'slow').state === 'running' ? true : null), {
      what: 'slow running after READY=1',
    });
    assert.equal(one(sup, 'slow').notify_status, 'late but ready');
    // The watchdog re-armed at the adoption and is fed: still the same process after several periods.
    await pingedFor(pings, 3, pingCount(pings));
    assert.equal(one(sup, 'ready').pid, readyPid);
    assert.equal(one(sup, 'ready').restarts, 0);
  });

  /** WATCHDOG=1 pings the handler sent so far (NOTIFY_PING_FILE: a line each). */
  function pingCount(file: string): number {
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
  }

  /**
   * Waits until the handler has sent a watchdog period's pings (4, one every WATCHDOG_USEC/4) `periods` times
   * over since it had sent `from`: that long, a watchdog not fed by them would have expired.
   */
  async function pingedFor(file: string, periods: number, from: number): Promise<void> {
    await waitFor(() => pingCount(file) >= from + 4 * periods || null, {
      what: `${4 * periods} more WATCHDOG=1 pings`,
    });
  }

  /** Has the handler send `text` as one datagram (NOTIFY_SEND_FILE). */
  function say(file: string, text: string): void {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }

  it('MAINPID= naming a process of the handler makes it the main (pid, signal --main), kept across an agent restart', async () => {
    const data = tempDir();
    let sup = await supervisor(data);
    await sup.applySpecs([
      spec({ name: 'm', command: ['node', NOTIFY], notify: true, env: { NOTIFY_MAINPID: 'child' } }),
    ]);
    const s = await waitFor(() => (types(one(sup, 'm')).includes('MAIN_CHANGED') ? one(sup, 'm') : null), {
      what: 'MAIN_CHANGED',
    });
    const child = s.pid!;
    assert.notEqual(child, s.shim_pid);
    assert.match(readFileSync(`/proc/${child}/cmdline`, 'utf8'), /^sleep\0/);
    await sup.shutdown();
    sups.splice(sups.indexOf(sup), 1);
    sup = await supervisor(data);
    const again = one(sup, 'm');
    assert.equal(again.state, 'running');
    assert.equal(again.pid, child, JSON.stringify(again.events));
    assert.ok(!types(again).includes('MAIN_UNVERIFIED'));
    const [sent] = sup.signal('m', 'SIGTERM', true);
    assert.match(sent!.sent, new RegExp(`${child}`));
    await waitFor(() => !isAlive(child) || null, { what: 'the claimed main to get SIGTERM' });
  });

  it('RELOADING=1 then READY=1, and STOPPING=1 then an exit, are recorded as such (the restart policy still decides)', async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const send = path.join(dir, 'send');
    await sup.applySpecs([
      spec({
        name: 'r',
        command: ['node', NOTIFY],
        notify: true,
        restart: 'never',
        env: { NOTIFY_SEND_FILE: send },
      }),
    ]);
    say(send, 'RELOADING=1');
    await waitFor(() => types(one(sup, 'r')).includes('RELOADING') || null, { what: 'RELOADING' });
    assert.equal(one(sup, 'r').state, 'running');
    say(send, 'READY=1');
    await waitFor(() => types(one(sup, 'r')).includes('RELOADED') || null, { what: 'RELOADED' });
    say(send, 'STOPPING=1');
    await waitFor(() => types(one(sup, 'r')).includes('STOPPING') || null, { what: 'STOPPING' });
    sup.signal('r', 'SIGTERM', true);
    const s = await waitFor(() => (one(sup, 'r').state === 'exited' ? one(sup, 'r') : null), {
      what: 'exited (restart: never)',
    });
    assert.match(s.events.at(-1)!.message, /^EXITED signal=SIGTERM after STOPPING=1$/);
  });

  it('WATCHDOG_USEC= changes the watchdog timeout of the running process', async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const send = path.join(dir, 'send');
    await sup.applySpecs([
      spec({
        name: 'w',
        command: ['node', NOTIFY],
        notify: true,
        watchdog: '1h',
        env: { NOTIFY_PINGS: '0', NOTIFY_SEND_FILE: send },
      }),
    ]);
    say(send, 'WATCHDOG_USEC=300000');
    const s = await waitFor(() => (types(one(sup, 'w')).includes('WATCHDOG') ? one(sup, 'w') : null), {
      what: 'the shortened watchdog to expire',
    });
    assert.match(s.events.find((e) => e.type === 'WATCHDOG')!.message, /within 300ms/);
    // The restart it triggers is waited for: its new process is tracked and stopped with the test's.
    await waitFor(() => (one(sup, 'w').restarts >= 1 && one(sup, 'w').state === 'running') || null, {
      what: 'the watchdog restart',
    });
    await sup.stop('w');
  });

  it('a notify socket file left by a crashed agent is replaced', async () => {
    const native = linuxSockets();
    assert.ok(native.ok);
    const data = tempDir();
    const file = notifySocketPath({ dataDir: data, scope: cgroupScope(data), uid: process.getuid!() });
    mkdirSync(path.dirname(file), { recursive: true });
    // Bound and closed without removing it: what a kill -9 leaves.
    native.native.close(native.native.watch(native.native.openDatagram(file), () => {}));
    assert.ok(existsSync(file));
    const sup = await supervisor(data);
    await sup.applySpecs([spec({ name: 'after-crash', command: ['node', NOTIFY], notify: true })]);
    assert.equal(one(sup, 'after-crash').state, 'running');
  });

  it('type: forking takes its start timeout from the spec key start_timeout too', async () => {
    const sup = await supervisor(tempDir(), { startTimeoutMs: 3_600_000 });
    void sup.applySpecs([
      spec({
        name: 'fork',
        type: 'forking',
        command: ['sleep', '1000'],
        start_timeout: '300ms',
        restart: 'never',
        stop_timeout: '1s',
      }),
    ]);
    await waitFor(() => types(one(sup, 'fork')).includes('START_TIMEOUT') || null, {
      what: 'START_TIMEOUT after 300ms',
    });
  });

  it('kill -9 of a standalone agent: the next one replaces the socket, keeps the ready handler (same PID, STATUS) and hears it again', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const send = path.join(dir, 'send');
    const pings = path.join(dir, 'pings');
    const file = writeHandlers(dir, [
      {
        name: 'kept',
        command: ['node', NOTIFY],
        notify: true,
        watchdog: '600ms',
        env: { NOTIFY_STATUS: 'before', NOTIFY_SEND_FILE: send, NOTIFY_PING_FILE: pings },
      },
    ]);
    let agent = startAgent(file, data);
    const s = await waitInstance(
      data,
      agent.pid,
      'kept',
      (i) => i.state === 'running',
      'kept running',
      20_000,
    );
    trackPid(s.pgid ?? undefined, true);
    // status.json shows `running` as soon as READY=1 is heard; the kill must come once it is on disk (the
    // datagram is consumed: a crash before that write leaves the next agent waiting for a READY=1 that
    // never comes again).
    await waitFor(() => readState(data).instances.kept?.state === 'running', {
      what: 'running recorded in the state file',
    });
    agent.proc.kill('SIGKILL');
    await agent.exited;
    agent = startAgent(file, data);
    try {
      const again = await waitInstance(
        data,
        agent.pid,
        'kept',
        (i) => i.state === 'running',
        'kept adopted',
        20_000,
      );
      assert.equal(again.pid, s.pid);
      assert.equal(again.notify_status, 'before');
      say(send, 'STATUS=after');
      await waitInstance(data, agent.pid, 'kept', (i) => i.notify_status === 'after', 'the new STATUS heard');
      // Fed by pings through the new socket: no watchdog restart over several periods.
      await pingedFor(pings, 3, pingCount(pings));
      const last = await waitInstance(data, agent.pid, 'kept', () => true, 'status');
      assert.equal(last.pid, s.pid);
      assert.equal(last.restarts, 0, JSON.stringify(last.events));
    } finally {
      agent.proc.kill('SIGTERM');
      await agent.exited;
    }
  });

  it('without the native helpers the agent starts, and a notify handler fails its start with the reason (no retries)', async () => {
    const sup = await supervisor(tempDir(), {
      notify: { native: { ok: false, reason: 'helpers missing (test)' } },
    });
    await sup.applySpecs([
      spec({ name: 'n', command: ['node', NOTIFY], notify: true }),
      spec({ name: 'plain', command: ['sleep', '1000'], start_seconds: 0 }),
    ]);
    const n = one(sup, 'n');
    assert.equal(n.state, 'fatal');
    assert.match(
      n.events.at(-1)!.message,
      /SPAWN_FAILED notify: true cannot be honoured: helpers missing \(test\)/,
    );
    assert.equal(types(n).filter((t) => t === 'SPAWN_FAILED').length, 1);
    assert.equal(one(sup, 'plain').state, 'running');
  });

  it('without cgroup tracking the sender is found by its session (process groups only)', async () => {
    const sup = await supervisor(tempDir(), { cgroupRoot: tempDir() });
    assert.equal(sup.tracking(), 'pgroup');
    await sup.applySpecs([
      spec({ name: 'pg', command: ['node', NOTIFY], notify: true, env: { NOTIFY_STATUS: 'by session' } }),
    ]);
    assert.equal(one(sup, 'pg').state, 'running');
    assert.equal(one(sup, 'pg').notify_status, 'by session');
  });

  describe('with the real systemd-notify', () => {
    const have = spawnSync('systemd-notify', ['--version']).status === 0;
    before(function () {
      if (!have) {
        console.log('    skipped: systemd-notify is not installed (CI apt-gets systemd)');
        this.skip();
      }
    });

    it('a shell script handler that runs `systemd-notify --ready --status=…` becomes running with that status', async () => {
      const sup = await supervisor();
      await sup.applySpecs([
        spec({
          name: 'sh',
          command: ['sh', '-c', 'sleep 0.3; systemd-notify --ready --status="up from sh"; exec sleep 1000'],
          notify: true,
          start_timeout: '20s',
        }),
      ]);
      const s = one(sup, 'sh');
      assert.equal(s.state, 'running');
      assert.equal(s.notify_status, 'up from sh');
    });

    it('also as another user (user: nobody): the socket is reachable, the short-lived sender is found', async () => {
      const sup = await supervisor();
      await sup.applySpecs([
        spec({
          name: 'nobody',
          user: 'nobody',
          command: ['sh', '-c', 'systemd-notify --ready --status="as nobody"; exec sleep 1000'],
          notify: true,
          start_timeout: '20s',
        }),
      ]);
      const s = one(sup, 'nobody');
      assert.equal(s.state, 'running', JSON.stringify(s.events));
      assert.equal(s.notify_status, 'as nobody');
    });
  });
});
