/**
 * `start_seconds` counts from the spawn (DESIGN §3, as supervisord's startsecs and as for an adopted instance):
 * what delays the report of a start (the handle's durable write, the main's lookup: 0.3-0.7 s each for 50
 * restarts at once on a busy disk) is not added to the window the handler must run through.
 */
import assert from 'node:assert/strict';
import type { Handle, MainProcess, SpawnRequest, Spawned } from '../../agent/process/backend.js';
import { BackendDecorator } from '../../agent/process/decorator.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid } from '../helpers/common.js';

/** The main process is found only `delayMs` after the spawn (a start reported late). */
class LateMain extends BackendDecorator {
  private readonly spawnedAt = new Map<number, number>();
  constructor(
    inner: LinuxBackend,
    private readonly delayMs: number,
  ) {
    super(inner);
  }
  override spawn(req: SpawnRequest): Spawned {
    const sp = this.inner.spawn(req);
    trackPid(sp.handle.pgid, true);
    this.spawnedAt.set(sp.handle.pid, Date.now());
    return sp;
  }
  override findMain(handle: Handle): MainProcess | null {
    const at = this.spawnedAt.get(handle.pid);
    return at !== undefined && Date.now() - at < this.delayMs ? null : this.inner.findMain(handle);
  }
}

describe('the start window counts from the spawn', () => {
  const sups: Supervisor[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) await sup.shutdown();
  });

  it('a start reported late is not kept starting for start_seconds more', async () => {
    const START_MS = 1000;
    const LATE_MS = 2000;
    const sup = await Supervisor.create({
      dataDir: tempDir(),
      backend: new LateMain(new LinuxBackend(), LATE_MS),
      pollIntervalMs: 50,
    });
    sups.push(sup);
    const spec = parseHandler(
      { name: 't', command: ['node', fixture('ticker.mjs')], start_seconds: START_MS / 1000 },
      'handlers[0]',
      'test',
    );
    const [st] = await sup.applySpecs([spec]);
    assert.equal(st?.state, 'running', JSON.stringify(st));
    const at = (type: string): number => {
      const e = sup.status('t')[0]!.events.find((x) => x.type === type);
      assert.ok(e, `a ${type} event: ${JSON.stringify(sup.status('t')[0]!.events)}`);
      return e.at;
    };
    const spawnedAt = sup.status('t')[0]!.started_at!;
    assert.ok(at('STARTED') - spawnedAt >= LATE_MS, 'the start was reported late');
    assert.ok(at('RUNNING') - spawnedAt >= START_MS, 'running no sooner than start_seconds after the spawn');
    // Before: RUNNING came start_seconds after STARTED; the window had passed by then, so it comes with it.
    assert.ok(
      at('RUNNING') - at('STARTED') < START_MS,
      `RUNNING ${at('RUNNING') - at('STARTED')} ms after STARTED, the window had passed at the report`,
    );
  });
});
