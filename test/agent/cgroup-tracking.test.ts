/**
 * Every handler in its own cgroup (DESIGN §9 "Process tracking"), on cgroup v1 (the pids hierarchy under
 * /sys/fs/cgroup) and v2 (the cgroup2 mount at /sys/fs/cgroup/unified, no controllers needed): a daemon
 * that leaves its process group is still tracked, stopped and re-adopted (never looked for in an exec
 * session's group below the handler's); a `type: simple` handler's leftovers are stopped before its
 * restart; a 200-process tree is gone after a stop. Without any cgroup the agent falls back to process
 * groups with one warning. Real processes, real cgroups.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DEFAULT_EXEC_SETTINGS, ExecSessions } from '../../agent/exec/exec-sessions.js';
import { leftAlive, stopGroup } from '../../agent/instance/stop.js';
import { Cgroups, cgroupScope } from '../../agent/process/cgroups.js';
import {
  CgroupTracking,
  cgroupOnlyHandle,
  cgroupPids,
  cgroupPopulated,
  detectTracking,
  type TrackingLayout,
} from '../../agent/process/cgroup-tracking.js';
import type { Handle, RecoverResult } from '../../agent/process/backend.js';
import { BackendDecorator } from '../../agent/process/decorator.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { systemClock } from '../../shared/clock.js';
import type { ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import { Logger, silentLogger } from '../../shared/logger.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { fixture, strangerAt, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { execFromAgent } from '../helpers/wire.js';
import { readState, startAgent, waitInstance, writeHandlers } from './helpers.js';
import { mainWithChildSpec, started } from './pid-signal-helpers.js';

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler(raw, 'handlers[0]', 'test');
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Live (non-zombie) PIDs of a cgroup directory; on v2 ['populated'] while its events say so. */
function liveIn(dir: string): Array<number | string> {
  const live: Array<number | string> = cgroupPids(dir).filter(isAlive);
  return live.length === 0 && cgroupPopulated(dir) ? ['populated'] : live;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      // A port in the ephemeral range with no listener can be "connected" to itself (TCP simultaneous open).
      const self = s.localPort === port;
      s.destroy();
      resolve(!self);
    });
    s.once('error', () => resolve(false));
  });
}

/** Kills what is left in this data dir's groups (by PID) and removes the groups, leaf first. */
function removeGroups(layout: TrackingLayout, dataDir: string): void {
  const scope = path.join(layout.base, 'governor', cgroupScope(dataDir));
  if (!existsSync(scope)) return;
  for (const g of readdirSync(scope)) {
    const dir = path.join(scope, g);
    for (const pid of cgroupPids(dir)) trackPid(pid);
    try {
      rmdirSync(dir);
    } catch {
      /* processes still exiting: the backstop kills them; the agent's sweep removes it */
    }
  }
  try {
    rmdirSync(scope);
  } catch {
    /* a busy group remains */
  }
}

const ROOTS = [
  { version: 1 as const, root: '/sys/fs/cgroup' },
  { version: 2 as const, root: '/sys/fs/cgroup/unified' },
];

