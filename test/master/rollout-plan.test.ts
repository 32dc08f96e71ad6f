/** Rollout decisions (pure): batch sizing and planning, the step gate, the next action, failure policy. */
import assert from 'node:assert/strict';
import { batchSizeOf, failurePolicy, judgeStep, nextAction, planBatches } from '../../master/rollout/plan.js';
import { createRollout } from '../../master/rollout/create.js';
import type { InstanceView } from '../../master/state/registry.js';
import { parseHandler } from '../../shared/spec.js';

const T0 = Date.parse('2025-01-01T12:00:00.000Z');

function views(agents: string[], count: number): InstanceView[] {
  return agents.flatMap((agent) =>
    Array.from({ length: count }, (_, index) => ({
      agent,
      stale: false,
      reported_at: '',
      status: {
        handler: 'web',
        instance: index ? `web#${index}` : 'web',
        index,
        state: 'running',
        pid: 100 + index,
      },
    })),
  );
}

function rollout(update: Record<string, unknown>, agents = ['edge-1', 'edge-2', 'edge-3'], count = 2) {
  const spec = parseHandler({ name: 'web', command: ['x'], agents, count, update }, 'h');
  const v = { version: 1, hash: 'h', spec, applied_at: '' };
  return createRollout({
    kind: 'update',
    handlers: [
      {
        handler: 'web',
        from_version: 1,
        to_version: 2,
        spec: v.spec,
        instances: views(agents, count),
        agents,
      },
    ],
    issuedBy: 'admin',
    now: T0,
  });
}

describe('rollout planning', () => {
  it('batch_size 34% of 6 instances gives batches of 3', () => {
    assert.equal(batchSizeOf('34%', 6), 3);
    const r = rollout({ batch_size: '34%' });
    assert.deepEqual(
      r.batches.map((b) => b.instances.length),
      [3, 3],
    );
  });

  it('rounds percentages up, never below 1 nor above the total', () => {
    assert.equal(batchSizeOf('1%', 6), 1);
    assert.equal(batchSizeOf('50%', 5), 3);
    assert.equal(batchSizeOf('100%', 6), 6);
    assert.equal(batchSizeOf('10', 6), 6);
    assert.equal(batchSizeOf('2', 6), 2);
    assert.equal(batchSizeOf('1', 0), 1);
    assert.throws(() => batchSizeOf('x', 3), RangeError);
  });

  it('spreads each batch over agents and covers every instance once', () => {
    const batches = planBatches(
      views(['edge-2', 'edge-1', 'edge-3'], 2).map((v) => ({
        handler: 'web',
        agent: v.agent,
        instance: v.status.instance!,
        index: v.status.index!,
      })),
      2,
    );
    assert.deepEqual(
      batches.map((b) => b.map((i) => `${i.agent}/${i.instance}`)),
      [
        ['edge-1/web', 'edge-2/web'],
        ['edge-3/web', 'edge-1/web#1'],
        ['edge-2/web#1', 'edge-3/web#1'],
      ],
    );
  });

  it('refuses healthy_deadline not longer than min_healthy_time', () => {
    assert.throws(() => rollout({ min_healthy_time: '5s', healthy_deadline: '5s' }), /healthy_deadline/);
  });
});

describe('rollout step gate', () => {
  const gate = { minHealthyMs: 1000, healthyDeadlineMs: 5000, progressEndsAt: T0 + 60_000 };
  const ok = {
    connected: true,
    state: 'running',
    health: 'healthy',
    healthReason: '',
    pid: 7,
    specHash: '',
    restarts: 0,
    lastExit: '',
  };

  it('is done only after staying ready for min_healthy_time', () => {
    const w = { startedAt: T0, newPid: 7, readySince: null };
    const v1 = judgeStep(w, ok, gate, T0 + 100);
    assert.deepEqual(v1, { verdict: 'wait', readySince: T0 + 100 });
    assert.equal(judgeStep({ ...w, readySince: T0 + 100 }, ok, gate, T0 + 1099).verdict, 'wait');
    assert.equal(judgeStep({ ...w, readySince: T0 + 100 }, ok, gate, T0 + 1100).verdict, 'healthy');
  });

  it('restarts the min_healthy_time clock when health fails in between', () => {
    const v = judgeStep(
      { startedAt: T0, newPid: 7, readySince: T0 },
      { ...ok, health: 'unhealthy' },
      gate,
      T0 + 500,
    );
    assert.deepEqual(v, { verdict: 'wait', readySince: null });
  });

  it('fails on exit, on a replaced process, on disconnect and past the deadline', () => {
    const w = { startedAt: T0, newPid: 7, readySince: null };
    const exited = judgeStep(
      w,
      { ...ok, state: 'backoff', pid: 0, lastExit: 'EXITED code=1' },
      gate,
      T0 + 10,
    );
    assert.deepEqual(exited, { verdict: 'failed', reason: 'backoff after EXITED code=1' });
    assert.equal(judgeStep(w, { ...ok, pid: 8 }, gate, T0 + 10).verdict, 'failed');
    assert.equal(judgeStep(w, { ...ok, connected: false }, gate, T0 + 10).verdict, 'failed');
    const late = judgeStep(
      w,
      { ...ok, state: 'starting', health: 'unhealthy', healthReason: 'connection refused' },
      gate,
      T0 + 5000,
    );
    assert.equal(late.verdict, 'failed');
    assert.match((late as { reason: string }).reason, /healthy_deadline.*unhealthy: connection refused/);
    const progress = judgeStep(
      w,
      { ...ok, state: 'starting' },
      { ...gate, progressEndsAt: T0 + 50 },
      T0 + 60,
    );
    assert.match((progress as { reason: string }).reason, /progress_deadline/);
  });
});

