/**
 * Restarts paced by boot (agent/instance/boot-slots.ts): no more restarts of handlers with a readiness signal
 * are between their old process's stop and their new process's readiness at once than the agent allows; a
 * slot is given back at readiness, at a failed start, or after BOOT_HOLD_MS.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { BOOT_HOLD_MS, BootSlots } from '../../agent/instance/boot-slots.js';
import type { HandlerSpec } from '../../shared/spec.js';
import { instanceSpecHash } from '../../shared/spec-hash.js';
import { isAlive } from '../../shared/proc.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import type { Handle, SpawnRequest, Spawned } from '../../agent/process/backend.js';
import { BackendDecorator } from '../../agent/process/decorator.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { freePort, lines, spec, supervisors } from './health-helpers.js';

/** Resolved promises' settling: the microtasks queued so far run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('boot slots', () => {
  it('grants at most `capacity` slots, then the next in the order asked as each is given back', async () => {
    const slots = new BootSlots(2, new ManualClock());
    const got: number[] = [];
    const releases: Array<() => void> = [];
    for (const i of [1, 2, 3, 4])
      void slots.acquire().then((r) => {
        got.push(i);
        releases[i] = r.release;
      });
    await settle();
    assert.deepEqual(got, [1, 2]);
    releases[2]!();
    releases[2]!(); // a second release gives nothing more away
    await settle();
    assert.deepEqual(got, [1, 2, 3]);
    releases[1]!();
    await settle();
    assert.deepEqual(got, [1, 2, 3, 4]);
  });

  it('takes back a slot held longer than BOOT_HOLD_MS from its spawn (a boot that never says it is ready)', async () => {
    const clock = new ManualClock();
    const slots = new BootSlots(1, clock);
    const late = await slots.acquire();
    let next = false;
    void slots.acquire().then(() => (next = true));
    clock.advance(5 * BOOT_HOLD_MS); // the old process still stopping: held however long that takes
    await settle();
    assert.equal(next, false);
    late.booting();
    clock.advance(BOOT_HOLD_MS - 1);
    await settle();
    assert.equal(next, false);
    clock.advance(1);
    await settle();
    assert.equal(next, true);
    late.release(); // given back after the hold ended: nothing changes
    let third = false;
    void slots.acquire().then(() => (third = true));
    await settle();
    assert.equal(third, false, 'the slot passed on is still held');
  });

  it('tells the holder when its hold ended: the slot is no longer its own', async () => {
    const clock = new ManualClock();
    const slots = new BootSlots(1, clock);
    let lapsed = 0;
    const first = await slots.acquire(() => lapsed++);
    let next = false;
    void slots.acquire().then(() => (next = true));
    first.booting();
    clock.advance(BOOT_HOLD_MS);
    await settle();
    assert.deepEqual([lapsed, next], [1, true]);
    first.booting(); // a late spawn of the lapsed holder arms nothing
    first.release(); // given back late: no second lapse, nothing handed on
    clock.advance(BOOT_HOLD_MS);
    assert.equal(lapsed, 1);
  });

  it('capacity 0 does not pace', async () => {
    const slots = new BootSlots(0, new ManualClock());
    await Promise.all([slots.acquire(), slots.acquire(), slots.acquire()]);
  });
});

const statusOf = (sup: Supervisor, name: string) => sup.status().find((s) => s.instance === name)!;

/** `n` HTTP handlers with a health check, each recording its readiness (epoch ms); all running. */
async function httpHandlers(
  sup: Supervisor,
  n: number,
  dir: string,
  env: Record<string, string> = {},
): Promise<HandlerSpec[]> {
  const specs: HandlerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    specs.push(
      spec({
        name: `web${i}`,
        command: [process.execPath, fixture('http-server.mjs')],
        env: { ...env, PORT: String(port), READY_LOG: path.join(dir, `web${i}.ready`) },
        start_seconds: 0,
        health: { http: `http://127.0.0.1:${port}/`, interval: '1s' },
      }),
    );
  }
  await sup.applySpecs(specs);
  await waitFor(() => specs.every((s) => statusOf(sup, s.name).state === 'running'), {
    what: 'the handlers running',
  });
  return specs;
}

