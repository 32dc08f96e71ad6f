/**
 * The SIGNAL command on the agent: to the instance's process group by default, to the verified main process
 * only with `main`; refused (nothing sent) for an observed process, an unknown signal name and an instance
 * that is not running; a signal is not a stop; a repeated command id is answered from the cache, not sent
 * again. Real processes; commands through GovernorAgent.execute and, for the repeated id, the master link.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import type { ProcessBackend } from '../../agent/process/backend.js';
import { cgroupOnlyHandle } from '../../agent/process/cgroup-tracking.js';
import { sendSignal } from '../../agent/instance/signal.js';
import type { AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { CommandResult__Output } from '../../proto/generated/governor/v1/CommandResult.js';
import type { MasterMessage } from '../../proto/generated/governor/v1/MasterMessage.js';
import { GovError } from '../../shared/errors.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { parseHandler } from '../../shared/spec.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';
import { outsideWorkload, signalsRecorded } from './observed-helpers.js';
import { agentOn, command, logLines, pidSignalsSpec, signalsOf, started } from './pid-signal-helpers.js';

const kindOf = (err: unknown): string => (err instanceof GovError ? err.kind : String(err));

describe('SIGNAL on the agent', () => {
  const sups: Supervisor[] = [];
  async function supervisor(dataDir: string, cgroupRoot?: string): Promise<Supervisor> {
    const sup = await Supervisor.create({
      dataDir,
      pollIntervalMs: 50,
      ...(cgroupRoot ? { cgroupRoot } : {}),
    });
    sup.on('state', () => {
      for (const s of sup.status()) if (s.mode !== 'observed') trackPid(s.pgid ?? undefined, true);
    });
    sups.push(sup);
    return sup;
  }
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.mode !== 'observed' && s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });

  async function webWithChild(dir: string, extra: Record<string, unknown> = {}) {
    const log = path.join(dir, 'pids.log');
    const sup = await supervisor(dir);
    await sup.applySpecs([
      parseHandler({ ...pidSignalsSpec('web', log, true), ...extra }, 'handlers[0]', 't'),
    ]);
    const main = await started(log, 'main');
    const child = await started(log, 'child');
    return { sup, agent: agentOn(sup, dir), log, main, child };
  }

  it('by default reaches the whole group (main and its child); the handler keeps running', async () => {
    const dir = tempDir();
    const { sup, agent, log, main, child } = await webWithChild(dir);
    const res = await agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'hup' }));
    assert.equal(res.summary, `web: sent SIGHUP to pid ${main.pid} (group ${main.ppid})`);
    assert.equal(res.instances?.[0]?.pid, main.pid);
    await waitFor(() => signalsOf(log, main.pid).includes('SIGHUP'), { what: 'main got SIGHUP' });
    await waitFor(() => signalsOf(log, child.pid).includes('SIGHUP'), { what: 'child got SIGHUP' });
    assert.equal(sup.status('web')[0]?.state, 'running');
    assert.ok(isAlive(main.pid) && isAlive(child.pid));
    assert.match(sup.status('web')[0]!.events.at(-1)!.message, /^SIGNALLED SIGHUP to pid \d+ \(group \d+\)$/);
  });

  it('a group signal whose default would end or stop the shim (PIPE, XCPU, PWR, TSTP) reaches the handler and leaves the shim: no exit, no second copy', async () => {
    const dir = tempDir();
    const { sup, agent, log, main } = await webWithChild(dir);
    const before = sup.status('web')[0]!;
    for (const signal of ['PIPE', 'XCPU', 'PWR', 'TSTP']) {
      await agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal }));
      await waitFor(() => signalsOf(log, main.pid).includes(`SIG${signal}`), {
        what: `main got SIG${signal}`,
      });
    }
    const after = sup.status('web')[0]!;
    assert.equal(after.state, 'running');
    assert.equal(after.shim_pid, before.shim_pid);
    assert.ok(isAlive(after.shim_pid!), 'the shim is alive (not ended, not stopped)');
    assert.notEqual(readProcStat(after.shim_pid!)?.state, 'T', 'the shim is not stopped');
    assert.equal(after.pid, main.pid);
    assert.ok(
      !after.events.some((e) => e.type === 'EXITED'),
      JSON.stringify(after.events.map((e) => e.message)),
    );
  });

  it('a stop sends stop_signal once to each process (group and cgroup alike): a second SIGTERM is "quit now" to many programs', async () => {
    const dir = tempDir();
    const { sup, main, child } = await webWithChild(dir);
    // Tracked by a cgroup: the stop signals the process group and the cgroup.
    assert.match(readFileSync(`/proc/${main.pid}/cgroup`, 'utf8'), /\/governor\/agent-/);
    const pgids = new Map([main, child].map((p) => [p.pid, readProcStat(p.pid)!.pgid]));
    // Two signals sent back to back arrive as one (a pending signal is not queued twice): count what is sent.
    const sent: Array<[number, string]> = [];
    const kill = process.kill.bind(process);
    process.kill = ((pid: number, sig?: string | number) => {
      sent.push([pid, String(sig)]);
      return kill(pid, sig);
    }) as typeof process.kill;
    try {
      await sup.stop('web'); // the fixture ignores SIGTERM: SIGKILL ends it after stop_timeout
    } finally {
      process.kill = kill;
    }
    for (const p of [main, child]) {
      const pgid = pgids.get(p.pid)!;
      const reached = (sig: string) =>
        sent.filter(([to, s]) => s === sig && (to === p.pid || to === -pgid)).length;
      assert.equal(reached('SIGTERM'), 1, `pid ${p.pid} (group ${pgid}): ${JSON.stringify(sent)}`);
      assert.equal(reached('SIGCONT'), 1, `pid ${p.pid} (group ${pgid}): ${JSON.stringify(sent)}`);
    }
  });

  it('with main reaches the main process only, not its child', async () => {
    const dir = tempDir();
    const { agent, log, main, child } = await webWithChild(dir);
    const res = await agent.execute(
      command({ kind: 'SIGNAL', handler: 'web', signal: 'SIGUSR1', main: true }),
    );
    assert.equal(res.summary, `web: sent SIGUSR1 to pid ${main.pid} (main only)`);
    await waitFor(() => signalsOf(log, main.pid).includes('SIGUSR1'), { what: 'main got SIGUSR1' });
    // The child would have logged it by the time main did (same signal, same moment); give it a marker:
    // a later group signal arrives at the child, and SIGUSR1 never did before it.
    await agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'SIGUSR2' }));
    await waitFor(() => signalsOf(log, child.pid).includes('SIGUSR2'), { what: 'child got SIGUSR2' });
    assert.deepEqual(signalsOf(log, child.pid), ['SIGUSR2'], 'the child never got the --main signal');
  });

  it('a handler that exits because of a signal follows its restart policy (a signal is not a stop)', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'pids.log');
    const sup = await supervisor(dir);
    const agent = agentOn(sup, dir);
    await sup.applySpecs([
      parseHandler(
        { ...pidSignalsSpec('web', log), restart: 'always', backoff: { initial: '10ms', max: '10ms' } },
        'handlers[0]',
        't',
      ),
    ]);
    const first = await started(log, 'main');
    await agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'KILL', main: true }));
    const second = await started(log, 'main', first.pid);
    await waitFor(() => sup.status('web')[0]?.pid === second.pid || null, { what: 'restarted' });
    assert.equal(sup.status('web')[0]?.last_exit?.signal, 'SIGKILL');
  });

  it('refuses an unknown or numeric signal name (INVALID_ARGUMENT) and sends nothing', async () => {
    const dir = tempDir();
    const { agent, log, main, child } = await webWithChild(dir);
    for (const signal of ['FOO', '9', '', 'SIGHUPX']) {
      await assert.rejects(agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal })), (err) => {
        assert.equal(kindOf(err), 'INVALID_ARGUMENT');
        assert.ok((err as Error).message.includes(JSON.stringify(signal)), (err as Error).message);
        return true;
      });
    }
    // A marker signal: whatever was sent before it would have been logged first.
    await agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'USR2' }));
    await waitFor(() => signalsOf(log, child.pid).includes('SIGUSR2'), { what: 'marker at the child' });
    await waitFor(() => signalsOf(log, main.pid).includes('SIGUSR2'), { what: 'marker at main' });
    assert.deepEqual(signalsOf(log, main.pid), ['SIGUSR2']);
    assert.deepEqual(signalsOf(log, child.pid), ['SIGUSR2']);
  });

  for (const tracking of ['cgroup', 'pgroup'] as const) {
    it(`a main that left the group (setsid) gets the group's signal with the group it leads, and a stop leaves nothing of either: one copy after a start (tracking by ${tracking})`, async () => {
      const dir = tempDir();
      const log = path.join(dir, 'pids.log');
      // A cgroup root that does not exist: the agent tracks by process group only.
      const sup = await supervisor(
        path.join(dir, 'data'),
        tracking === 'pgroup' ? path.join(dir, 'no-cgroups') : undefined,
      );
      const spec = pidSignalsSpec('web', log);
      const node = (spec.command as string[]).map((w) => JSON.stringify(w)).join(' ');
      // setsid execs the shell, which becomes the main (exec) after starting a worker in the group it leads.
      const command = ['setsid', 'sh', '-c', `PID_ROLE=child ${node} & exec ${node}`];
      await sup.applySpecs([parseHandler({ ...spec, command }, 'handlers[0]', 't')]);
      const main = await started(log, 'main');
      const worker = await started(log, 'child');
      trackPid(main.pid);
      trackPid(worker.pid);
      assert.equal(sup.status('web')[0]?.pid, main.pid, "setsid execs: the main is the shim's child");
      assert.equal(readProcStat(main.pid)?.pgid, main.pid, 'it leads a group of its own');
      assert.equal(readProcStat(worker.pid)?.pgid, main.pid, 'the worker is in it');
      const [sent] = sup.signal('web', 'SIGHUP', false);
      assert.match(
        sent!.sent,
        new RegExp(`and to pid ${main.pid} \\(the main, in a process group of its own`),
      );
      for (const p of [main.pid, worker.pid])
        await waitFor(() => signalsOf(log, p).includes('SIGHUP'), { what: `${p} got SIGHUP` });
      assert.equal((await sup.stop('web')).state, 'stopped');
      for (const p of [main.pid, worker.pid]) {
        assert.ok(signalsOf(log, p).includes('SIGTERM'), `the stop signal reached ${p}`);
        assert.ok(!isAlive(p), `${p}: nothing of the handler is left after its stop`);
      }
      await sup.start('web');
      trackPid((await started(log, 'main', main.pid)).pid);
      trackPid((await started(log, 'child', worker.pid)).pid);
      assert.equal(
        logLines(log).filter(([, pid]) => isAlive(pid)).length,
        2,
        'one copy (main and worker) runs',
      );
    });
  }

  it('without cgroups, the group a setsid main led is stopped when the main dies on its own: the restart runs one copy', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'pids.log');
    const sup = await supervisor(path.join(dir, 'data'), path.join(dir, 'no-cgroups'));
    const spec = pidSignalsSpec('web', log);
    const node = (spec.command as string[]).map((w) => JSON.stringify(w)).join(' ');
    const command = ['setsid', 'sh', '-c', `PID_ROLE=child ${node} & exec ${node}`];
    await sup.applySpecs([parseHandler({ ...spec, command, restart: 'always' }, 'handlers[0]', 't')]);
    const main = await started(log, 'main');
    const worker = await started(log, 'child');
    trackPid(worker.pid);
    process.kill(main.pid, 'SIGKILL');
    trackPid((await started(log, 'main', main.pid)).pid);
    trackPid((await started(log, 'child', worker.pid)).pid);
    assert.ok(!isAlive(worker.pid), 'the old worker was stopped before the restart');
    assert.ok(sup.status('web')[0]!.events.some((e) => e.type === 'LEFTOVERS'));
    assert.equal(
      logLines(log).filter(([, pid]) => isAlive(pid)).length,
      2,
      'one copy (main and worker) runs',
    );
  });

  it('refuses an instance that is not running (FAILED_PRECONDITION naming its state), and an unknown handler', async () => {
    const dir = tempDir();
    const { sup, agent, log, main } = await webWithChild(dir);
    await sup.stop('web');
    await assert.rejects(agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'HUP' })), (err) => {
      assert.equal(kindOf(err), 'FAILED_PRECONDITION');
      assert.match((err as Error).message, /web is stopped, not running: nothing signalled/);
      return true;
    });
    await assert.rejects(
      agent.execute(command({ kind: 'SIGNAL', handler: 'nope', signal: 'HUP' })),
      (err) => {
        assert.equal(kindOf(err), 'NOT_FOUND');
        return true;
      },
    );
    assert.ok(!signalsOf(log, main.pid).includes('SIGHUP'));
  });

  it('refuses an observed process (never signalled), by group or main', async () => {
    const dir = tempDir();
    const w = await outsideWorkload(dir);
    const sup = await supervisor(dir);
    const agent = agentOn(sup, dir);
    await agent.execute(command({ kind: 'ATTACH', handler: 'ext', name: 'ext', pid: w.pid }));
    for (const main of [false, true]) {
      await assert.rejects(
        agent.execute(command({ kind: 'SIGNAL', handler: 'ext', signal: 'HUP', main })),
        (err) => {
          assert.equal(kindOf(err), 'FAILED_PRECONDITION');
          assert.match((err as Error).message, /ext is an observed process .* never signals it/);
          return true;
        },
      );
    }
    assert.equal(signalsRecorded(w.log), '');
  });

  it('a repeated command id is answered from the result cache, not sent again', async () => {
    const dir = tempDir();
    const { sup, log, main, child } = await webWithChild(dir);
    const results: CommandResult__Output[] = [];
    const server = new grpc.Server();
    server.addService(loadProtos().link.governor.v1.AgentLink.service, {
      Connect: (call: grpc.ServerDuplexStream<AgentMessage__Output, MasterMessage>) => {
        call.on('data', (m: AgentMessage__Output) => {
          if (m.body === 'result' && m.result) results.push(m.result);
          if (m.body !== 'hello') return;
          call.write({
            welcome: {
              heartbeat_interval_ms: 200,
              metrics_interval_ms: 60_000,
              sent_at_ms: Date.now(),
              heartbeat_grace_ms: 5000,
              protocol: AGENT_LINK_PROTOCOL,
            },
          });
          const cmd = { id: 'sig-1', kind: 'SIGNAL' as const, handler: 'web', signal: 'SIGHUP' };
          call.write({ command: cmd });
          call.write({ command: cmd });
        });
        call.on('error', () => {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const linked = agentOn(sup, dir, `127.0.0.1:${port}`);
    try {
      linked.start();
      await waitFor(() => results.filter((r) => r.command_id === 'sig-1').length >= 2 || null, {
        what: 'both answers to sig-1',
      });
      const [a, b] = results.filter((r) => r.command_id === 'sig-1');
      assert.equal(a?.ok, true);
      assert.deepEqual(b, a, 'the same answer');
      // A marker group signal after it: anything sent twice would have arrived before it.
      await linked.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'USR2' }));
      await waitFor(() => signalsOf(log, main.pid).includes('SIGUSR2'), { what: 'marker at main' });
      await waitFor(() => signalsOf(log, child.pid).includes('SIGUSR2'), { what: 'marker at child' });
      assert.deepEqual(signalsOf(log, main.pid), ['SIGHUP', 'SIGUSR2'], 'SIGHUP sent once');
      assert.deepEqual(signalsOf(log, child.pid), ['SIGHUP', 'SIGUSR2']);
      assert.equal(logLines(log).filter(([, , r]) => r === 'SIGHUP').length, 2);
    } finally {
      linked.link.close();
      server.forceShutdown();
    }
  });
});

describe('SIGNAL to a held daemon group (no shim, no process group of its own)', () => {
  const held = cgroupOnlyHandle('/sys/fs/cgroup/unified/governor/edge/daemon');
  const backend = (cgroupProcesses: number): ProcessBackend =>
    ({
      signalGroup: () => false,
      signalCgroup: () => cgroupProcesses,
      signalStray: () => false,
      signalMain: () => false,
    }) as unknown as ProcessBackend;

  it('names the cgroup it reached or could not, never "pid 0" or "group 0"', () => {
    assert.equal(
      sendSignal('daemon', held, backend(2), 'SIGHUP', false),
      'SIGHUP to 2 process(es) of cgroup /sys/fs/cgroup/unified/governor/edge/daemon',
    );
    assert.throws(
      () => sendSignal('daemon', held, backend(0), 'SIGHUP', false),
      /^StateError: daemon: cgroup \/sys\/fs\/cgroup\/unified\/governor\/edge\/daemon has no process left to signal: SIGHUP not sent$/,
    );
    assert.throws(
      () => sendSignal('daemon', held, backend(2), 'SIGHUP', true),
      (err: Error) => /its daemon in cgroup .* is not known/.test(err.message) && !/shim 0/.test(err.message),
    );
    assert.equal(
      sendSignal('daemon', { ...held, main_pid: 4242 }, backend(2), 'SIGHUP', false),
      'SIGHUP to pid 4242 (2 process(es) of its cgroup)',
    );
  });
});
