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
import { logLines, pidSignalsSpec, signalsOf } from './pid-signal-helpers.js';

const spec = (raw: Record<string, unknown>, count: number): HandlerSpec =>
  parseHandler({ ...raw, count }, 'handlers[0]', 't');

describe('an instance an apply removes', function () {
  this.slow(5000);
  const sups: Supervisor[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });

  async function agentOn(dir: string): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir: dir, pollIntervalMs: 50 });
    sups.push(sup);
    return sup;
  }

  /** The status of instance `key`, if the agent has it. */
  const statusOf = (sup: Supervisor, key: string) => sup.status().find((s) => s.instance === key);

  it('is started afresh when an apply wants it back while it is being removed', async () => {
    const log = path.join(tempDir(), 'pids.log');
    // It ignores SIGTERM: its removal lasts the stop_timeout.
    const raw = { ...pidSignalsSpec('web', log), stop_timeout: '1500ms' };
    const dir = tempDir();
    const sup = await agentOn(dir);
    const first = await sup.applySpecs([spec(raw, 2)]);
    for (const s of first) trackPid(s.pgid ?? undefined, true);
    const old = first.find((s) => s.instance === 'web#1')!.pid!;
    await waitFor(() => (logLines(log).some(([r, p]) => r === 'main' && p === old) ? true : null), {
      what: 'web#1 logged its start (its signal handlers are in place)',
    });
    const down = sup.applySpecs([spec(raw, 1)]);
    await waitFor(() => (signalsOf(log, old).includes('SIGTERM') ? true : null), {
      what: 'web#1 being stopped',
    });
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
    assert.equal(readState(dir).instances['web#1']?.desired, 'running', 'recorded wanted running');
  });

  it('whose removal an agent died in is finished at the next start, and a later count starts it afresh', async () => {
    const log = path.join(tempDir(), 'pids.log');
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
    const after = readState(dir);
    assert.equal(after.instances['web#1'], undefined, 'its record deleted');
    assert.equal(after.specs['web#1'], undefined);
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