describe('rollout next action', () => {
  it('runs batches in order, waits between them, pauses when asked, then succeeds', () => {
    const r = rollout({ batch_size: 3, wait_between: '2s' });
    r.state = 'running';
    assert.deepEqual(nextAction(r, T0), { action: 'run-batch', batch: 0 });
    r.batches[0]!.done_at = new Date(T0 + 1000).toISOString();
    r.current_batch = 1;
    assert.deepEqual(nextAction(r, T0 + 1500), { action: 'wait', delayMs: 1500 });
    assert.deepEqual(nextAction(r, T0 + 3000), { action: 'run-batch', batch: 1 });
    r.pause_requested = true;
    assert.deepEqual(nextAction(r, T0 + 3000), { action: 'pause' });
    r.pause_requested = false;
    r.current_batch = 2;
    assert.deepEqual(nextAction(r, T0 + 3000), { action: 'succeed' });
  });

  it('fails the rollout when the progress deadline passed', () => {
    const r = rollout({ progress_deadline: '10s' });
    r.state = 'running';
    assert.equal(nextAction(r, T0 + 10_000).action, 'deadline');
  });

  it('rolls back only the instances that were changed, in batches', () => {
    const r = rollout({ batch_size: 2 });
    r.state = 'rolling_back';
    r.instances[0]!.changed = true;
    r.instances[1]!.changed = true;
    r.instances[2]!.changed = true;
    const a = nextAction(r, T0);
    assert.equal(a.action, 'run-rollback');
    assert.equal((a as { instances: unknown[] }).instances.length, 2);
    for (const i of r.instances) if (i.changed) i.state = 'rolled_back';
    assert.deepEqual(nextAction(r, T0), { action: 'rolled-back' });
  });

  it('a rollback puts back what the update left down first, then the healthy ones: no more down at once than a batch', () => {
    const r = rollout({ batch_size: 1 });
    r.state = 'rolling_back';
    const [first, second] = r.instances;
    Object.assign(first!, { changed: true, state: 'healthy' }); // batch 1: up on the new spec
    Object.assign(second!, { changed: true, state: 'failed' }); // batch 2: failed, down
    assert.deepEqual(nextAction(r, T0), { action: 'run-rollback', instances: [second] });
    second!.state = 'rolled_back';
    assert.deepEqual(nextAction(r, T0), { action: 'run-rollback', instances: [first] });
  });

  it('a rollback goes on past an instance it could not put back, then ends rollback-failed naming it', () => {
    const r = rollout({ batch_size: '34%' }); // 3 of the rollout's 6 instances
    r.state = 'rolling_back';
    for (const i of r.instances.slice(0, 5)) i.changed = true;
    r.instances[0]!.state = 'failed';
    r.instances[0]!.rollback_failed = true;
    r.instances[1]!.state = 'rolled_back';
    const a = nextAction(r, T0);
    assert.equal(a.action, 'run-rollback');
    // The next batch: the rollout's batch size (3), not 34% of the 3 left (2).
    assert.deepEqual((a as { instances: unknown[] }).instances, r.instances.slice(2, 5));
    for (const i of r.instances.slice(2, 5)) i.state = 'rolled_back';
    assert.deepEqual(nextAction(r, T0), { action: 'rollback-failed', instances: [r.instances[0]] });
  });

  it('maps on_failure: rollback of a restart aborts (nothing to roll back)', () => {
    assert.equal(failurePolicy('update', 'rollback'), 'rollback');
    assert.equal(failurePolicy('restart', 'rollback'), 'abort');
    assert.equal(failurePolicy('restart', 'pause'), 'pause');
  });
});