describe('restarts paced by boot', function () {
  this.timeout(60_000);
  const sups = supervisors();
  afterEach(() => sups.close());

  /**
   * Runs `restart` on every handler at once and returns, per handler, when its old process ended (polled from
   * here) and when its new one listened (its own record), in the order they went down.
   */
  async function restartAll(
    sup: Supervisor,
    specs: HandlerSpec[],
    dir: string,
    restart: (s: HandlerSpec) => Promise<unknown>,
  ): Promise<Array<{ name: string; down: number; ready: number }>> {
    const oldPids = new Map(specs.map((s) => [s.name, statusOf(sup, s.name).pid!]));
    const downAt = new Map<string, number>();
    const poll = setInterval(() => {
      for (const [n, pid] of oldPids) if (!downAt.has(n) && !isAlive(pid)) downAt.set(n, Date.now());
    }, 2);
    try {
      await Promise.all(specs.map(restart));
    } finally {
      clearInterval(poll);
    }
    // The new processes' readiness, from their own records (the last line: the new process).
    const readyOf = (n: string): number =>
      (JSON.parse(lines(path.join(dir, `${n}.ready`)).at(-1)!) as { ready: number }).ready;
    return specs
      .map(({ name }) => ({ name, down: downAt.get(name)!, ready: readyOf(name) }))
      .sort((a, b) => a.down - b.down);
  }

  it('rollout steps stop each old process only once the boot before it is ready (1 slot)', async () => {
    const dir = tempDir();
    const sup = await sups.make({ bootConcurrency: 1 });
    const specs = await httpHandlers(sup, 3, dir);
    const order = await restartAll(sup, specs, dir, (s) => sup.updateInstance(s.name, s));
    for (let k = 1; k < order.length; k++) {
      const [prev, cur] = [order[k - 1]!, order[k]!];
      assert.ok(
        cur.down >= prev.ready,
        `${cur.name} went down at ${cur.down} before ${prev.name}'s new process was ready at ${prev.ready}`,
      );
    }
  });

  it('a stop that outlasts the hold keeps the slot: the next step stops its process only once the new one before it is ready', async () => {
    const dir = tempDir();
    // Each old process takes 2.5 s to exit after SIGTERM (its port closed at once): longer than the hold.
    const sup = await sups.make({ bootConcurrency: 1, bootHoldMs: 2000 });
    const specs = await httpHandlers(sup, 2, dir, { STOP_DELAY_MS: '2500' });
    const order = await restartAll(sup, specs, dir, (s) => sup.updateInstance(s.name, s));
    const [first, second] = order;
    // When the second step sent its stop: its last STOPPING (epoch ms, whole).
    const stopping = statusOf(sup, second!.name)
      .events.filter((e) => e.type === 'STOPPING')
      .at(-1)!;
    assert.ok(
      stopping.at >= Math.floor(first!.ready),
      `${second!.name} was told to stop at ${stopping.at}, before ${first!.name}'s new process was ready at ` +
        `${first!.ready} (epoch ms)`,
    );
  });

  for (const kind of ['restart', 'update'] as const) {
    it(`an operator's stop that comes while a rollout step (${kind}) waits for its slot wins: nothing is booted only to be stopped`, async () => {
      const dir = tempDir();
      // The first step's old process takes 1 s to exit after SIGTERM, holding the one slot meanwhile.
      const sup = await sups.make({ bootConcurrency: 1 });
      const [a, b] = await httpHandlers(sup, 2, dir, { STOP_DELAY_MS: '1000' });
      const next = (s: HandlerSpec): HandlerSpec =>
        kind === 'restart' ? s : { ...s, env: { ...s.env, GENERATION: '2' } };
      const stepA = sup.updateInstance(a!.name, next(a!));
      await waitFor(() => statusOf(sup, a!.name).state === 'stopping', { what: `${a!.name} stopping` });
      const stepB = sup.updateInstance(b!.name, next(b!));
      // A few turns of the event loop: b's step is now waiting for the slot, inside its lifecycle turn.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      assert.equal(statusOf(sup, b!.name).state, 'running', `${b!.name} still serving while its step waits`);
      const stopped = await sup.stop(b!.name);
      assert.equal(stopped.state, 'stopped');
      assert.equal((await stepB).state, 'stopped', 'the step reports it stopped (the rollout skips it)');
      assert.equal(lines(path.join(dir, `${b!.name}.ready`)).length, 1, `${b!.name} was never booted again`);
      if (kind === 'update')
        assert.equal(statusOf(sup, b!.name).spec_hash, instanceSpecHash(next(b!)), 'the new spec is stored');
      await stepA;
      assert.equal(statusOf(sup, a!.name).state, 'running');
    });
  }

  it('a plain restart (gov restart) is not paced: the old processes go down together', async () => {
    const dir = tempDir();
    const sup = await sups.make({ bootConcurrency: 1 });
    const specs = await httpHandlers(sup, 3, dir);
    const order = await restartAll(sup, specs, dir, (s) => sup.restart(s.name));
    assert.ok(
      order[1]!.down < order[0]!.ready,
      `${order[1]!.name} went down only after ${order[0]!.name}'s new process was ready`,
    );
  });
});