for (const { version, root } of ROOTS) {
  describe(`process tracking by cgroup v${version} (${root})`, function () {
    this.timeout(90_000);
    this.slow(10_000);
    const layout = detectTracking(root, readFileSync('/proc/self/cgroup', 'utf8'));
    const dataDirs: string[] = [];
    const sups: Supervisor[] = [];

    before(function () {
      const why =
        process.geteuid?.() !== 0
          ? 'not root: no cgroup can be created'
          : layout?.version !== version
            ? `the host has no cgroup v${version} hierarchy for tracking under ${root}`
            : null;
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
    });

    afterEach(async () => {
      for (const sup of sups.splice(0)) {
        for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
        await sup.shutdown();
      }
      for (const d of dataDirs.splice(0)) removeGroups(layout!, d);
    });

    function groupDir(dataDir: string, key: string): string {
      return path.join(layout!.base, 'governor', cgroupScope(dataDir), key);
    }

    async function supervise(dataDir: string, raws: Array<Record<string, unknown>>): Promise<Supervisor> {
      dataDirs.push(dataDir);
      const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50, cgroupRoot: root });
      sups.push(sup);
      await sup.applySpecs(raws.map(spec));
      return sup;
    }

    /**
     * `type: forking` handler `d` (daemonize.mjs, on a port kept in a file) run by an agent that then shuts
     * down, its daemon left running.
     */
    async function daemonLeftRunning(extra: Record<string, unknown> = {}) {
      const dir = tempDir();
      const info = path.join(dir, 'info');
      const data = path.join(dir, 'data');
      const raw = {
        name: 'd',
        type: 'forking',
        command: ['node', fixture('daemonize.mjs')],
        env: { DAEMON_INFO: info, DAEMON_PORT_FILE: path.join(dir, 'port') },
        stop_timeout: '1s',
        ...extra,
      };
      const sup = await supervise(data, [raw]);
      const d1 = Number((await waitFor(() => lines(info)[0], { what: 'the daemon' })).split(' ')[0]);
      trackPid(d1);
      await waitFor(() => sup.status('d')[0]!.state === 'running', { what: 'running' });
      await sup.shutdown();
      return { info, data, raw, d1 };
    }

    /** `type: forking` handler `d` (daemonize.mjs, its daemon recorded in `info`), restarted at once on a crash. */
    function crashRestartedDaemon(
      info: string,
      extra: Record<string, unknown> = {},
    ): Record<string, unknown> {
      return {
        name: 'd',
        type: 'forking',
        command: ['node', fixture('daemonize.mjs')],
        env: { DAEMON_INFO: info },
        restart: 'on-failure',
        backoff: { initial: '10ms', max: '10ms' },
        ...extra,
      };
    }

    /** A real agent running `type: forking` handler `d` (daemonize.mjs): running with the daemon's PID. */
    async function forkingDaemon(pidFile: boolean, extra: Record<string, unknown> = {}) {
      const dir = tempDir();
      const data = path.join(dir, 'data');
      dataDirs.push(data);
      const info = path.join(dir, 'info');
      const pidPath = path.join(dir, 'daemon.pid');
      const file = writeHandlers(dir, [
        {
          name: 'd',
          type: 'forking',
          ...(pidFile ? { pid_file: pidPath } : {}),
          command: ['node', fixture('daemonize.mjs')],
          env: { DAEMON_INFO: info, ...(pidFile ? { DAEMON_PID_FILE: pidPath } : {}) },
          restart: 'never',
          ...extra,
        },
      ]);
      const agent = startAgent(file, data, ['--cgroup-root', root]);
      const [daemonPid, port] = (
        await waitFor(() => lines(info)[0], { what: 'the daemon serving', timeoutMs: 30_000 })
      )
        .split(' ')
        .map(Number) as [number, number];
      trackPid(daemonPid);
      const st = await waitInstance(
        data,
        agent.pid,
        'd',
        (s) => s.state === 'running' && s.pid === daemonPid,
        'd running with the daemon pid',
      );
      // status.json says so at once; a kill of the agent must come once state.json does too (else the next
      // agent rightly adopts it still starting).
      await waitFor(() => readState(data).instances.d?.state === 'running' || null, {
        what: 'd running in the state file',
      });
      return { dir, data, info, agent, daemonPid, port, st };
    }

    it('type: forking — running with the daemon PID, re-adopted after agent kill -9 with no duplicate, stop empties the cgroup and frees the port', async () => {
      const { data, info, agent, daemonPid, port, st } = await forkingDaemon(true);
      assert.equal(st.pid, daemonPid);
      const group = groupDir(data, 'd');
      assert.deepEqual(liveIn(group), [daemonPid], 'the daemon (its own session) is in the cgroup');
      assert.ok(await portOpen(port));

      process.kill(agent.pid, 'SIGKILL');
      await agent.exited;
      const sup = await Supervisor.create({ dataDir: data, pollIntervalMs: 50, cgroupRoot: root });
      sups.push(sup);
      const adopted = sup.status('d')[0]!;
      assert.equal(adopted.state, 'running', JSON.stringify(adopted.events));
      assert.equal(adopted.pid, daemonPid, 'the same daemon');
      assert.match(adopted.events.at(-1)!.message, /^ADOPTED/);
      // Some poll ticks later it is still the one daemon: nothing spawned again.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sup.status('d')[0]!.state, 'running');
      assert.equal(lines(info).length, 1, 'no duplicate daemon');
      // The shim's group is gone: a group signal reaches the daemon through its cgroup.
      assert.match(sup.signal('d', 'SIGCONT', false)[0]!.sent, /\(1 process\(es\) of its cgroup\)/);
      assert.match(
        sup.signal('d', 'SIGCONT', true)[0]!.sent,
        new RegExp(`to pid ${daemonPid} \\(main only\\)`),
      );

      const stopped = await sup.stop('d');
      assert.equal(stopped.state, 'stopped');
      assert.deepEqual(liveIn(group), [], 'nothing left in the cgroup');
      assert.ok(!isAlive(daemonPid));
      assert.equal(await portOpen(port), false, 'the port is free');
    });

    it("type: forking — re-adopted through its cgroup after an agent kill -9 even when the exited shim's PID was given to a stranger, who is never signalled", async () => {
      const { dir, data, info, agent, daemonPid, st } = await forkingDaemon(false, { stop_timeout: '2s' });
      const shim = st.shim_pid!;
      await waitFor(() => !isAlive(shim) || null, { what: 'the first process and its shim to exit' });
      process.kill(agent.pid, 'SIGKILL');
      await agent.exited;
      const strangerLog = path.join(dir, 'stranger.log');
      const stranger = strangerAt(shim, 'pid-signals.mjs', { PID_LOG: strangerLog });
      if (stranger === null) {
        console.log(`      note: pid ${shim} could not be given to a stranger; adopted with the PID free`);
      }
      const sup = await Supervisor.create({ dataDir: data, pollIntervalMs: 50, cgroupRoot: root });
      sups.push(sup);
      const adopted = sup.status('d')[0]!;
      assert.equal(adopted.state, 'running', JSON.stringify(adopted.events));
      assert.equal(adopted.pid, daemonPid, 'the same daemon');
      const stopped = await sup.stop('d');
      assert.equal(stopped.state, 'stopped');
      assert.ok(!isAlive(daemonPid), 'the daemon is stopped');
      assert.deepEqual(liveIn(groupDir(data, 'd')), [], 'nothing left in the cgroup');
      const again = await sup.start('d');
      assert.equal(again.state, 'running');
      trackPid(again.pid ?? undefined);
      await waitFor(() => lines(info).length >= 2 || null, { what: 'the new daemon' });
      assert.deepEqual(liveIn(groupDir(data, 'd')), [again.pid], 'one daemon: the new one, no duplicate');
      // Stopped now: a daemon left behind would be another test's discovered process.
      assert.equal((await sup.stop('d')).state, 'stopped');
      if (stranger !== null) {
        assert.ok(isAlive(stranger), 'the stranger lives');
        assert.deepEqual(
          lines(strangerLog).filter((l) => !l.includes(' ppid ')),
          [],
          'the stranger got no signal',
        );
      }
    });

    it('type: forking — a first process that never exits fails the start after the start timeout (its group stopped, nothing left)', async () => {
      const data = path.join(tempDir(), 'data');
      dataDirs.push(data);
      const sup = await Supervisor.create({
        dataDir: data,
        pollIntervalMs: 50,
        cgroupRoot: root,
        startTimeoutMs: 300,
      });
      sups.push(sup);
      const events: string[] = [];
      sup.on('event', (e: { handler: string; event: { type: string } }) => events.push(e.event.type));
      await sup.applySpecs([
        spec({
          name: 'hang',
          type: 'forking',
          command: ['sleep', '1000'],
          restart: 'never',
          stop_timeout: '1s',
        }),
      ]);
      await waitFor(() => events.includes('START_TIMEOUT'), { what: 'START_TIMEOUT' });
      const st = await waitFor(
        () => {
          const s = sup.status('hang')[0]!;
          return s.state !== 'starting' && s.state !== 'stopping' ? s : undefined;
        },
        { what: 'the start to fail' },
      );
      assert.notEqual(st.state, 'running');
      assert.deepEqual(
        await waitFor(() => (liveIn(groupDir(data, 'hang')).length === 0 ? [] : undefined), {
          what: 'an empty cgroup',
        }),
        [],
      );
    });

    it('a process in an instance cgroup that no record names (agent killed before the handle was written) is stopped before the next start: no duplicate, the port is free', async () => {
      const { info, data, d1 } = await daemonLeftRunning({ restart: 'on-failure' });
      // The state an agent killed between the spawn and the durable write of its handle leaves behind.
      const stateFile = path.join(data, 'state.json');
      const state = JSON.parse(readFileSync(stateFile, 'utf8'));
      Object.assign(state.instances.d, { handle: null, state: 'exited' });
      writeFileSync(stateFile, JSON.stringify(state));
      const sup2 = await Supervisor.create({ dataDir: data, pollIntervalMs: 50, cgroupRoot: root });
      sups.push(sup2);
      assert.ok(!isAlive(d1), 'the unrecorded daemon was stopped when the agent started');
      await sup2.start('d');
      const second = await waitFor(() => lines(info)[1], { what: 'a second daemon' });
      trackPid(Number(second.split(' ')[0]));
      assert.doesNotMatch(second, /error/, 'the new daemon got the port');
      const st = await waitFor(
        () => {
          const s = sup2.status('d')[0]!;
          return s.state === 'running' ? s : null;
        },
        { what: 'running' },
      );
      assert.equal(st.pid, Number(second.split(' ')[0]));
      assert.deepEqual(liveIn(groupDir(data, 'd')), [st.pid], 'one daemon in the cgroup');
      await sup2.stop('d');
    });

    it('a daemon of an instance the state file has no record of is left running, never signalled, and adopted once its spec arrives: no second daemon', async () => {
      const { info, data, raw, d1 } = await daemonLeftRunning();
      // A state file that names nothing (restored from an older copy; or an agent killed before its first write).
      writeFileSync(path.join(data, 'state.json'), JSON.stringify({ version: 1, specs: {}, instances: {} }));
      const sup2 = await Supervisor.create({ dataDir: data, pollIntervalMs: 50, cgroupRoot: root });
      sups.push(sup2);
      assert.ok(isAlive(d1), 'left running at the agent start');
      await sup2.applySpecs([spec(raw)]);
      const st = sup2.status('d')[0]!;
      assert.equal(st.state, 'running');
      assert.equal(st.pid, d1, 'the daemon is the instance’s');
      assert.ok(
        st.events.some((e) => e.type === 'ADOPTED_STRAY'),
        JSON.stringify(st.events),
      );
      assert.equal(lines(info).length, 1, 'no second daemon');
      await sup2.stop('d');
      assert.ok(!isAlive(d1), 'stopped by the instance’s stop');
    });

    it('what an exited simple handler left in its cgroup, with no record of its instance, is stopped before the spec that arrives starts it', async () => {
      const dir = tempDir();
      const info = path.join(dir, 'info');
      const data = path.join(dir, 'data');
      const raw = {
        name: 's',
        command: ['node', fixture('daemonize.mjs')],
        env: { DAEMON_INFO: info, DAEMON_PORT_FILE: path.join(dir, 'port'), MAIN_EXIT_MS: '600000' },
        start_seconds: 0,
        stop_timeout: '1s',
      };
      const sup = await supervise(data, [raw]);
      const left = Number(
        (await waitFor(() => lines(info)[0], { what: 'the detached child' })).split(' ')[0],
      );
      trackPid(left);
      const { shim_pid: shim, pgid } = sup.status('s')[0]!;
      await sup.shutdown();
      // Its shim and main die while no agent runs (the child, in its own session, lives on), and the state
      // file names nothing.
      process.kill(-pgid!, 'SIGKILL');
      await waitFor(() => (!isAlive(shim!) ? true : null), { what: 'the shim gone' });
      writeFileSync(path.join(data, 'state.json'), JSON.stringify({ version: 1, specs: {}, instances: {} }));
      const sup2 = await Supervisor.create({ dataDir: data, pollIntervalMs: 50, cgroupRoot: root });
      sups.push(sup2);
      assert.ok(isAlive(left), 'left running until its spec arrives');
      await sup2.applySpecs([spec(raw)]);
      assert.ok(!isAlive(left), 'the leftover was stopped before the start');
      const second = await waitFor(() => lines(info)[1], { what: 'the new start’s child' });
      trackPid(Number(second.split(' ')[0]));
      assert.doesNotMatch(second, /error/, 'its port was free');
      assert.equal(sup2.status('s')[0]!.state, 'running');
      await sup2.stop('s');
    });

    it("a handler's daemon (its own session, in the handler's cgroup) cannot be attached or discovered as observed: the handler's stop stays possible", async () => {
      const dir = tempDir();
      const info = path.join(dir, 'info');
      const data = path.join(dir, 'data');
      dataDirs.push(data);
      const sup = await Supervisor.create({
        dataDir: data,
        pollIntervalMs: 50,
        cgroupRoot: root,
        discover: [{ name: 'dd', pattern: /daemonize\.mjs daemon$/, limits: {} }],
        discoverIntervalMs: 50,
      });
      sups.push(sup);
      await sup.applySpecs([
        spec({
          name: 'd',
          type: 'forking',
          command: ['node', fixture('daemonize.mjs')],
          env: { DAEMON_INFO: info },
          stop_timeout: '1s',
        }),
      ]);
      const daemon = Number((await waitFor(() => lines(info)[0], { what: 'the daemon' })).split(' ')[0]);
      trackPid(daemon);
      await waitFor(() => sup.status('d')[0]!.state === 'running', { what: 'running' });
      await assert.rejects(sup.observed.attach(daemon, 'x'), /belongs to a handler/);
      // Some discovery scans later, the daemon is still not observed.
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(sup.observed.observedPids(), []);
      const stopped = await sup.stop('d');
      assert.equal(stopped.state, 'stopped');
      assert.ok(!isAlive(daemon));
    });

    it('type: forking — when the daemon exits by itself the instance exits (a crash) and the restart policy applies', async () => {
      const dir = tempDir();
      const info = path.join(dir, 'info');
      const sup = await supervise(path.join(dir, 'data'), [crashRestartedDaemon(info)]);
      const first = Number((await waitFor(() => lines(info)[0], { what: 'daemon' })).split(' ')[0]);
      trackPid(first);
      await waitFor(() => sup.status('d')[0]!.pid === first, { what: 'running with the daemon pid' });
      process.kill(first, 'SIGKILL');
      const second = Number(
        (await waitFor(() => lines(info)[1], { what: 'a restarted daemon' })).split(' ')[0],
      );
      trackPid(second);
      const st = await waitFor(
        () => {
          const s = sup.status('d')[0]!;
          return s.state === 'running' && s.pid === second ? s : null;
        },
        { what: 'running again' },
      );
      assert.ok(st.events.some((e) => e.type === 'EXITED'));
      await sup.stop('d');
    });

    it("type: forking — a daemon that dies while an exec session's program runs is seen exited and restarted: the program is never its main (never its pid, never signalled by --main)", async () => {
      const dir = tempDir();
      const info = path.join(dir, 'info');
      const winched = path.join(dir, 'winched');
      const sup = await supervise(path.join(dir, 'data'), [
        crashRestartedDaemon(info, { stop_timeout: '2s' }),
      ]);
      const first = Number((await waitFor(() => lines(info)[0], { what: 'daemon' })).split(' ')[0]);
      trackPid(first);
      await waitFor(() => sup.status('d')[0]!.pid === first, { what: 'running with the daemon pid' });
      // `gov exec d -- PROGRAM`: the program runs in the session's group, below the instance's. It notes
      // every SIGWINCH (which the daemon ignores), so a `signal --main` that reached it shows.
      const sessions = new ExecSessions(
        (k, c, sid) => sup.execContext(k, c, sid),
        DEFAULT_EXEC_SETTINGS,
        silentLogger,
      );
      const frames: ExecFrame__Output[] = [];
      const note = `require('fs').appendFileSync(${JSON.stringify(winched)}, 'WINCH\\n')`;
      const program = `process.on('SIGWINCH', () => ${note}); console.log('ready'); setInterval(() => {}, 1e9);`;
      const to = (f: Partial<ExecFrame__Output>) =>
        sessions.onFrame({ session: 'x', ...f } as ExecFrame__Output, (out) =>
          frames.push(execFromAgent(out)),
        );
      to({
        body: 'open',
        open: {
          instance: 'd',
          command: ['node', '-e', program],
          grant: 1 << 20,
        } as ExecFrame__Output['open'],
      });
      const execPid = (await waitFor(() => frames.find((f) => f.opened)?.opened?.pid, {
        what: 'the exec program',
      }))!;
      trackPid(execPid);
      const out = () =>
        frames.map((f) => (f.stdout ? Buffer.from(f.stdout as Buffer).toString() : '')).join('');
      await waitFor(() => out().includes('ready'), { what: 'the exec program ready' });
      assert.match(readFileSync(`/proc/${execPid}/cgroup`, 'utf8'), /\/d\/exec-x$/m, 'in the session group');
      // What the instance reports as its pid, and what `signal --main` sends, from the kill to the restart.
      const pids = new Set<number | null>();
      const sent: string[] = [];
      const seen = () => pids.add(sup.status('d')[0]!.pid);
      sup.on('status', seen);
      process.kill(first, 'SIGKILL');
      // Polled until the restart is seen (or the program is taken for the main: the assertions below fail).
      const st = await waitFor(
        () => {
          seen();
          const s = sup.status('d')[0]!;
          if (s.state === 'running' && s.pid !== null && s.pid !== first && s.pid !== execPid) return s;
          try {
            sent.push(sup.signal('d', 'SIGWINCH', true)[0]!.sent);
          } catch {
            /* no verified main (the dead daemon's, then none while it restarts): nothing sent */
          }
          return s.pid === execPid ? s : null;
        },
        { what: 'the daemon restarted', timeoutMs: 20_000 },
      );
      sup.off('status', seen);
      assert.ok(!pids.has(execPid), `the exec program (pid ${execPid}) was reported as the instance's pid`);
      assert.deepEqual(
        sent.filter((m) => m.includes(`pid ${execPid} `)),
        [],
        'signal --main never reached the exec program',
      );
      assert.deepEqual(lines(winched), [], 'the exec program got no signal meant for the main');
      const second = Number(
        (await waitFor(() => lines(info)[1], { what: 'a restarted daemon' })).split(' ')[0],
      );
      trackPid(second);
      assert.equal(st.pid, second, 'the new daemon is the main');
      assert.equal(st.restarts, 1);
      assert.ok(st.events.some((e) => e.type === 'EXITED'));
      to({ body: 'close', close: 'the test is done' });
      await sup.stop('d');
    });

    it('type: simple — the daemon left by an exited main is stopped before the restart, which gets the port', async () => {
      const dir = tempDir();
      const info = path.join(dir, 'info');
      const portFile = path.join(dir, 'port');
      const data = path.join(dir, 'data');
      const sup = await supervise(data, [
        {
          name: 's',
          command: ['node', fixture('daemonize.mjs')],
          env: { DAEMON_INFO: info, DAEMON_PORT_FILE: portFile, MAIN_EXIT_MS: '500' },
          start_seconds: 0,
          restart: 'always',
          stop_timeout: '2s',
        },
      ]);
      const [d1, port] = (await waitFor(() => lines(info)[0], { what: 'first daemon' }))
        .split(' ')
        .map(Number) as [number, number];
      trackPid(d1);
      const second = await waitFor(() => lines(info)[1], { what: 'the restarted daemon', timeoutMs: 30_000 });
      const [d2, port2] = second.split(' ');
      trackPid(Number(d2));
      assert.equal(port2, String(port), `the restart bound the same port (got "${second}")`);
      assert.ok(!isAlive(d1), 'the first daemon was stopped');
      const ev = sup.status('s')[0]!.events.map((e) => e.type);
      assert.ok(ev.includes('LEFTOVERS'), ev.join(' '));
      await sup.stop('s');
      assert.deepEqual(liveIn(groupDir(data, 's')), []);
    });

    it('a recorded process that is not in its recorded cgroup is not adopted', async () => {
      const data = path.join(tempDir(), 'data');
      const sup = await supervise(data, [
        { name: 't', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
      ]);
      const h = JSON.parse(readFileSync(path.join(data, 'state.json'), 'utf8')).instances.t.handle as Handle;
      assert.equal(h.cgroup, groupDir(data, 't'));
      const backend = new LinuxBackend();
      assert.deepEqual(backend.recover(h), { kind: 'alive' });
      const elsewhere = { ...h, cgroup: groupDir(data, 'other') };
      const verdict = backend.recover(elsewhere);
      assert.equal(verdict.kind, 'mismatch');
      await sup.stop('t');
    });

    it('an instance left unknown (its recorded process failed verification) and then restarted: what is in its cgroup is stopped before the new process starts', async () => {
      const data = path.join(tempDir(), 'data');
      const log = path.join(tempDir(), 'pids.log');
      const raw = mainWithChildSpec('s', log);
      const first = await supervise(data, [raw]);
      const old = first.status('s')[0]!;
      const child = (await started(log, 'child')).pid;
      trackPid(child);
      await first.shutdown();
      sups.splice(sups.indexOf(first), 1);
      // As after a reuse of the shim's PID: the recorded shim fails verification (never signalled itself).
      class Reused extends BackendDecorator {
        override recover(h: Handle): RecoverResult {
          return h.pid === old.shim_pid
            ? { kind: 'mismatch', reason: 'start time differs' }
            : this.inner.recover(h);
        }
      }
      const sup = await Supervisor.create({
        dataDir: data,
        pollIntervalMs: 50,
        cgroupRoot: root,
        backend: new Reused(new LinuxBackend()),
      });
      sups.push(sup);
      assert.equal(sup.status('s')[0]!.state, 'unknown');
      await sup.restart('s');
      const next = await started(log, 'main', old.pid!);
      trackPid((await started(log, 'child', child)).pid);
      for (const pid of [old.pid!, child])
        assert.ok(!isAlive(pid), `pid ${pid} of the unverified process was left running`);
      const st = sup.status('s')[0]!;
      assert.equal(st.pid, next.pid);
      const types = st.events.map((e) => e.type);
      assert.ok(
        types.indexOf('LEFTOVERS') >= 0 && types.indexOf('LEFTOVERS') < types.lastIndexOf('STARTED'),
        types.join(' '),
      );
    });

    it("a stop reaches a process in a group below the handler's once the handler's own group is empty (an exec session's program)", async () => {
      const data = path.join(tempDir(), 'data');
      dataDirs.push(data);
      const group = groupDir(data, 'h');
      const below = path.join(group, 'exec-session');
      mkdirSync(below, { recursive: true });
      const sleeper = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
      sleeper.unref();
      trackPid(sleeper.pid);
      writeFileSync(path.join(below, 'cgroup.procs'), String(sleeper.pid));
      assert.equal(
        readFileSync(path.join(group, 'cgroup.procs'), 'utf8'),
        '',
        "the handler's own group is empty",
      );
      const backend = new LinuxBackend();
      const h = cgroupOnlyHandle(group);
      assert.deepEqual(cgroupPids(group), [sleeper.pid], 'listed through the empty group');
      assert.equal(leftAlive(backend, h), true, 'something of the handler is left');
      const res = await stopGroup(h, {
        backend,
        clock: systemClock,
        signal: 'SIGTERM',
        timeoutMs: 5000,
        pollMs: 50,
        cancelled: () => false,
        note: () => {},
      });
      assert.equal(res.kind, 'exited');
      assert.equal(isAlive(sleeper.pid!), false, 'the program below was stopped with the handler');
      rmdirSync(below);
    });

    it('a handler with 200 processes in their own sessions: after a stop none is left', async () => {
      const dir = tempDir();
      const pids = path.join(dir, 'pids');
      const data = path.join(dir, 'data');
      const sup = await supervise(data, [
        {
          name: 'tree',
          // setsid: each child leaves the handler's process group; only the cgroup still holds it.
          command: [
            '/bin/sh',
            '-c',
            'i=0; while [ $i -lt 200 ]; do setsid sleep 1000 & echo $! >> "$1"; i=$((i+1)); done; wait',
            'tree',
            pids,
          ],
          start_seconds: 0,
          stop_timeout: '1s',
        },
      ]);
      const all = await waitFor(() => (lines(pids).length === 200 ? lines(pids).map(Number) : null), {
        what: '200 children',
        timeoutMs: 30_000,
      });
      all.forEach((p) => trackPid(p));
      const group = groupDir(data, 'tree');
      await waitFor(() => liveIn(group).length >= 201, { what: 'the tree in the cgroup' });
      const st = await sup.stop('tree');
      assert.equal(st.state, 'stopped');
      assert.deepEqual(liveIn(group), [], 'the cgroup is empty');
      assert.deepEqual(
        all.filter((p) => isAlive(p)),
        [],
        'no process of the tree alive',
      );
      assert.equal(sup.tracking(), 'cgroup');
    });
  });
}

