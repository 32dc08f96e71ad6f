/**
 * A burst of spawns never holds the agent's event loop for the whole burst: the link's keepalive and
 * heartbeats are served between two spawns (process/spawn-pacer.ts).
 */
import assert from 'node:assert/strict';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { SpawnPacer } from '../../agent/process/spawn-pacer.js';
import type { SpawnRequest, Spawned } from '../../agent/process/backend.js';
import { parseHandler } from '../../shared/spec.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';

/** Counts turns of the event loop (one setImmediate after another) until stopped. */
function loopTurns(): { count: () => number; stop: () => void } {
  let n = 0;
  let on = true;
  const tick = (): void => {
    n++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return { count: () => n, stop: () => (on = false) };
}

describe('spawn pacing', () => {
  it('turns are taken one after another with the event loop turning in between', async () => {
    const pacer = new SpawnPacer();
    const order: string[] = [];
    await Promise.all(
      [1, 2, 3].map((i) =>
        pacer.turn().then(() => {
          order.push(`spawn${i}`);
          // Work the loop has to run before the next spawn: what the link's I/O is.
          setImmediate(() => order.push(`io${i}`));
        }),
      ),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['spawn1', 'io1', 'spawn2', 'io2', 'spawn3', 'io3']);
  });

  it('a stop while a restart waits for its spawn turn wins: nothing is spawned and the instance ends stopped', async () => {
    const sup = await Supervisor.create({ dataDir: tempDir(), pollIntervalMs: 50 });
    const turn = Object.getOwnPropertyDescriptor(SpawnPacer.prototype, 'turn')!.value as SpawnPacer['turn'];
    try {
      const [st] = await sup.applySpecs([
        parseHandler(
          { name: 'r', command: ['sleep', '600'], restart: 'always', start_seconds: 0 },
          'handlers[0]',
          'test',
        ),
      ]);
      trackPid(st?.pgid || undefined, true);
      // Every later turn waits at a gate: the restart after the kill below is queued there.
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let queued: Promise<void> | null = null;
      SpawnPacer.prototype.turn = function (this: SpawnPacer) {
        queued = gate.then(() => turn.call(this));
        return queued;
      };
      process.kill(st!.pid!, 'SIGKILL');
      await waitFor(() => queued !== null, { what: 'the restart policy queued a spawn' });
      const stopping = sup.stop('r');
      await new Promise((r) => setImmediate(r));
      open();
      await queued;
      const after = await stopping;
      await new Promise((r) => setImmediate(r));
      const now = sup.status('r')[0]!;
      assert.equal(after.state, 'stopped');
      assert.equal(now.state, 'stopped', JSON.stringify(now.events?.map((e) => e.message)));
      assert.ok(!now.pid, 'no process');
      const types = (now.events ?? []).map((e) => e.type);
      assert.ok(!types.slice(types.lastIndexOf('EXITED')).includes('STARTED'), types.join(' '));
    } finally {
      SpawnPacer.prototype.turn = turn;
      await sup.shutdown();
    }
  });

  it('an apply of many handlers lets the event loop turn between every two spawns', async () => {
    const turnsAtSpawn: number[] = [];
    const turns = loopTurns();
    class Recording extends LinuxBackend {
      override spawn(req: SpawnRequest): Spawned {
        turnsAtSpawn.push(turns.count());
        return super.spawn(req);
      }
    }
    const sup = await Supervisor.create({ dataDir: tempDir(), backend: new Recording(), pollIntervalMs: 50 });
    try {
      const specs = Array.from({ length: 8 }, (_, i) =>
        parseHandler(
          { name: `h${i}`, command: ['sleep', '600'], start_seconds: 0 },
          `handlers[${i}]`,
          'test',
        ),
      );
      const out = await sup.applySpecs(specs);
      for (const s of out) trackPid(s.pgid || undefined, true);
      assert.equal(turnsAtSpawn.length, 8);
      for (let i = 1; i < turnsAtSpawn.length; i++)
        assert.ok(turnsAtSpawn[i]! > turnsAtSpawn[i - 1]!, `the loop turned between spawn ${i} and ${i + 1}`);
    } finally {
      turns.stop();
      await sup.shutdown();
    }
  });
});
