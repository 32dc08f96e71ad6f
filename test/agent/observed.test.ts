/**
 * Observe-only attach at the agent level (the agent side): a workload started outside the
 * governor is attached by PID through GovernorAgent commands, measured, refused for stop/restart with the
 * clear message, re-verified after an agent restart, and never signalled. The kill -9 of a real agent
 * process is in discovery.test.ts and end to end through master + CLI in observed-e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { AgentCommand__Output } from '../../proto/generated/governor/v1/AgentCommand.js';
import { GovernorAgent } from '../../agent/governor-agent.js';
import type { Handle, ProcessBackend } from '../../agent/process/backend.js';
import { GuardedBackend } from '../../agent/observed/guard.js';
import { cgroupOnlyHandle } from '../../agent/process/cgroup-tracking.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { StateError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { observedRefusal } from '../../shared/observed.js';
import { isAlive, listPids, readCmdline, readProcStat } from '../../shared/proc.js';
import { parseDiscoverRules } from '../../agent/observed/discovery.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { outsideWorkload, signalsRecorded } from './observed-helpers.js';

const cmd = (fields: Partial<AgentCommand__Output>): AgentCommand__Output =>
  ({ handler: '', instance: '', name: '', pid: 0, ...fields }) as AgentCommand__Output;

describe('observe-only attach (agent level)', () => {
  const sups: Supervisor[] = [];
  async function supervisor(dataDir: string): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50 });
    sups.push(sup);
    return sup;
  }
  function agentOf(sup: Supervisor, dataDir: string): GovernorAgent {
    return new GovernorAgent(
      sup,
      {
        agentId: 'edge-1',
        address: '127.0.0.1:1',
        credentials: grpc.credentials.createInsecure(),
        labels: {},
        dataDir,
      },
      silentLogger,
    );
  }
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.mode !== 'observed' && s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });

  it('attach: measured, listed as observed, stop/restart refused, survives an agent restart, no signal', async () => {
    const dir = tempDir();
    const w = await outsideWorkload(dir);
    const sup = await supervisor(dir);
    const agent = agentOf(sup, dir);

    const res = await agent.execute(cmd({ kind: 'ATTACH', handler: 'ext', name: 'ext', pid: w.pid }));
    const st = res.instances?.[0];
    assert.equal(st?.observed, true);
    assert.equal(st?.mode, 'observed');
    assert.equal(st?.state, 'running');
    assert.equal(st?.pid, w.pid);
    assert.match(res.summary ?? '', new RegExp(`observing pid ${w.pid} as ext`));
    assert.deepEqual(
      sup.status('ext').map((i) => i.handler),
      ['ext'],
    );
    assert.equal(agent.inventory().instances.find((i) => i.handler === 'ext')?.observed, true);

    for (const kind of ['STOP', 'RESTART'] as const) {
      await assert.rejects(agent.execute(cmd({ kind, handler: 'ext' })), (err: Error) => {
        assert.ok(err instanceof StateError);
        assert.equal(err.message, observedRefusal('ext'));
        assert.match(err.message, /never signals it; stop it yourself or detach/);
        return true;
      });
    }

    const metrics = (await agent.execute(cmd({ kind: 'METRICS' }))).metrics;
    const m = metrics?.instances?.find((i) => i.handler === 'ext');
    assert.equal(m?.mode, 'observed');
    assert.ok(Number(m?.memory_bytes) > 0, 'RSS measured');
    assert.ok(Number(m?.uptime_ms) >= 0);

    // A restarted agent re-verifies it (same PID, start time and command line) and observes it again.
    await sup.shutdown();
    const sup2 = await supervisor(dir);
    const again = sup2.status('ext')[0];
    assert.equal(again?.state, 'running');
    assert.equal(again?.pid, w.pid);
    assert.ok(again?.events.some((e) => e.type === 'RESTORED'));

    await agentOf(sup2, dir).execute(cmd({ kind: 'DETACH', handler: 'ext', name: 'ext' }));
    assert.equal(
      sup2.status().find((s) => s.handler === 'ext'),
      undefined,
    );
    assert.ok(isAlive(w.pid), 'still running after detach');
    assert.equal(signalsRecorded(w.log), '', 'the observed process recorded no signal');
  });

  it("attach refuses what it cannot prove: no such PID, a handler's PID, a taken name, the agent", async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const [h] = await sup.applySpecs([
      parseHandler(
        { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
        'handlers[0]',
        'test',
      ),
    ]);
    trackPid(h?.pgid ?? undefined, true);
    await assert.rejects(sup.observed.attach(4_000_000, 'x'), /no process with pid 4000000/);
    await assert.rejects(sup.observed.attach(h!.pid!, 'x'), /belongs to a handler this agent governs/);
    const w = await outsideWorkload(dir);
    await assert.rejects(sup.observed.attach(w.pid, 'tick'), /already in use/);
    await assert.rejects(sup.observed.attach(process.pid, 'me'), /the agent itself/);
    await sup.observed.attach(w.pid, 'ext');
    await assert.rejects(sup.observed.attach(w.pid, 'ext2'), /already observed as ext/);
  });

  /** PIDs whose command line holds `token` (the workloads below carry it as an argument). */
  function withToken(token: string): number[] {
    return listPids().filter((p) => (readCmdline(p) ?? []).includes(token));
  }

  it("what an exited main left in its handler's cgroup is never discovered as observed: its drain stops it", async function () {
    if (process.getuid?.() !== 0) {
      console.log('      skipped: cgroup tracking needs root');
      this.skip();
    }
    const dir = tempDir();
    const token = `gov-leftover-${process.pid}-${Date.now()}`;
    const pidFile = path.join(dir, 'child.pid');
    const sup = await Supervisor.create({
      dataDir: dir,
      pollIntervalMs: 50,
      discover: parseDiscoverRules([{ name: 'obs', pattern: token }]),
      discoverIntervalMs: 3_600_000, // scanned below, by hand
    });
    sups.push(sup);
    // The main starts a child that ignores SIGTERM (its argument: the token the rule matches) and exits.
    const [h] = await sup.applySpecs([
      parseHandler(
        {
          name: 'leaky',
          command: ['sh', '-c', `node ${fixture('ignore-term.mjs')} ${token} & sleep 0.3; exit 0`],
          env: { PID_FILE: pidFile },
          start_seconds: 0,
          restart: 'never',
          stop_timeout: '1500ms',
        },
        'handlers[0]',
        'test',
      ),
    ]);
    trackPid(h?.pgid ?? undefined, true);
    const child = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0), {
      what: 'the child',
    });
    trackPid(child);
    await waitFor(() => sup.status('leaky')[0]?.state === 'exited', { what: 'the main to exit' });
    assert.ok(isAlive(child), 'the leftover is being drained (it ignores SIGTERM)');
    assert.equal(sup.observed.discover(), 0, 'not discovered');
    await assert.rejects(sup.observed.attach(child, 'grab'), /belongs to a handler|in a handler's cgroup/);
    await waitFor(() => !isAlive(child), { what: 'the drain to SIGKILL the leftover after stop_timeout' });
    assert.equal(sup.status().filter((s) => s.mode === 'observed').length, 0);
  });

  it("the agent's own exec health checks are never discovered or attached as observed", async () => {
    const dir = tempDir();
    const token = `gov-probe-${process.pid}-${Date.now()}`;
    const sup = await Supervisor.create({
      dataDir: dir,
      pollIntervalMs: 50,
      discover: parseDiscoverRules([{ name: 'obs', pattern: token }]),
      discoverIntervalMs: 3_600_000,
    });
    sups.push(sup);
    const [h] = await sup.applySpecs([
      parseHandler(
        {
          name: 'probed',
          command: ['node', fixture('ticker.mjs')],
          start_seconds: 0,
          // A probe that outlives its timeout (the agent kills its group): the process a rule could match.
          health: {
            exec: ['node', '-e', 'setInterval(() => {}, 1000)', token],
            interval: '200ms',
            timeout: '3s',
          },
        },
        'handlers[0]',
        'test',
      ),
    ]);
    trackPid(h?.pgid ?? undefined, true);
    const [probe] = await waitFor(() => (withToken(token).length > 0 ? withToken(token) : null), {
      what: 'a running probe',
    });
    assert.equal(sup.observed.discover(), 0, 'not discovered');
    await assert.rejects(sup.observed.attach(probe!, 'grab'), /one of the agent's health checks/);
    assert.equal(sup.status().filter((s) => s.mode === 'observed').length, 0);
  });

  it('an observed process that ends is reported once (GONE) and dropped', async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const w = await outsideWorkload(dir);
    const changes: string[] = [];
    const gone: string[] = [];
    sup.on('state', (c) => c.handler === 'ext' && changes.push(`${c.from}->${c.to}`));
    sup.on(
      'event',
      ({ handler, event }) => handler === 'ext' && event.type === 'GONE' && gone.push(event.message),
    );
    await sup.observed.attach(w.pid, 'ext');
    process.kill(w.pid, 'SIGKILL'); // the test ends it, not the governor
    await waitFor(() => sup.status().every((s) => s.handler !== 'ext'), { what: 'ext dropped' });
    assert.deepEqual(changes, ['stopped->running', 'running->exited']);
    assert.equal(gone.length, 1);
    assert.match(gone[0]!, new RegExp(`GONE pid=${w.pid} ended`));
  });

  it('a persisted observed PID whose start time differs is dropped on restore, never signalled', async () => {
    const dir = tempDir();
    const w = await outsideWorkload(dir);
    const st = readProcStat(w.pid)!;
    writeFileSync(
      path.join(dir, 'state.json'),
      JSON.stringify({
        version: 1,
        specs: {},
        instances: {},
        observed: {
          processes: {
            ext: {
              name: 'ext',
              pid: w.pid,
              pgid: st.pgid,
              start_time: String(Number(st.startTime) - 1),
              cmdline_hash: 'x',
              command: 'x',
              attached_at: 1,
              source: 'attach',
            },
          },
          ignored: [],
        },
      }),
    );
    const sup = await supervisor(dir);
    assert.equal(sup.status().length, 0);
    const saved = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {
      observed: { processes: object };
    };
    assert.deepEqual(saved.observed.processes, {});
    assert.ok(isAlive(w.pid));
    assert.equal(signalsRecorded(w.log), '');
  });

  it('the backend guard refuses to signal a process group that holds an observed process', async () => {
    const dir = tempDir();
    const w = await outsideWorkload(dir);
    const sent: string[] = [];
    const inner = {
      signalGroup: (_h: Handle, s: string) => (sent.push(s), true),
    } as unknown as ProcessBackend;
    const refused: number[] = [];
    const guard = new GuardedBackend(inner, { observedPids: () => [w.pid] }, (_h, pid) => refused.push(pid));
    const pgid = readProcStat(w.pid)!.pgid;
    assert.equal(guard.signalGroup({ pid: pgid, pgid } as Handle, 'SIGTERM'), false);
    assert.deepEqual(refused, [w.pid]);
    assert.deepEqual(sent, []);
    assert.equal(guard.signalGroup({ pid: 1, pgid: 999_999_999 } as Handle, 'SIGTERM'), true);
    assert.deepEqual(sent, ['SIGTERM']);
    assert.equal(signalsRecorded(w.log), '');
  });

  it('the backend guard never counts PID 1 or a process of group 0 as in a held daemon group (pgid 0)', () => {
    // PID 1 leads group 1, or is in group 0 with the kernel threads (some container inits): neither group is a
    // handler's, and a held daemon group with no shim has pgid 0.
    const sent: string[] = [];
    const inner = {
      signalGroup: (_h: Handle, s: string) => (sent.push(`group ${s}`), false),
      signalMain: (_h: Handle, s: string) => (sent.push(`main ${s}`), true),
    } as unknown as ProcessBackend;
    const refused: number[] = [];
    const guard = new GuardedBackend(inner, { observedPids: () => [1] }, (_h, pid) => refused.push(pid));
    const held = { ...cgroupOnlyHandle('/sys/fs/cgroup/governor/x/web0'), main_pid: 999_999_999 } as Handle;
    assert.equal(guard.signalMain(held, 'SIGHUP'), true);
    guard.signalGroup(held, 'SIGTERM');
    assert.deepEqual(refused, []);
    assert.deepEqual(sent, ['main SIGHUP', 'group SIGTERM']);
  });
});