describe('process tracking without cgroups: process groups, one warning', function () {
  this.timeout(30_000);
  const sups: Supervisor[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
      await sup.shutdown();
    }
  });

  it('a missing cgroup root: tracking pgroup, ONE warning; handlers start and stop; type: forking is refused with why', async () => {
    const logLines: string[] = [];
    const logger = new Logger('agent', { level: 'info', sink: { write: (l) => logLines.push(l) } });
    const missing = path.join(tempDir(), 'no-cgroups-here');
    const sup = await Supervisor.create({
      dataDir: tempDir(),
      pollIntervalMs: 50,
      cgroupRoot: missing,
      logger,
    });
    sups.push(sup);
    assert.equal(sup.tracking(), 'pgroup');
    const [a, b] = await sup.applySpecs([
      spec({ name: 'a', command: ['node', fixture('ticker.mjs')], start_seconds: 0 }),
      spec({ name: 'b', type: 'forking', command: ['node', fixture('ticker.mjs')], start_seconds: 0 }),
    ]);
    assert.equal(a!.state, 'running');
    assert.equal(b!.state, 'fatal');
    assert.match(b!.events.at(-1)!.message, /SPAWN_FAILED type: forking needs a cgroup .*tracking: pgroup/);
    assert.equal((await sup.stop('a')).state, 'stopped');
    const warnings = logLines.filter(
      (l) => l.includes('WARN') && l.includes('tracked by process group only'),
    );
    assert.equal(warnings.length, 1, logLines.join(''));
    assert.match(warnings[0]!, /no-cgroups-here/);
  });
});

