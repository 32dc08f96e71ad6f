/**
 * A spawn the agent's environment refuses (its data dir read-only or full for a moment, no descriptors) is a
 * failed start: backoff, retried, then `fatal` after start_retries; it is not fatal at once, so a handler
 * comes back once the environment does.
 */
import assert from 'node:assert/strict';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import type { SpawnRequest, Spawned } from '../../agent/process/backend.js';
import { waitFor } from '../helpers/common.js';
import { spec, supervisors } from './health-helpers.js';

/** A backend whose next `failures` spawns fail as opening a log on a read-only file system does. */
class ReadOnlyForAWhile extends LinuxBackend {
  constructor(public failures: number) {
    super();
  }
  override spawn(req: SpawnRequest): Spawned {
    if (this.failures-- > 0)
      throw Object.assign(new Error(`EROFS: read-only file system, open '${req.stdoutLog}'`), {
        code: 'EROFS',
      });
    return super.spawn(req);
  }
}

describe('a spawn the environment refuses', () => {
  const s = supervisors();
  afterEach(() => s.close());

  const handler = (start_retries: number) =>
    spec({
      name: 'web',
      command: ['sleep', '30'],
      restart: 'always',
      start_seconds: 0,
      start_retries,
      backoff: { initial: '50ms', max: '100ms' },
    });

  it('backs off and retries: the handler runs once the data dir is writable again', async () => {
    const sup = await s.make({ backend: new ReadOnlyForAWhile(2) });
    await sup.applySpecs([handler(3)]);
    const st = await waitFor(() => sup.status('web').find((x) => x.state === 'running' && x.pid), {
      what: 'web running after two refused spawns',
    });
    const types = st.events.map((e) => e.type);
    assert.equal(types.filter((t) => t === 'SPAWN_FAILED').length, 2, JSON.stringify(st.events));
    assert.ok(types.includes('BACKOFF'), JSON.stringify(types));
    assert.ok(!types.includes('FATAL'));
  });

  it('still ends fatal after start_retries when the environment does not recover', async () => {
    const sup = await s.make({ backend: new ReadOnlyForAWhile(100) });
    await sup.applySpecs([handler(2)]);
    const st = await waitFor(() => sup.status('web').find((x) => x.state === 'fatal'), {
      what: 'web fatal',
    });
    assert.equal(st.events.filter((e) => e.type === 'SPAWN_FAILED').length, 3, JSON.stringify(st.events));
    assert.match(st.events.at(-1)!.message, /EROFS.*3 failed starts in a row \(start_retries: 2\)/);
  });
});
