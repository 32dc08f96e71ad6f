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
import { GOV_BIN, trackPid, waitFor } from '../helpers/common.js';

describe('integration: gov events and gov top', function () {
  this.slow(20_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'] });
    await c.startTicker(['edge-1', 'edge-2']);
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

  /** `gov top` in a pseudo-terminal of 120×30: its output so far, the last frame drawn, its exit. */
  function startTop() {
    const term = pty.spawn(process.execPath, [GOV_BIN, 'top', '--interval', '500ms', ...c.connectionArgs()], {
      name: 'xterm',
      cols: 120,
      rows: 30,
      cwd: c.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' },
    });
    trackPid(term.pid);
    const top = {
      term,
      output: '',
      /** The text of the last frame (escapes removed). */
      get frame(): string {
        // eslint-disable-next-line no-control-regex
        return (top.output.split('\x1b[H').pop() ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      },
      exited: new Promise<{ exitCode: number; signal?: number }>((resolve) => term.onExit(resolve)),
      async waitFrame(pred: (frame: string) => boolean, what: string): Promise<void> {
        await waitFor(() => pred(top.frame), { what, timeoutMs: 30_000 }).catch((err: unknown) => {
          throw new Error(`${String(err)}\nlast frame:\n${top.frame}`);
        });
      },
      kill() {
        try {
          term.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      },
    };
    term.onData((d) => (top.output += d));
    return top;
  }

  it('gov top under a pseudo-terminal shows the instances; q quits with exit 0 and restores the terminal', async () => {
    const top = startTop();
    try {
      await top.waitFrame(
        (f) => f.includes('web@edge-1') && f.includes('web@edge-2'),
        'both instances on screen',
      );
      assert.match(top.frame, /agents 2\/2 connected/);
      top.term.write('q');
      const exit = await top.exited;
      assert.equal(exit.exitCode, 0, JSON.stringify(top.output.slice(-2000)));
      assert.ok(
        top.output.trimEnd().endsWith(LEAVE_SCREEN),
        `the output ends leaving the alternate screen and showing the cursor: ${JSON.stringify(top.output.slice(-200))}`,
      );
    } finally {
      top.kill();
    }
  });

  it('gov top says reconnecting… while the master is away and shows the fleet again after it restarted', async () => {
    const top = startTop();
    try {
      await top.waitFrame((f) => f.includes('web@edge-2'), 'the instances on screen');
      // The watch is live (a change reaches the screen through it) before the master goes away.
      assert.equal((await c.gov(['restart', 'web@edge-2'])).code, 0);
      await top.waitFrame((f) => /restart web@edge-2 success/.test(f), 'the restart through the watch');
      await c.killMaster();
      await top.waitFrame((f) => f.includes('reconnecting…'), 'reconnecting… on screen');
      await c.startMaster();
      await c.waitAgentConnected('edge-1');
      await c.waitAgentConnected('edge-2');
      await top.waitFrame(
        (f) => !f.includes('reconnecting…') && /web@edge-1 +running/.test(f) && /web@edge-2 +running/.test(f),
        'the fleet on screen again',
      );
      assert.match(
        top.frame,
        /the master restarted/,
        // eslint-disable-next-line no-control-regex
        [...new Set(top.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n').split('\n'))]
          .filter((l) => /reconnect|unknown|restarted|behind|notice|dropped/.test(l))
          .join('\n'),
      );
      top.term.write('q');
      assert.equal((await top.exited).exitCode, 0);
      assert.ok(top.output.trimEnd().endsWith(LEAVE_SCREEN));
    } finally {
      top.kill();
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
    await c.startTicker(['edge-1']);
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

  it('a viewer certificate may read the events', async () => {
    const r = await c.gov(['events', '--json'], { pair: 'viewer-viewer' });
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(r.stdout, '', 'the viewer got events');
    for (const l of r.stdout.trimEnd().split('\n'))
      assert.equal(typeof (JSON.parse(l) as WatchEvent).index, 'number');
  });
});
