/**
 * A handler is never stopped for what the agent does not know (DESIGN §8 items 8 and 9): a live handler
 * process of this data dir that the state file has no record of (a state file restored from an older copy,
 * or a new instance's first spawn before its write) is left running, never signalled, and adopted — not
 * spawned again — once its spec arrives. It is stopped only when an apply removes its handler or leaves it
 * above its spec's count; one launched differently from the spec that arrives is restarted onto it.
 */
import assert from 'node:assert/strict';
import { readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Handle, RecoverResult } from '../../agent/process/backend.js';
import { BackendDecorator } from '../../agent/process/decorator.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import type { AgentState } from '../../agent/supervisor/state-store.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { readState } from './helpers.js';
import { mainWithChildSpec, mains, pidSignalsSpec, signalsOf, started } from './pid-signal-helpers.js';

const spec = (raw: Record<string, unknown>): HandlerSpec => parseHandler(raw, 'handlers[0]', 't');

describe('a handler process the state file has no record of', function () {
  this.slow(5000);
  const sups: Supervisor[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });

  /** Runs `raw` (count replicas) under a first agent, then leaves its state file as `edit` makes it. */
  async function runThenForget(
    raw: Record<string, unknown>,
    edit: (s: AgentState) => void,
    agentEnv?: Record<string, string | undefined>,
  ): Promise<{ dir: string; pids: number[]; shims: number[] }> {
    const dir = tempDir();
    const first = await Supervisor.create({
      dataDir: dir,
      pollIntervalMs: 50,
      ...(agentEnv ? { agentEnv } : {}),
    });
    const statuses = await first.applySpecs([spec(raw)]);
    for (const s of statuses) trackPid(s.pgid ?? undefined, true);
    const log = String((raw.env as Record<string, string>).PID_LOG);
    await waitFor(() => (mains(log).length === statuses.length ? true : null), {
      what: 'every main started',
    });
    await first.shutdown(); // handlers keep running (non-owning)
    const state = readState(dir);
    edit(state);
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
    return { dir, pids: statuses.map((s) => s.pid!), shims: statuses.map((s) => s.shim_pid!) };
  }

  /** A state file that knows nothing: no spec, no record. */
  const forgetAll = (s: AgentState): void => {
    s.specs = {};
    s.instances = {};
  };

  async function agentOn(dir: string, agentEnv?: Record<string, string | undefined>): Promise<Supervisor> {
    const sup = await Supervisor.create({
      dataDir: dir,
      pollIntervalMs: 50,
      ...(agentEnv ? { agentEnv } : {}),
    });
    sups.push(sup);
    return sup;
  }

  it('is left running, never signalled, and adopted without a new spawn once its spec arrives', async () => {
    const log = path.join(tempDir(), 'pids.log');
    const raw = pidSignalsSpec('web', log);
    const { dir, pids } = await runThenForget(raw, forgetAll);
    const sup = await agentOn(dir);
    assert.deepEqual(sup.status(), [], 'no instance is known yet');
    assert.ok(isAlive(pids[0]!), 'the handler still runs');
    await sup.applySpecs([spec(raw)]);
    const s = sup.status('web')[0]!;
    assert.equal(s.pid, pids[0], 'its process is the instance’s');
    assert.ok(['starting', 'running'].includes(s.state), s.state);
    assert.ok(s.events.some((e) => e.type === 'ADOPTED_STRAY'));
    assert.equal(readState(dir).instances.web?.handle?.main_pid, pids[0], 'recorded');
    assert.deepEqual(mains(log), pids, 'no second spawn');
    assert.deepEqual(signalsOf(log, pids[0]!), [], 'never signalled');
  });

  it('whose spec the state file still has is adopted at once', async () => {
    const log = path.join(tempDir(), 'pids.log');
    const { dir, pids } = await runThenForget(pidSignalsSpec('web', log), (s) => {
      s.instances = {};
    });
    const sup = await agentOn(dir);
    const s = sup.status('web')[0]!;
    assert.equal(s.pid, pids[0]);
    assert.ok(s.events.some((e) => e.type === 'ADOPTED_STRAY'));
    await waitFor(() => (readState(dir).instances.web?.handle?.main_pid === pids[0] ? true : null), {
      what: 'the adopted handle recorded',
    });
    assert.deepEqual(mains(log), pids, 'no second spawn');
    assert.deepEqual(signalsOf(log, pids[0]!), []);
  });

  it('launched with another environment than the spec that arrives is restarted onto it', async () => {
    const log = path.join(tempDir(), 'pids.log');
    const raw = pidSignalsSpec('web', log);
    const { dir, pids } = await runThenForget(raw, forgetAll);
    const sup = await agentOn(dir);
    const env = { ...(raw.env as Record<string, string>), LEVEL: '2' };
    await sup.applySpecs([spec({ ...raw, env })]);
    const next = await started(log, 'main', pids[0]);
    const s = sup.status('web')[0]!;
    assert.ok(
      s.events.some((e) => e.type === 'RESPEC' && /environment is not this spec's/.test(e.message)),
      JSON.stringify(s.events),
    );
    assert.equal(s.pid, next.pid);
    assert.ok(signalsOf(log, pids[0]!).includes('SIGTERM'), 'the old process got its stop signal');
  });

  it('launched in another working directory than the spec’s cwd is restarted onto it', async () => {
    const log = path.join(tempDir(), 'pids.log');
    const raw = { ...pidSignalsSpec('web', log), cwd: tempDir() };
    const { dir, pids } = await runThenForget(raw, forgetAll);
    const sup = await agentOn(dir);
    const cwd = tempDir();
    await sup.applySpecs([spec({ ...raw, cwd })]);
    const next = await started(log, 'main', pids[0]);
    const s = sup.status('web')[0]!;
    assert.ok(
      s.events.some((e) => e.type === 'RESPEC' && /working directory .* is not this spec's/.test(e.message)),
      JSON.stringify(s.events),
    );
    assert.equal(s.pid, next.pid);
    assert.equal(readlinkSync(`/proc/${next.pid}/cwd`), realpathSync(cwd));
  });

  for (const [what, before, after] of [
    [
      'changed or gained (PATH, TZ)',
      {},
      { PATH: `${process.env.PATH}:/opt/elsewhere/bin`, TZ: 'Asia/Tokyo' },
    ],
    ['lost (TZ, an inherit_env name)', { TZ: 'Asia/Tokyo', FROM_AGENT: '1' }, { TZ: undefined }],
  ] as const)
    it(`is adopted without a restart when only the agent’s own environment ${what}`, async () => {
      const log = path.join(tempDir(), 'pids.log');
      const raw = { ...pidSignalsSpec('web', log), inherit_env: ['FROM_AGENT'] };
      const { dir, pids } = await runThenForget(raw, forgetAll, { ...process.env, ...before });
      const sup = await agentOn(dir, { ...process.env, ...after });
      await sup.applySpecs([spec(raw)]);
      const s = sup.status('web')[0]!;
      assert.equal(s.pid, pids[0], 'its process is the instance’s');
      assert.ok(!s.events.some((e) => e.type === 'RESPEC'), JSON.stringify(s.events));
      assert.deepEqual(signalsOf(log, pids[0]!), [], 'never signalled');
    });

  it('whose PID is another process by the time its spec arrives is neither adopted nor signalled: the instance starts afresh', async () => {
    const log = path.join(tempDir(), 'pids.log');
    const raw = pidSignalsSpec('web', log);
    const { dir, pids, shims } = await runThenForget(raw, forgetAll);
    // As the backend sees a reused PID: another process (another start time) now has the shim's PID.
    class Reused extends BackendDecorator {
      override recover(h: Handle): RecoverResult {
        return h.pid === shims[0]
          ? { kind: 'mismatch', reason: 'start time differs' }
          : this.inner.recover(h);
      }
    }
    const sup = await Supervisor.create({
      dataDir: dir,
      pollIntervalMs: 50,
      backend: new Reused(new LinuxBackend()),
    });
    sups.push(sup);
    await sup.applySpecs([spec(raw)]);
    const next = await started(log, 'main', pids[0]);
    const s = sup.status('web')[0]!;
    assert.equal(s.pid, next.pid);
    assert.equal(s.state, 'running');
    assert.ok(
      s.events.some((e) => e.type === 'RESTORED' && /is gone \(start time differs\)/.test(e.message)),
    );
    assert.deepEqual(signalsOf(log, pids[0]!), [], 'the process that has its PID now got no signal');
  });

  it('whose main exits (and its shim with it) before its spec arrives: what it left in its group is stopped before the instance starts afresh', async () => {
    const log = path.join(tempDir(), 'pids.log');
    const raw = mainWithChildSpec('web', log);
    const { dir, pids, shims } = await runThenForget(raw, forgetAll);
    const child = (await started(log, 'child')).pid;
    trackPid(child);
    const sup = await agentOn(dir); // holds the unrecorded shim, waiting for its spec
    process.kill(pids[0]!, 'SIGKILL');
    await waitFor(() => (!isAlive(pids[0]!) && !isAlive(shims[0]!) ? true : null), {
      what: 'the main and its shim gone',
    });
    await sup.applySpecs([spec(raw)]);
    const next = await started(log, 'main', pids[0]);
    assert.ok(!isAlive(child), 'the child of the exited main was stopped before the new start');
    assert.deepEqual(signalsOf(log, child), ['SIGTERM'], 'stop signal first, then SIGKILL at stop_timeout');
    const s = sup.status('web')[0]!;
    assert.equal(s.pid, next.pid);
    const types = s.events.map((e) => e.type);
    assert.ok(
      types.indexOf('LEFTOVERS') >= 0 && types.indexOf('LEFTOVERS') < types.lastIndexOf('STARTED'),
      types.join(' '),
    );
    trackPid((await started(log, 'child', child)).pid);
  });

  it('is stopped when an apply removes its handler or leaves its replica above the count', async () => {
    const dir0 = tempDir();
    const web = path.join(dir0, 'web.log');
    const rawWeb = { ...pidSignalsSpec('web', web), count: 2 };
    const first = await runThenForget(rawWeb, () => {});
    // A second handler in the same data dir, then both forgotten.
    const sup1 = await Supervisor.create({ dataDir: first.dir, pollIntervalMs: 50 });
    const rawApi = { name: 'api', command: ['node', fixture('ticker.mjs')], start_seconds: 0 };
    await sup1.applySpecs([spec(rawWeb), spec(rawApi)]);
    const apiPid = sup1.status('api')[0]!.pid!;
    for (const s of sup1.status()) trackPid(s.pgid ?? undefined, true);
    await sup1.shutdown();
    writeFileSync(
      path.join(first.dir, 'state.json'),
      JSON.stringify({ version: 1, specs: {}, instances: {} }),
    );
    const sup = await agentOn(first.dir);
    await sup.applySpecs([spec({ ...rawWeb, count: 1 })], new Set(), { remove: new Set(['api']) });
    assert.deepEqual(
      sup.status().map((s) => [s.instance, s.pid]),
      [['web', first.pids[0]]],
      'replica 0 adopted',
    );
    await waitFor(() => (!isAlive(first.pids[1]!) && !isAlive(apiPid) ? true : null), {
      what: 'web#1 and api stopped',
    });
    assert.ok(signalsOf(web, first.pids[1]!).includes('SIGTERM'), 'web#1 got its stop signal');
    assert.deepEqual(signalsOf(web, first.pids[0]!), [], 'replica 0 was never signalled');
  });
});
