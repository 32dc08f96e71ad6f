/**
 * An exec session's own cgroup (agent/exec/exec-context.ts): what a session's program starts, a daemon that
 * left its process group with setsid included, ends with the session — when the program exits, when the
 * master closes the session — and a restarted agent ends what sessions of the agent before it left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_EXEC_SETTINGS, ExecSessions } from '../../agent/exec/exec-sessions.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import type { ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import { silentLogger } from '../../shared/logger.js';
import { isAlive } from '../../shared/proc.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { execFromAgent } from '../helpers/wire.js';
import { spec, supervisors } from './health-helpers.js';

/** Prints the daemon's PID, then (with `stay`) stays in the foreground. */
const daemonScript = (stay: boolean) => `setsid sleep 1000 & echo $!${stay ? '; exec sleep 100' : ''}`;

describe('exec sessions: their own cgroup', function () {
  this.slow(5000);
  const s = supervisors();
  after(() => s.close());

  async function running(dataDir?: string): Promise<Supervisor> {
    const sup = await s.make(dataDir ? { dataDir } : {});
    await sup.applySpecs([spec({ name: 'web', command: ['node', fixture('ticker.mjs')], start_seconds: 0 })]);
    await waitFor(() => sup.status().find((i) => i.instance === 'web')?.state === 'running', {
      what: 'web running',
    });
    return sup;
  }

  function session(sup: Supervisor, id: string, command: string[]) {
    const sessions = new ExecSessions(
      (k, c, sid) => sup.execContext(k, c, sid),
      { ...DEFAULT_EXEC_SETTINGS, killGraceMs: 500 },
      silentLogger,
    );
    const frames: ExecFrame__Output[] = [];
    const to = (f: Partial<ExecFrame__Output>) =>
      sessions.onFrame({ session: id, ...f } as ExecFrame__Output, (out) => frames.push(execFromAgent(out)));
    to({ body: 'open', open: { instance: 'web', command, grant: 1 << 20 } as ExecFrame__Output['open'] });
    const out = () =>
      frames.map((f) => (f.stdout ? Buffer.from(f.stdout as Buffer).toString() : '')).join('');
    return { sessions, frames, to, out };
  }

  async function daemonOf(x: ReturnType<typeof session>): Promise<number> {
    const pid = await waitFor(() => Number(x.out().trim().split('\n')[0]) || 0, { what: 'the daemon PID' });
    trackPid(pid);
    return pid;
  }

  function skipWithoutTracking(sup: Supervisor, ctx: Mocha.Context): void {
    if (!sup.tracker.layout) {
      console.log(`      (skipped: handlers are tracked by process group here: ${sup.tracker.reason})`);
      ctx.skip();
    }
  }

  it('a daemon the program started ends with the session when the program exits', async function () {
    const sup = await running();
    skipWithoutTracking(sup, this);
    const x = session(sup, 'd1', ['sh', '-c', daemonScript(false)]);
    const pid = await daemonOf(x);
    await waitFor(() => x.frames.find((f) => f.exit), { what: 'the program to exit' });
    await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `daemon ${pid} to end with its session` });
    const group = path.join(sup.tracker.dirOf('web')!, 'exec-d1');
    await waitFor(() => !existsSync(group), { what: `${group} removed` });
    assert.ok(
      isAlive(sup.status().find((i) => i.instance === 'web')!.pid!),
      'the handler itself is untouched',
    );
  });

  it('a daemon the program started ends with the session when the master closes it', async function () {
    const sup = await running();
    skipWithoutTracking(sup, this);
    const x = session(sup, 'd2', ['sh', '-c', daemonScript(true)]);
    const pid = await daemonOf(x);
    const program = x.frames.find((f) => f.opened)!.opened!.pid!;
    trackPid(program);
    const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    assert.match(cg, /\/governor\/[^/\n]+\/web\/exec-d2$/m, 'the daemon is in the session group');
    x.to({ body: 'close', close: 'the client went away' });
    await waitFor(() => !isAlive(program) && !isAlive(pid), {
      timeoutMs: 10_000,
      what: `program ${program} and daemon ${pid} to end`,
    });
  });

  it('a restarted agent ends what the sessions of the agent before it left', async function () {
    const data = tempDir();
    const first = await Supervisor.create({ dataDir: data, pollIntervalMs: 50 });
    if (!first.tracker.layout) {
      await first.shutdown();
      console.log(`      (skipped: handlers are tracked by process group here: ${first.tracker.reason})`);
      this.skip();
    }
    await first.applySpecs([
      spec({ name: 'web', command: ['node', fixture('ticker.mjs')], start_seconds: 0 }),
    ]);
    await waitFor(() => first.status().find((i) => i.instance === 'web')?.state === 'running', {
      what: 'web running',
    });
    const web = first.status().find((i) => i.instance === 'web')!;
    trackPid(web.pgid ?? undefined, true);
    // A session whose agent died: its program ran in the session's group and nobody released it.
    const ctx = first.execContext('web', ['sh', '-c', daemonScript(false)], 'gone');
    const child = spawn(ctx.argv[0]!, ctx.argv.slice(1), {
      env: ctx.env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor(() => Number(out.trim()) || 0, { what: 'the daemon PID' });
    trackPid(pid);
    await first.shutdown(); // the agent goes; its handlers stay
    assert.ok(isAlive(pid), 'the daemon outlived the agent');
    const again = await running(data);
    await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `daemon ${pid} ended by the new agent` });
    assert.equal(
      again.status().find((i) => i.instance === 'web')!.pid,
      web.pid,
      'the handler was adopted, not restarted',
    );
  });
});
