/**
 * One namespace per agent for handler instances and observed processes, enforced by the agent itself
 * (the authority, whatever the master believes): a handler applied under an observed process's name and
 * an attach under a handler's name are both refused, naming both, before anything changes.
 */
import assert from 'node:assert/strict';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { StateError } from '../../shared/errors.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid } from '../helpers/common.js';
import { outsideWorkload } from './observed-helpers.js';

const spec = (name: string) =>
  parseHandler({ name, command: [process.execPath, fixture('ticker.mjs')] }, 'handlers[0]');

describe('agent: a handler and an observed process never share a name', () => {
  const sups: Supervisor[] = [];
  async function supervisor(dataDir: string): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50 });
    sups.push(sup);
    return sup;
  }
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.mode !== 'observed' && s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });

  it('applying a handler named like an observed process is refused whole; nothing changes', async () => {
    const dir = tempDir();
    const w = await outsideWorkload(dir);
    const sup = await supervisor(dir);
    await sup.observed.attach(w.pid, 'legacy');
    await assert.rejects(
      sup.applySpecs([spec('other'), spec('legacy')]),
      (err: unknown) =>
        err instanceof StateError &&
        err.message.includes(`handler legacy and the observed process legacy (pid ${w.pid}) on this agent`),
    );
    assert.deepEqual(sup.specs(), [], 'no handler was added, not even the one without a clash');
    assert.deepEqual(
      sup.status().map((s) => [s.handler, s.mode]),
      [['legacy', 'observed']],
    );
  });

  it('attaching under the name of a handler (or one of its instance keys) is refused; nothing is observed', async () => {
    const dir = tempDir();
    const w = await outsideWorkload(dir);
    const sup = await supervisor(dir);
    await sup.applySpecs([{ ...spec('web'), count: 2 }]);
    for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
    await assert.rejects(
      sup.observed.attach(w.pid, 'web'),
      (err: unknown) =>
        err instanceof StateError &&
        err.message.includes(`handler web and the observed process web (pid ${w.pid})`),
    );
    await assert.rejects(sup.observed.attach(w.pid, 'web#1'), /not a valid name/);
    assert.equal(sup.observed.has('web'), false);
    assert.deepEqual(
      sup.status().map((s) => s.instance),
      ['web', 'web#1'],
    );
  });
});
