/**
 * Rollback and abort against the fake fleet (no processes): a rollback tries every instance that changed,
 * batch by batch, whatever failed before, and ends naming the ones it could not put back (then APPLY no
 * longer holds the handler, so their agents get the previous spec); only an instance whose command may have
 * reached its agent counts as changed; a rollback resumed after a master restart still says why it rolled
 * back; an abort keeps each finished step's outcome.
 */
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/common.js';
import { UPDATE, restartAll, restartedEngine, settled, setup, updateTo } from './rollout-fakes.js';

const ROLLBACK = { ...UPDATE, on_failure: 'rollback' };

describe('rollout rollback and abort (fake fleet)', () => {
  it('a rollback tries every changed instance past one it cannot reach, then ends failed naming it; APPLY no longer holds the handler', async () => {
    // Six instances on 3 agents, batches of 2: [edge-1/web edge-2/web] [edge-3/web edge-1/web#1] [...].
    const { fleet, engine } = setup(ROLLBACK);
    const v2 = fleet.addVersion({ env: { V: '2' } }, ROLLBACK);
    // edge-1's agent dies as batch 2 begins: its step there is never sent, and nor is a rollback to it.
    fleet.onCommand = () => {
      if (fleet.received === 3) fleet.down.add('edge-1');
    };
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'failed', done.error);
    assert.match(done.error, /instance web#1@edge-1 failed: error: agent edge-1 is not connected/);
    assert.match(done.error, /rolling back 3 instance\(s\)/, 'web#1@edge-1 never changed');
    assert.match(
      done.error,
      /rollback failed for 1 of 3 instance\(s\): web@edge-1 \(error: agent edge-1 is not connected .*not sent\)$/,
    );
    const state = (key: string) => done.instances.find((i) => `${i.agent}/${i.instance}` === key)!;
    assert.deepEqual(
      done.instances.map((i) => `${i.agent}/${i.instance} ${i.state}`),
      [
        'edge-1/web failed',
        'edge-2/web rolled_back',
        'edge-3/web rolled_back',
        'edge-1/web#1 failed',
        'edge-2/web#1 skipped',
        'edge-3/web#1 skipped',
      ],
    );
    assert.match(state('edge-1/web').reason, /^rollback: error: agent edge-1 is not connected/);
    // The rollback batch after the failing one ran, one batch (2 instances) at a time.
    assert.deepEqual(
      fleet.commands.filter((c) => c.version === '1').map((c) => c.instance),
      ['edge-2/web', 'edge-3/web'],
    );
    assert.ok(Date.parse(state('edge-3/web').started_at) >= Date.parse(state('edge-2/web').done_at));
    // The previous spec is current again and no longer held: the APPLY push that follows edge-1's
    // reconnection (or the next apply) brings it to web@edge-1.
    assert.deepEqual(fleet.spec('web')!.spec.env, { V: '1' });
    assert.deepEqual(engine.heldHandlers(), []);
    engine.assertIdle('web');
  });

  it('an instance whose command was never sent (agent down) is not rolled back; the rest rolls back', async () => {
    const { fleet, engine } = setup(ROLLBACK);
    fleet.down.add('edge-2');
    const v2 = fleet.addVersion({ env: { V: '2' } }, ROLLBACK);
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'rolled_back', done.error);
    assert.match(done.error, /instance web@edge-2 failed: .*not sent; rolling back 1 instance\(s\)/);
    assert.deepEqual(
      fleet.commands.map((c) => `${c.instance}:${c.version}`),
      ['edge-1/web:2', 'edge-1/web:1'],
    );
    assert.deepEqual(
      done.instances.slice(0, 2).map((i) => i.state),
      ['rolled_back', 'failed'],
    );
  });

  it('a command sent whose answer never came counts as changed and is rolled back', async () => {
    const { fleet, engine } = setup(ROLLBACK);
    const v2 = fleet.addVersion({ env: { V: '2' } }, ROLLBACK);
    fleet.disconnected.add('edge-2'); // its link drops after the UPDATE left: the agent may have done it
    fleet.onCommand = () => {
      if (fleet.received > 2) fleet.disconnected.delete('edge-2'); // back for the rollback
    };
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'rolled_back', done.error);
    assert.match(done.error, /rolling back 2 instance\(s\)/);
    assert.deepEqual(
      fleet.commands.filter((c) => c.version === '1').map((c) => c.instance),
      ['edge-2/web', 'edge-1/web'], // the failed one first (it is down), then the healthy one
    );
  });

  it('a rollback resumed after a master restart keeps why it rolled back: its error and its failed batch', async () => {
    const slow = { ...ROLLBACK, min_healthy_time: '300ms' };
    const { fleet, data, engine } = setup(slow);
    const v2 = fleet.addVersion({ env: { V: '2', BROKEN: '1' } }, slow);
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    // The rollback steps wait out min_healthy_time when the master dies.
    const rolling = await waitFor(() => {
      const x = engine.get(r.id);
      return x.state === 'rolling_back' && x.instances.some((i) => i.state === 'in_progress') ? x : null;
    });
    const cause = rolling.error;
    assert.match(
      cause,
      /instance web@edge-1 failed: backoff after EXITED code=1 \(and 1 more\); rolling back 2/,
    );
    engine.close();
    const engine2 = restartedEngine(fleet, data);
    await engine2.restore();
    const paused = engine2.get(r.id);
    assert.equal(paused.state, 'paused');
    assert.equal(paused.error.startsWith(`${cause}; interrupted while rolling_back`), true, paused.error);
    await engine2.resume(r.id);
    assert.equal(engine2.get(r.id).error, cause, 'the resumed rollback says why it rolls back');
    const done = await settled(engine2, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'rolled_back', done.error);
    assert.equal(done.error, cause);
    assert.equal(done.batches[0]!.state, 'failed');
    assert.deepEqual(
      done.instances.map((i) => i.state),
      ['rolled_back', 'rolled_back', 'skipped', 'skipped', 'skipped', 'skipped'],
    );
  });

  it('a rollback step the master died starting sends the previous spec after the restart, not the forward step’s stored command again', async () => {
    const slow = { ...ROLLBACK, min_healthy_time: '30ms' };
    const { fleet, data, engine } = setup(slow);
    const v2 = fleet.addVersion({ env: { V: '2' } }, slow);
    const r = await updateTo(fleet, engine, v2);
    let onDisk: typeof data | null = null;
    const sent = new Map<string, number>();
    fleet.onCommand = (key) => {
      const n = (sent.get(key) ?? 0) + 1;
      sent.set(key, n);
      // Batch 2 (edge-2) fails: its agent drops the command; the rollback begins with batch 1 (edge-1).
      if (key.startsWith('edge-2/')) fleet.disconnected.add('edge-2');
      // The master dies as the rollback's first step is about to send: what it had stored is what a restart finds.
      if (n === 2 && key.startsWith('edge-1/') && onDisk === null) {
        onDisk = structuredClone(data);
        engine.close();
        return new Promise<void>(() => {});
      }
      return undefined;
    };
    engine.run(r.id);
    await waitFor(() => onDisk);
    fleet.disconnected.clear();
    fleet.onCommand = () => {};
    const engine2 = restartedEngine(fleet, onDisk!);
    await engine2.restore();
    await engine2.resume(r.id);
    const done = await settled(engine2, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'rolled_back', done.error);
    for (const key of ['edge-1/web', 'edge-1/web#1'])
      assert.equal(fleet.view(key).status.spec_hash, '1', `${key} runs the previous spec again`);
  });

  it('an abort keeps each finished step’s outcome: done ones healthy, one under way aborted, the rest skipped', async () => {
    const { fleet, engine } = setup({ ...UPDATE, healthy_deadline: '5s' });
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    // edge-2/web's UPDATE is sent; its agent has not answered yet when the abort comes.
    fleet.onSent = (key) => (key === 'edge-2/web' ? held : undefined);
    try {
      const r = await restartAll(fleet, engine);
      engine.run(r.id);
      await waitFor(() => engine.get(r.id).instances[0]!.state === 'healthy');
      const aborted = await engine.abort(r.id, 'admin');
      assert.deepEqual(
        aborted.instances.map((i) => i.state),
        ['healthy', 'aborted', 'skipped', 'skipped', 'skipped', 'skipped'],
      );
      assert.equal(aborted.instances[0]!.reason, '');
      assert.match(
        aborted.instances[1]!.reason,
        /^rollout aborted by admin during its step: its command was sent/,
      );
      assert.equal(aborted.instances[2]!.reason, 'rollout aborted by admin');
      assert.equal(aborted.batches[0]!.state, 'failed');
    } finally {
      answer();
    }
  });

  it('a rollback that begins after the progress deadline passed gets its own deadline', async () => {
    // Batch 1 is done at once; the wait before batch 2 outlasts progress_deadline: the update rolls back.
    const u = {
      ...ROLLBACK,
      healthy_deadline: '200ms',
      progress_deadline: '300ms',
      wait_between: '400ms',
    };
    const { fleet, engine } = setup(u);
    const v2 = fleet.addVersion({ env: { V: '2' } }, u);
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['rolled_back', 'failed']);
    assert.match(done.error, /progress_deadline 300 ms passed before batch 2 of 3/);
    assert.equal(done.state, 'rolled_back', done.error);
    assert.deepEqual(
      done.instances.map((i) => i.state),
      ['rolled_back', 'rolled_back', 'skipped', 'skipped', 'skipped', 'skipped'],
    );
  });

  it('a rollback puts an operator-stopped instance’s previous spec back and finishes (never loops on it)', async () => {
    const { fleet, engine } = setup(ROLLBACK);
    fleet.stopped.add('edge-1/web');
    const v2 = fleet.addVersion({ env: { V: '2', BROKEN: '1' } }, ROLLBACK);
    const r = await updateTo(fleet, engine, v2);
    engine.run(r.id);
    const done = await settled(engine, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'rolled_back', done.error);
    assert.deepEqual(fleet.commands.map((c) => `${c.instance}:${c.version}`).sort(), [
      'edge-1/web:1',
      'edge-1/web:2',
      'edge-2/web:1',
      'edge-2/web:2',
    ]);
    assert.match(done.instances[0]!.reason, /stopped by an operator/);
  });

  it('a rollback that cannot begin (the previous spec is no longer kept) fails and keeps holding the handler', async () => {
    const { fleet, engine } = setup(ROLLBACK);
    const v2 = fleet.addVersion({ env: { V: '2', BROKEN: '1' } }, ROLLBACK);
    const r = await updateTo(fleet, engine, v2);
    fleet.versions.shift(); // version 1 pruned
    engine.run(r.id);
    const done = await settled(engine, r.id, ['rolled_back', 'failed']);
    assert.equal(done.state, 'failed');
    assert.match(done.error, /rollback impossible: spec version 1 of web is no longer kept/);
    assert.deepEqual(engine.heldHandlers(), ['web'], 'its instances run the failed update: not pushed');
  });
});
