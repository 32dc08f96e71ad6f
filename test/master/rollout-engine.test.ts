/**
 * The rollout engine against a fake fleet (no processes): batches in order, failure policies (pause →
 * resume, abort, rollback), admin pause/abort, and recovery of an in-flight rollout after a restart.
 */
import assert from 'node:assert/strict';
import { emptyMasterState, type StateStore } from '../../master/state/store.js';
import { continueWhenConnected } from '../../master/rollout/continue.js';
import { RolloutEngine } from '../../master/rollout/engine.js';
import { RolloutStore } from '../../master/rollout/store.js';
import { silentLogger } from '../../shared/logger.js';
import { waitFor } from '../helpers/common.js';
import { FakeFleet, UPDATE, restartAll, restartedEngine, settled, setup, updateTo } from './rollout-fakes.js';

describe('rollout engine (fake fleet)', () => {
  it('restarts batch by batch, each instance once, and succeeds', async () => {
    const { fleet, engine } = setup();
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['succeeded']);
    assert.equal(fleet.commands.length, 6);
    assert.deepEqual(
      done.instances.map((i) => i.state),
      Array(6).fill('healthy'),
    );
    assert.ok(done.instances.every((i) => i.new_pid !== i.old_pid && i.new_pid > 0));
    // Batch k+1 starts after batch k waited min_healthy_time.
    for (let b = 1; b < done.batches.length; b++) {
      assert.ok(Date.parse(done.batches[b]!.started_at) >= Date.parse(done.batches[b - 1]!.done_at));
    }
    engine.assertIdle('web'); // a finished rollout does not block the next one
  });

  it('on_failure rollback: stops after the first batch and puts only that batch back', async () => {
    const { fleet, engine } = setup();
    const v2 = fleet.addVersion({ env: { V: '2', BROKEN: '1' } }, { ...UPDATE, on_failure: 'rollback' });
    const r = await updateTo(fleet, engine, v2);
    assert.deepEqual(engine.heldHandlers(), ['web']);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'rolled_back', done.error);
    assert.match(done.error, /instance web@edge-1 failed: backoff after EXITED code=1/);
    const first = done.batches[0]!.instances;
    assert.deepEqual(
      fleet.commands.map((c) => `${c.instance}:${c.version}`),
      [...first.map((i) => `${i}:2`), ...first.map((i) => `${i}:1`)],
    );
    assert.deepEqual(
      done.instances.map((i) => i.state),
      ['rolled_back', 'rolled_back', 'skipped', 'skipped', 'skipped', 'skipped'],
    );
    assert.equal(done.rollback_version, 3);
    assert.deepEqual(engine.heldHandlers(), []);
  });

  it('on_failure pause: waits; resume after a fix completes it', async () => {
    const { fleet, engine } = setup();
    const v2 = fleet.addVersion({ env: { V: '2', BROKEN: '1' } }, { ...UPDATE, on_failure: 'pause' });
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    const paused = await settled(engine, r.id, ['paused']);
    assert.equal(paused.current_batch, 0);
    assert.equal(fleet.commands.length, 2);
    assert.throws(() => engine.assertIdle('web'), /paused/);
    delete v2.spec.env.BROKEN; // "the fix"
    await engine.resume(r.id);
    const done = await settled(engine, r.id, ['succeeded', 'paused']);
    assert.equal(done.state, 'succeeded', done.error);
    assert.equal(fleet.commands.length, 8);
    assert.ok(done.instances.every((i) => i.state === 'healthy'));
  });

  it('on_failure abort: ends aborted naming the instance; later batches never start', async () => {
    const { fleet, engine } = setup();
    const v2 = fleet.addVersion({ env: { V: '2', BROKEN: '1' } }, { ...UPDATE, on_failure: 'abort' });
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['aborted']);
    assert.match(done.error, /web@edge-1 failed/);
    assert.equal(fleet.commands.length, 2);
    assert.deepEqual(engine.heldHandlers(), ['web'], 'a non-converged update keeps holding the handler');
  });

  it('a restart of some instances after an aborted update keeps holding the handler; one of all of them releases it', async () => {
    const { fleet, engine } = setup();
    const v2 = fleet.addVersion({ env: { V: '2', BROKEN: '1' } }, { ...UPDATE, on_failure: 'abort' });
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    await settled(engine, r.id, ['aborted']);
    delete v2.spec.env.BROKEN; // the rest stays on version 1 until a rollout moves it
    const v1 = fleet.versions[0]!;
    const some = await engine.create({
      kind: 'restart',
      handlers: [{ handler: 'web', from: v1, to: v1, only: new Set(['edge-1/web']) }],
      issuedBy: 't',
    });
    engine.run(some.id);
    assert.equal((await settled(engine, some.id, ['succeeded', 'aborted'])).state, 'succeeded');
    assert.deepEqual(engine.heldHandlers(), ['web'], 'the other instances still run the spec they ran');
    const all = await restartAll(fleet, engine);
    engine.run(all.id);
    assert.equal((await settled(engine, all.id, ['succeeded', 'aborted'])).state, 'succeeded');
    assert.deepEqual(engine.heldHandlers(), [], 'every instance was stepped: converged');
    // A replica started since (count raised: no rollout) does not bring the hold back.
    fleet.views.push({
      ...fleet.view('edge-1/web'),
      status: { ...fleet.view('edge-1/web').status, instance: 'web#2', index: 2 },
    });
    assert.deepEqual(engine.heldHandlers(), []);
  });

  it('a restart of instances a rollout is moving is refused naming it; a paused one moves nothing, so it may', async () => {
    const { fleet, engine } = setup({ ...UPDATE, batch_size: 1, min_healthy_time: '300ms' });
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    const mine = [{ handler: 'web', agent: 'edge-2', key: 'web#1' }];
    assert.throws(
      () => engine.assertNotRolling(mine),
      new RegExp(
        `^StateError: web#1@edge-2: rollout ${r.id} is (pending|running) and moves it in batch \\d of 6, not done yet; wait for it, or gov rollout pause\\|abort ${r.id} first$`,
      ),
    );
    assert.doesNotThrow(() => engine.assertNotRolling([{ handler: 'api', agent: 'edge-2', key: 'api' }]));
    await engine.pause(r.id, 'admin');
    await settled(engine, r.id, ['paused']);
    assert.doesNotThrow(() => engine.assertNotRolling(mine));
    await engine.abort(r.id, 'admin');
  });

  it('a restart of an instance whose batch is done is allowed while the rollout runs; one waiting or under way is refused naming its batch', async () => {
    // One instance a batch; each stays under way for min_healthy_time.
    const { fleet, engine } = setup({
      ...UPDATE,
      batch_size: 1,
      min_healthy_time: '2s',
      healthy_deadline: '20s',
    });
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    const mid = await waitFor(() => {
      const x = engine.get(r.id);
      return x.instances[0]!.state === 'healthy' && x.instances[1]!.state === 'in_progress' ? x : null;
    });
    const target = (n: number) => {
      const i = mid.instances[n]!;
      return [{ handler: 'web', agent: i.agent, key: i.instance }];
    };
    assert.doesNotThrow(() => engine.assertNotRolling(target(0)), 'batch 1 is done');
    assert.throws(
      () => engine.assertNotRolling(target(1)),
      new RegExp(`rollout ${r.id} is running and is moving it now \\(batch 2 of 6\\); wait for it`),
    );
    assert.throws(
      () => engine.assertNotRolling(target(5)),
      new RegExp(`rollout ${r.id} is running and moves it in batch 6 of 6, not done yet; wait for it`),
    );
    await engine.abort(r.id, 'admin');
  });

  it('a rollback refuses a restart only of the instances it has yet to put back', async () => {
    const { fleet, engine } = setup({
      ...UPDATE,
      on_failure: 'rollback',
      min_healthy_time: '2s',
      healthy_deadline: '20s',
    });
    const v2 = fleet.addVersion({ env: { V: '2', BROKEN: '1' } }, { ...UPDATE, on_failure: 'rollback' });
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    // Batch 1 (2 instances) crashes on version 2; their rollback steps wait out min_healthy_time.
    const rolling = await waitFor(() => {
      const x = engine.get(r.id);
      return x.state === 'rolling_back' && x.instances.some((i) => i.state === 'in_progress') ? x : null;
    });
    const [changed, untouched] = [rolling.instances[0]!, rolling.instances[4]!];
    assert.equal(changed.changed, true);
    assert.equal(untouched.state, 'skipped');
    assert.throws(
      () => engine.assertNotRolling([{ handler: 'web', agent: changed.agent, key: changed.instance }]),
      new RegExp(`rollout ${r.id} is rolling_back and rolls it back; wait for it`),
    );
    assert.doesNotThrow(() =>
      engine.assertNotRolling([{ handler: 'web', agent: untouched.agent, key: untouched.instance }]),
    );
    await engine.abort(r.id, 'admin');
  });

  it('a disconnected agent fails its step and the rollout follows on_failure', async () => {
    const { fleet, engine } = setup({ ...UPDATE, on_failure: 'abort' });
    fleet.disconnected.add('edge-2');
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['aborted']);
    assert.match(done.error, /edge-2 failed: error: agent gone/);
  });

  it('pause and abort from an admin; wrong-state calls are refused', async () => {
    const { fleet, engine } = setup({ ...UPDATE, min_healthy_time: '100ms' });
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    await engine.pause(r.id, 'admin');
    const paused = await settled(engine, r.id, ['paused']);
    assert.equal(paused.current_batch, 1, 'pauses before the next batch');
    await assert.rejects(engine.resume('nope'), /unknown rollout/);
    const aborted = await engine.abort(r.id, 'admin');
    assert.equal(aborted.state, 'aborted');
    await assert.rejects(engine.resume(r.id), /only a paused rollout/);
    await assert.rejects(engine.abort(r.id, 'admin'), /already aborted/);
  });

  it('a resume that lands while the loop is still saving its pause drives the rollout to the end', async () => {
    const fleet = new FakeFleet(['edge-1', 'edge-2', 'edge-3'], 2, { ...UPDATE, min_healthy_time: '100ms' });
    const data = emptyMasterState();
    let hold: (() => boolean) | null = null;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store: StateStore = {
      data,
      update: async (fn) => {
        fn(data);
        if (hold?.()) await gate; // the save of the pause is held until the resume was called
      },
      flush: async () => {},
      saveExecutions: async () => {},
    };
    const engine = new RolloutEngine(fleet, new RolloutStore(store), silentLogger, { pollMs: 5 });
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    await engine.pause(r.id, 'admin');
    hold = () => engine.get(r.id).state === 'paused';
    await settled(engine, r.id, ['paused']);
    hold = null;
    await engine.resume(r.id); // while the loop that paused has not returned yet
    release();
    const done = await settled(engine, r.id, ['succeeded']);
    assert.equal(fleet.commands.length, 6, 'every instance restarted once');
    assert.ok(done.instances.every((i) => i.state === 'healthy'));
  });

  it('a rollout in flight when the master stopped comes back paused and resumes to the end', async () => {
    const { fleet, data, engine } = setup({ ...UPDATE, min_healthy_time: '100ms' });
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    await waitFor(() => engine.get(r.id).instances.some((i) => i.state === 'in_progress'));
    engine.close(); // the "crash": nothing more is written
    const engine2 = restartedEngine(fleet, data);
    await engine2.restore();
    const back = engine2.get(r.id);
    assert.equal(back.state, 'paused');
    assert.match(back.error, /interrupted while running/);
    await engine2.resume(r.id);
    const done = await settled(engine2, r.id, ['succeeded']);
    assert.ok(done.instances.every((i) => i.state === 'healthy'));
  });

  it('a pause an operator asked for before the master stopped is kept: a new HA leader does not continue that rollout', async () => {
    const { fleet, data, engine } = setup({ ...UPDATE, min_healthy_time: '300ms' });
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    await waitFor(() => fleet.commands.length === 2); // batch 1 waits out min_healthy_time
    const asked = await engine.pause(r.id, 'admin'); // acknowledged: pauses before batch 2
    assert.equal(asked.pause_requested, true);
    engine.close(); // the leader dies before batch 1 is done
    const engine2 = restartedEngine(fleet, data);
    const interrupted = await engine2.restore();
    continueWhenConnected(engine2, interrupted, () => true, silentLogger, 1000);
    const back = engine2.get(r.id);
    assert.equal(back.state, 'paused', 'the new leader continued a rollout an operator had paused');
    assert.deepEqual(interrupted, [], 'not among the rollouts a new leader continues');
    assert.match(back.error, /pause .*asked for/);
    assert.equal(fleet.commands.length, 2, 'no step of batch 2 was sent');
    // The operator resumes: the interrupted batch and the rest run, each instance restarted once.
    await engine2.resume(r.id);
    await settled(engine2, r.id, ['succeeded']);
    assert.equal(fleet.commands.length, 6);
  });

  it('a step the stopped master was carrying out sends its stored command again, never a second restart', async () => {
    const { fleet, data, engine } = setup({ ...UPDATE, min_healthy_time: '300ms' });
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    // The first batch's commands were carried out; its steps wait out min_healthy_time.
    await waitFor(() => fleet.commands.length === 2);
    engine.close();
    const engine2 = restartedEngine(fleet, data);
    await engine2.restore();
    await engine2.resume(r.id);
    await settled(engine2, r.id, ['succeeded']);
    const first = fleet.commands.slice(0, 2).map((c) => c.instance);
    assert.deepEqual(
      fleet.redelivered.map((x) => x.split(' ')[0]).sort(),
      [...first].sort(),
      'the interrupted steps were sent again by their stored command ids',
    );
    const counts = new Map<string, number>();
    for (const c of fleet.commands) counts.set(c.instance, (counts.get(c.instance) ?? 0) + 1);
    assert.equal(counts.size, 6);
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      `each instance restarted once: ${JSON.stringify([...counts])}`,
    );
  });

  it('an interrupted step its agent carried out is not sent again; one whose process was replaced meanwhile fails', async () => {
    const { fleet, data, engine } = setup({ ...UPDATE, min_healthy_time: '300ms', on_failure: 'abort' });
    fleet.agentLike = true;
    const r = await restartAll(fleet, engine);
    engine.run(r.id);
    await waitFor(() => fleet.commands.length === 2); // batch 1 carried out, waiting out min_healthy_time
    engine.close();
    // While no master watches, batch 1's first process crashes and its restart policy starts another.
    const [crashed, kept] = fleet.commands.map((c) => c.instance);
    const v = fleet.view(crashed!);
    v.status = {
      ...v.status,
      pid: 99_999,
      restarts: (v.status.restarts ?? 0) + 1,
      last_exit: { code: 1, signal: '', at: '' },
    };
    const engine2 = restartedEngine(fleet, data);
    await engine2.restore();
    await engine2.resume(r.id);
    const done = await settled(engine2, r.id, ['aborted']);
    const step = (key: string) => done.instances.find((i) => `${i.agent}/${i.instance}` === key)!;
    assert.match(
      step(crashed!).reason,
      /^process replaced while the master was away \(2 restarts since the step began\) after EXITED code=1$/,
    );
    assert.equal(step(kept!).state, 'healthy', 'its own process judged: healthy');
    assert.deepEqual(fleet.redelivered, [], 'nothing sent again');
    assert.equal(fleet.commands.length, 2, 'no second restart, no batch 2');
    for (const id of ['constructor', 'toString']) assert.throws(() => engine2.get(id), /unknown rollout/);
  });
});
