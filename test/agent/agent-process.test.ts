/** The agent as a real separate process: handlers outlive kill -9 and SIGTERM of the agent, exits while it is down are recorded, a torn state file is survived. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive } from '../../shared/proc.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import {
  lineCount,
  readState,
  startAgent,
  trackStateGroups,
  waitInstance,
  writeHandlers,
} from './helpers.js';

function size(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

async function logGrows(file: string): Promise<void> {
  const before = size(file);
  await waitFor(() => size(file) > before, { what: `${file} to keep growing` });
}

describe('agent process: handlers outlive the agent', function () {
  this.slow(5000);

  it('kill -9 of the agent leaves the handler running; a new agent adopts it and stops the whole group', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const spawns = path.join(dir, 'spawns');
    const gcFile = path.join(dir, 'grandchild');
    const file = writeHandlers(dir, [
      {
        name: 'tick',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        env: { SPAWN_LOG: spawns, GRANDCHILD: '1', GRANDCHILD_PID_FILE: gcFile },
      },
    ]);
    const agent = startAgent(file, data);
    const st = await waitInstance(data, agent.pid, 'tick', (s) => s.state === 'running', 'tick running');
    trackPid(st.pgid ?? undefined, true);
    const gcPid = await waitFor(() => (existsSync(gcFile) ? Number(readFileSync(gcFile, 'utf8')) : null), {
      what: 'grandchild',
    });

    process.kill(agent.pid, 'SIGKILL');
    await agent.exited;
    assert.ok(isAlive(st.pid!), 'handler survived kill -9 of the agent');
    await logGrows(path.join(data, 'logs', 'tick', 'stdout.log'));

    const sup = await Supervisor.create({ dataDir: data, pollIntervalMs: 50 });
    try {
      const [adopted] = sup.status('tick');
      assert.equal(adopted?.state, 'running');
      assert.equal(adopted?.pid, st.pid, 'same PID');
      assert.equal(adopted?.events.at(-1)?.message, `ADOPTED pid=${st.pid}`, 'the main pid');
      assert.equal(adopted?.shim_pid, st.shim_pid);
      await sup.applySpecs(sup.specs());
      assert.equal(lineCount(spawns), 1, 'no second spawn');
      const stopped = await sup.stop('tick');
      assert.equal(stopped.state, 'stopped');
      assert.ok(!isAlive(st.shim_pid!) && !isAlive(st.pid!), 'shim and handler gone');
      assert.ok(!isAlive(gcPid), 'grandchild in the group gone too');
      assert.equal(lineCount(spawns), 1);
    } finally {
      await sup.shutdown();
    }
  });

  it('a descriptor the agent inherited from its parent is close-on-exec: nothing it starts gets it unasked', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const file = writeHandlers(dir, [
      { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
    ]);
    // Node marks the lowest inherited descriptors close-on-exec itself, not one numbered 20.
    const agent = startAgent(file, data, ['--socket', 'off'], { inheritFd: 20 });
    const st = await waitInstance(data, agent.pid, 'tick', (s) => s.state === 'running', 'tick running');
    trackPid(st.pgid ?? undefined, true);
    // fdinfo's flags are octal open(2) flags; O_CLOEXEC is 02000000. (node-pty's terminal sessions and Node's
    // child_process exec with every descriptor not so marked.)
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/${agent.pid}/fdinfo/20`, 'utf8'))?.[1];
    assert.ok(flags !== undefined, 'the agent holds descriptor 20');
    assert.ok((parseInt(flags, 8) & 0o2000000) !== 0, `fd 20 flags ${flags}: close-on-exec`);
    const pipe = readlinkSync(`/proc/${agent.pid}/fd/20`);
    const handlerFds = readdirSync(`/proc/${st.pid}/fd`).map((fd) =>
      readlinkSync(`/proc/${st.pid}/fd/${fd}`),
    );
    assert.ok(!handlerFds.includes(pipe), `the handler does not hold ${pipe}`);
    process.kill(agent.pid, 'SIGTERM');
    await agent.exited;
  });

  it('SIGTERM of the agent exits 0 and leaves handlers running; the next agent adopts them', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const spawns = path.join(dir, 'spawns');
    const file = writeHandlers(dir, [
      { name: 'a', command: ['node', fixture('ticker.mjs')], start_seconds: 0, env: { SPAWN_LOG: spawns } },
      { name: 'b', command: ['node', fixture('ticker.mjs')], start_seconds: 0, env: { SPAWN_LOG: spawns } },
    ]);
    const agent = startAgent(file, data);
    const a = await waitInstance(data, agent.pid, 'a', (s) => s.state === 'running', 'a running');
    const b = await waitInstance(data, agent.pid, 'b', (s) => s.state === 'running', 'b running');
    trackPid(a.pgid ?? undefined, true);
    trackPid(b.pgid ?? undefined, true);

    process.kill(agent.pid, 'SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr());
    assert.ok(isAlive(a.pid!) && isAlive(b.pid!), 'handlers survived SIGTERM of the agent');
    await logGrows(path.join(data, 'logs', 'a', 'stdout.log'));
    await logGrows(path.join(data, 'logs', 'b', 'stdout.log'));

    const again = startAgent(file, data);
    const a2 = await waitInstance(data, again.pid, 'a', (s) => s.state === 'running', 'a adopted');
    assert.equal(a2.pid, a.pid);
    assert.equal(a2.events.at(-1)?.type, 'ADOPTED');
    assert.equal(lineCount(spawns), 2, 'one spawn per handler, none after the restart');
    process.kill(again.pid, 'SIGTERM');
    assert.equal(await again.exited, 0);
    assert.ok(isAlive(a.pid!) && isAlive(b.pid!));
  });

  it('an exit (code 7) while no agent runs is reported by the next agent and fed to the restart policy', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const spawns = path.join(dir, 'spawns');
    const trigger = (n: string): string => path.join(dir, `trigger-${n}`);
    const h = (name: string, restart: string) => ({
      name,
      restart,
      command: ['node', fixture('exit-on-file.mjs')],
      start_seconds: 0,
      env: { SPAWN_LOG: spawns, TRIGGER: trigger(name), EXIT_CODE: '7' },
    });
    const file = writeHandlers(dir, [h('onfail', 'on-failure'), h('never', 'never')]);
    const agent = startAgent(file, data);
    const first = await waitInstance(data, agent.pid, 'onfail', (s) => s.state === 'running', 'running');
    const never = await waitInstance(data, agent.pid, 'never', (s) => s.state === 'running', 'running');
    trackStateGroups(data);
    process.kill(agent.pid, 'SIGKILL');
    await agent.exited;

    writeFileSync(trigger('onfail'), '');
    writeFileSync(trigger('never'), '');
    // The shims: each writes its handler's exit status, then exits.
    await waitFor(() => !isAlive(first.shim_pid!) && !isAlive(never.shim_pid!), {
      what: 'handlers (and their shims) to exit while no agent runs',
    });
    assert.equal(readFileSync(path.join(data, 'run', 'onfail.exit'), 'utf8').trim(), '7');

    const again = startAgent(file, data);
    const restarted = await waitInstance(
      data,
      again.pid,
      'onfail',
      (s) => s.state === 'running' && s.restarts === 1,
      'on-failure restart after code 7',
    );
    trackPid(restarted.pgid ?? undefined, true);
    assert.equal(restarted.last_exit?.code, 7);
    assert.notEqual(restarted.pid, first.pid);
    assert.ok(restarted.events.some((e) => e.message === 'EXITED code=7'));
    const stayed = await waitInstance(data, again.pid, 'never', (s) => s.state === 'exited', 'never: exited');
    assert.equal(stayed.last_exit?.code, 7);
    assert.equal(stayed.pid, null);
    await waitFor(() => lineCount(spawns) === 3, { what: 'two first spawns + one restart' });
    process.kill(again.pid, 'SIGTERM');
    assert.equal(await again.exited, 0);
  });

  it('kill -9 of the agent in a loop while it writes state: the state file always loads', async function () {
    this.timeout(60_000);
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const spawns = path.join(dir, 'spawns');
    const stateFile = path.join(data, 'state.json');
    const file = writeHandlers(dir, [
      {
        name: 'steady',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        env: { SPAWN_LOG: spawns },
      },
      // Exits at once and is restarted at once: a state write every few ms.
      { name: 'churn', command: ['sh', '-c', 'exit 0'], start_seconds: 0, restart: 'always' },
    ]);
    for (let i = 0; i < 20; i++) {
      const agent = startAgent(file, data);
      await waitInstance(data, agent.pid, 'steady', (s) => s.state === 'running', `agent ${i} ready`);
      trackStateGroups(data);
      const m0 = statSync(stateFile).mtimeMs;
      const rewrites = 1 + (i % 4);
      let seen = 0;
      let last = m0;
      await waitFor(
        () => {
          const m = statSync(stateFile).mtimeMs;
          if (m !== last) {
            seen++;
            last = m;
          }
          return seen >= rewrites;
        },
        { intervalMs: 1, what: 'state writes' },
      );
      process.kill(agent.pid, 'SIGKILL');
      await agent.exited;
      const state = readState(data); // JSON.parse throws on a torn file
      assert.ok(state.instances.steady?.handle, `iteration ${i}: steady's handle persisted`);
    }
    const last = startAgent(file, data);
    const steady = await waitInstance(data, last.pid, 'steady', (s) => s.state === 'running', 'final agent');
    assert.equal(steady.events.at(-1)?.type, 'ADOPTED');
    assert.equal(lineCount(spawns), 1, 'the steady handler was spawned once across 21 agents');
    process.kill(last.pid, 'SIGTERM');
    assert.equal(await last.exited, 0);
    trackStateGroups(data);
  });
});