describe('restarts paced by boot: an agent shutdown', function () {
  this.timeout(60_000);

  it('leaves the handlers of the rollout steps still waiting for a slot running (none is stopped)', async () => {
    const dir = tempDir();
    const sup = await Supervisor.create({ dataDir: tempDir(), pollIntervalMs: 50, bootConcurrency: 1 });
    try {
      const specs = await httpHandlers(sup, 3, dir);
      const pids = new Map(specs.map((s) => [s.name, statusOf(sup, s.name).pid!]));
      for (const s of specs) trackPid(statusOf(sup, s.name).pgid ?? undefined, true);
      const steps = new Map(specs.map((s) => [s.name, sup.updateInstance(s.name, s).catch(() => undefined)]));
      // One step holds the slot (its old process stopping); the others wait for it, still serving.
      await waitFor(() => specs.some((s) => statusOf(sup, s.name).state !== 'running'), { what: 'a step' });
      const waiting = specs.filter((s) => statusOf(sup, s.name).state === 'running').map((s) => s.name);
      assert.equal(waiting.length, 2);
      await sup.shutdown(); // hands the slot on to a waiting step
      // The waiting steps end (the one under way stays with its boot: the agent is gone before its readiness).
      let ended = false;
      void Promise.all(waiting.map((n) => steps.get(n))).then(() => (ended = true));
      await waitFor(() => ended, { timeoutMs: 20_000, what: 'the waiting steps to end at the shutdown' });
      for (const n of waiting)
        assert.ok(isAlive(pids.get(n)!), `${n}'s handler was stopped by its rollout step after the shutdown`);
    } finally {
      await sup.shutdown();
      for (const s of sup.status()) trackPid(s.pgid ?? undefined, true); // the new process of the step begun
    }
  });
});

describe('restarts paced by boot: a failed stop', function () {
  this.timeout(60_000);

  /** Spawns for real; every group signal to `web0`'s processes is refused (a stop fails: STOP_FAILED). */
  class RefusesWeb0 extends BackendDecorator {
    private readonly refused = new Set<number>();
    override spawn(req: SpawnRequest): Spawned {
      const sp = this.inner.spawn(req);
      trackPid(sp.handle.pgid, true);
      if (req.name === 'web0') this.refused.add(sp.handle.pgid);
      return sp;
    }
    override signalGroup(h: Handle, signal: NodeJS.Signals): boolean {
      return this.refused.has(h.pgid) ? false : this.inner.signalGroup(h, signal);
    }
  }

  it('gives the slot back at once when an update step (a new spec) fails to stop the old process', async () => {
    const dir = tempDir();
    const sup = await Supervisor.create({
      dataDir: tempDir(),
      pollIntervalMs: 50,
      bootConcurrency: 1,
      bootHoldMs: 3_600_000, // a slot comes back only when given back
      backend: new RefusesWeb0(new LinuxBackend()),
    });
    try {
      const specs = await httpHandlers(sup, 2, dir);
      const next = specs.map((s) => ({ ...s, env: { ...s.env, VERSION: '2' } }));
      await assert.rejects(sup.updateInstance('web0', next[0]!), /cannot stop web0/);
      // Held until its hour-long hold ended, the slot would keep web1's step waiting (the wait fails).
      const old = statusOf(sup, 'web1').pid!;
      const step = sup.updateInstance('web1', next[1]!);
      await waitFor(() => !isAlive(old), {
        timeoutMs: 20_000,
        what: "web1's step, given the slot web0's failed step gave back",
      });
      await step;
    } finally {
      await sup.stop('web1').catch(() => undefined);
      await sup.shutdown();
    }
  });
});
