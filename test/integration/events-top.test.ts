/**
 * `gov events` and `gov top` as built (dist/master/cli/gov.js) against a real master and two agents:
 * `gov events -f --json` prints one JSON object per line (a restart shows up) and exits 0 on SIGINT;
 * `gov top` under a pseudo-terminal shows both instances and quits on `q` with exit 0, restoring the
 * terminal; without a terminal it refuses (exit 2) and draws nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import pty from 'node-pty';
import { LEAVE_SCREEN } from '../../master/cli/top.js';
import type { WatchEvent } from '../../master/cli/admin-client.js';
import { Cluster, Proc } from '../helpers/cluster.js';
import { fixture, GOV_BIN, trackPid, waitFor } from '../helpers/common.js';

describe('integration: gov events and gov top', function () {
  this.slow(20_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'] });
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1', 'edge-2'],
        command: [process.execPath, fixture('ticker.mjs')],
        start_seconds: 0,
      },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
  });
  after(async () => {
    await c?.stop();
  });

  it('gov events -f --json: every line is one JSON object, a restart shows up, SIGINT exits 0', async () => {
    const before = (await c.instances('web')).find((i) => i.agent === 'edge-1')!;
    const events = new Proc(
      'gov events',
      spawn(process.execPath, [GOV_BIN, 'events', '-f', '--json', 'web@edge-1', ...c.connectionArgs()], {
        cwd: c.dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    try {
      const parsed = (): WatchEvent[] =>
        events.stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as WatchEvent);
      // Every kept event is replayed from index 0: the restart is seen whenever the watch opened.
      const r = await c.admin().control('restart', 'web@edge-1');
      const id = r.outcomes[0]?.execution_id;
      assert.ok(id, JSON.stringify(r));
      await waitFor(
        () =>
          parsed().some(
            (e) => e.kind === 'execution' && e.execution?.id === id && e.execution.status === 'success',
          ) &&
          parsed().some(
            (e) =>
              e.kind === 'instance' &&
              e.instance?.instance?.status?.pid !== before.pid &&
              e.instance?.instance?.status?.state === 'running',
          ),
        { what: 'the restart and the new pid on gov events', timeoutMs: 20_000 },
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\nstdout:\n${events.stdout}\nstderr:\n${events.stderr}`);
      });
      events.child.kill('SIGINT');
      const exit = await events.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, events.stderr);
      const lines = events.stdout.split('\n');
      assert.equal(lines.pop(), '', 'the output ends with a newline');
      for (const l of lines) {
        const e = JSON.parse(l) as WatchEvent;
        assert.equal(typeof e.index, 'number', l);
        assert.ok(
          e.kind === 'notice' || (e.handler === 'web' && e.agent === 'edge-1') || e.kind === 'agent',
          l,
        );
      }
      const indexes = parsed()
        .filter((e) => e.kind !== 'notice')
        .map((e) => e.index);
      assert.deepEqual(
        indexes,
        [...indexes].sort((a, b) => a - b),
        'in index order',
      );
    } finally {
      await events.kill('SIGKILL');
    }
  });

  it('gov top under a pseudo-terminal shows the instances; q quits with exit 0 and restores the terminal', async () => {
    const term = pty.spawn(process.execPath, [GOV_BIN, 'top', '--interval', '500ms', ...c.connectionArgs()], {
      name: 'xterm',
      cols: 120,
      rows: 30,
      cwd: c.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' },
    });
    trackPid(term.pid);
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => term.onExit(resolve));
    try {
      await waitFor(() => screen.includes('web@edge-1') && screen.includes('web@edge-2'), {
        what: 'both instances on the screen of gov top',
        timeoutMs: 20_000,
      }).catch((err: unknown) => {
        throw new Error(`${String(err)}\nscreen:\n${JSON.stringify(screen.slice(-3000))}`);
      });
      assert.match(screen, /agents 2\/2 connected/);
      term.write('q');
      const exit = await exited;
      assert.equal(exit.exitCode, 0, JSON.stringify(screen.slice(-2000)));
      assert.ok(
        screen.trimEnd().endsWith(LEAVE_SCREEN),
        `the output ends leaving the alternate screen and showing the cursor: ${JSON.stringify(screen.slice(-200))}`,
      );
    } finally {
      try {
        term.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });

  it('gov top without a terminal refuses (exit 2), naming what to use instead, and draws nothing', async () => {
    const r = await c.gov(['top']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /gov top needs a terminal/);
    assert.match(r.stderr, /gov events -f/);
    assert.equal(r.stdout, '');
  });
});

describe('integration: gov events after the master dropped the events asked for', function () {
  this.slow(20_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'], masterArgs: ['--watch-events', '3'] });
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1'],
        command: [process.execPath, fixture('ticker.mjs')],
        start_seconds: 0,
      },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('web', 1, (i) => i.state === 'running' && !!i.pid);
  });
  after(async () => {
    await c?.stop();
  });

  it('says so on stderr, prints the snapshot and goes on (exit 0)', async () => {
    const r = await c.gov(['events', '--since', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /notice: .*behind: index 1 is older than the events this master keeps/);
    assert.match(r.stderr, /gov events: events were missed .*a snapshot of the current state follows/);
    assert.match(r.stdout, /^\d+ {2}\S+ {2}snapshot {2}- {2}1 agent\(s\), 1 instance\(s\), 0 rollout\(s\)$/m);
    const json = await c.gov(['events', '--since', '1', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const kinds = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as WatchEvent).kind);
    assert.deepEqual(kinds.slice(0, 2), ['notice', 'snapshot'], json.stdout);
  });
});