describe('process tracking: where the groups live', () => {
  function touch(file: string, text = ''): void {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }

  it("v2 groups go under the agent's own cgroup (its governor-agent leaf stripped); v1 prefers pids, then name=systemd under the agent's own path there", () => {
    const v2 = tempDir();
    touch(path.join(v2, 'cgroup.controllers'), '\n');
    touch(path.join(v2, 'cgroup.procs'), '1\n');
    const self = '1:name=systemd:/x\n0::/system.slice/gov.service/governor-agent\n';
    assert.deepEqual(detectTracking(v2, self), {
      version: 2,
      base: path.join(v2, 'system.slice/gov.service'),
      ownPath: '/system.slice/gov.service',
    });
    assert.equal(detectTracking(v2, '0::/\n')!.base, v2);
    const v1 = tempDir();
    touch(path.join(v1, 'systemd', 'cgroup.procs'));
    assert.deepEqual(detectTracking(v1, self), {
      version: 1,
      base: path.join(v1, 'systemd', 'x'),
      ownPath: '/x',
    });
    touch(path.join(v1, 'pids', 'cgroup.procs'));
    assert.equal(detectTracking(v1, self)!.base, path.join(v1, 'pids'));
    assert.equal(detectTracking(path.join(v1, 'missing'), self), null);
  });

  it('v2 limits: the agent moves into its leaf before controllers are enabled, and the limits group is the tracking group', () => {
    const root = tempDir();
    touch(path.join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    touch(path.join(root, 'cgroup.procs'), '1\n');
    touch(path.join(root, 'svc', 'cgroup.procs'), '4242\n');
    const logger = new Logger('agent', { level: 'error', sink: { write: () => {} } });
    const tracking = new CgroupTracking({ root, scope: 's', logger, selfCgroup: '0::/svc\n' });
    assert.equal(tracking.scopeDir, path.join(root, 'svc', 'governor', 's'));
    const cg = new Cgroups({ root, scope: 's', logger, v2OwnPath: tracking.layout!.ownPath });
    const group = cg.prepare('web', { cpu_percent: 50 });
    assert.deepEqual(group?.procs, [path.join(tracking.prepare('web')!, 'cgroup.procs')]);
    assert.equal(readFileSync(path.join(root, 'svc', 'governor-agent', 'cgroup.procs'), 'utf8'), '4242');
    assert.ok(existsSync(path.join(root, 'svc', 'cgroup.subtree_control')));
  });
});
