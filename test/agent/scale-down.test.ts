/**
 * An instance an apply removes (its handler deleted, or its index at or above a lowered count) is never lost
 * for a later apply that wants it back: the removal is recorded before its stop, so an agent that dies before
 * the removal is done finishes it at its next start (instead of finding an instance an operator stopped);
 * and an apply that wants the instance back while it is being removed starts it afresh once the removal ends.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';
import { readState } from './helpers.js';
import { mains, pidSignalsSpec, signalsOf } from './pid-signal-helpers.js';

const spec = (raw: Record<string, unknown>, count: number): HandlerSpec =>
  parseHandler({ ...raw, count }, 'handlers[0]', 't');

describe('an instance an apply removes', function () {
  this.slow(5000);
  const sups: Supervisor[] = [];
  /** The pid-signals logs of the test: every main they name is cleaned up, also one no agent lists. */
  const logs: string[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
    for (const log of logs.splice(0)) for (const pid of mains(log)) trackPid(pid);
  });

  async function agentOn(dir: string): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir: dir, pollIntervalMs: 50 });
    sups.push(sup);
    return sup;
  }

  /** The status of instance `key`, if the agent has it. */
  const statusOf = (sup: Supervisor, key: string) => sup.status().find((s) => s.instance === key);

  /**
   * `count` replicas of a handler that ignores SIGTERM (a removal lasts its stop_timeout), then an apply of
   * count 1 (`down`, not awaited) once web#1 got its stop signal.
   */
  async function removingReplicas(count: number) {
    const log = path.join(tempDir(), 'pids.log');
    logs.push(log);
    const raw = { ...pidSignalsSpec('web', log), stop_timeout: '1500ms' };
    const dir = tempDir();
    const sup = await agentOn(dir);
    const first = await sup.applySpecs([spec(raw, count)]);
    for (const s of first) trackPid(s.pgid ?? undefined, true);
    const pids = first.map((s) => s.pid!);
    await waitFor(() => (pids.every((pid) => mains(log).includes(pid)) ? true : null), {
      what: 'every replica logged its start (its signal handlers are in place)',
    });
    const old = first.find((s) => s.instance === 'web#1')!.pid!;
    const down = sup.applySpecs([spec(raw, 1)]);
    await waitFor(() => (signalsOf(log, old).includes('SIGTERM') ? true : null), {
      what: 'web#1 being stopped',
    });
    return { log, raw, dir, sup, pids, old, down };
  }

  it('is started afresh when an apply wants it back while it is being removed', async () => {
    const { raw, dir, sup, old, down } = await removingReplicas(2);
    const up = sup.applySpecs([spec(raw, 2)]);
    await Promise.all([down, up]);
    const s = await waitFor(
      () => {
        const st = statusOf(sup, 'web#1');
        return st?.state === 'running' ? st : null;
      },
      { what: 'web#1 running again' },
    );
    trackPid(s.pgid ?? undefined, true);
    assert.notEqual(s.pid, old, 'a new process');
    assert.ok(!isAlive(old), 'the removed one is stopped');
    await waitFor(() => (readState(dir).instances['web#1']?.desired === 'running' ? true : null), {
      what: 'web#1 recorded wanted running',
    });
  });

  it('applies of 1, 3 and 1 again while replicas are being removed end at 1: a later removal overrules an earlier creation afresh', async () => {
    const { log, raw, sup, pids, down } = await removingReplicas(3);
    const up = sup.applySpecs([spec(raw, 3)]);
    const again = sup.applySpecs([spec(raw, 1)]);
    await Promise.all([down, up, again]);
    await waitFor(() => (pids.slice(1).every((pid) => !isAlive(pid)) ? true : null), {
      what: 'web#1 and web#2 stopped',
    });
    assert.deepEqual(
      sup.status().map((s) => s.instance),
      ['web'],
    );
    assert.deepEqual(mains(log).sort(), [...pids].sort(), 'nothing spawned afresh');
    assert.deepEqual(
      sup.specs().map((s) => s.count),
      [1],
    );
  });

  it('an agent shut down during a removal leaves it recorded (finished by the next agent), and spawns nothing after', async () => {
    const { log, raw, dir, sup, pids, old, down } = await removingReplicas(2);
    void sup.applySpecs([spec(raw, 2)]).catch(() => undefined); // a creation afresh waits for the removal
    await sup.shutdown(); // handlers keep running (non-owning); the removal's stop is left where it was
    sups.splice(sups.indexOf(sup), 1);
    await down.catch(() => undefined);
    assert.ok(isAlive(old), 'the removed replica was left as it was');
    const rec = readState(dir).instances['web#1'];
    assert.equal(rec?.removing, true, JSON.stringify(rec));
    assert.equal(typeof rec?.stopping_since, 'number');
    const next = await agentOn(dir);
    await waitFor(() => (!isAlive(old) && !statusOf(next, 'web#1') ? true : null), {
      what: 'the next agent finished the removal',
    });
    assert.deepEqual(mains(log).sort(), [...pids].sort(), 'nothing spawned after the shutdown');
    assert.deepEqual(signalsOf(log, old), ['SIGTERM'], 'its stop signal was sent once');
  });

  it('whose removal an agent died in is finished at the next start, and a later count starts it afresh', async () => {
    const log = path.join(tempDir(), 'pids.log');
    logs.push(log);
    const raw = pidSignalsSpec('web', log);
    const dir = tempDir();
    const first = await agentOn(dir);
    const statuses = await first.applySpecs([spec(raw, 2)]);
    for (const s of statuses) trackPid(s.pgid ?? undefined, true);
    const old = statuses.find((s) => s.instance === 'web#1')!.pid!;
    await first.shutdown(); // handlers keep running (non-owning)
    sups.splice(0);
    // The state file as an agent killed during the removal's stop left it: removal recorded, the stop under way.
    const state = readState(dir);
    const rec = state.instances['web#1']!;
    Object.assign(rec, { removing: true, desired: 'stopped', state: 'stopping' });
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));

    const sup = await agentOn(dir);
    await waitFor(() => (!isAlive(old) && !statusOf(sup, 'web#1') ? true : null), {
      what: 'the removal finished',
    });
    await waitFor(() => (readState(dir).instances['web#1'] === undefined ? true : null), {
      what: 'its record deleted',
    });
    assert.equal(readState(dir).specs['web#1'], undefined);
    assert.equal(statusOf(sup, 'web')?.pid, statuses[0]!.pid, 'the kept replica is untouched');

    await sup.applySpecs([spec(raw, 2)]);
    const s = await waitFor(
      () => {
        const st = statusOf(sup, 'web#1');
        return st?.state === 'running' ? st : null;
      },
      { what: 'web#1 started by the later count' },
    );
    trackPid(s.pgid ?? undefined, true);
    assert.notEqual(s.pid, old);
  });
});
