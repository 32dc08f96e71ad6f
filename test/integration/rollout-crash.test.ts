/**
 * Rollouts survive crashes, with real processes: an agent killed mid-rollout fails its step within its
 * deadline and the rollout follows on_failure (no hang), and an instance a rollback could not reach gets the
 * previous spec once its agent is back; a master `kill -9` mid-rollout leaves it
 * visible in `gov rollout status` after the restart, and `gov rollout resume` completes it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Rollout } from '../../master/cli/admin-client.js';
import { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/common.js';
import { webSpec } from './rollout-helpers.js';

const AGENTS = ['edge-1', 'edge-2'];

describe('rollout: agent and master crashes', function () {
  this.timeout(90_000);

  it('an agent killed mid-rollout fails its step within its deadline; on_failure abort', async () => {
    const c = await Cluster.start({ agents: AGENTS });
    try {
      await c.govJson(['apply', '-f', c.writeHandlers([webSpec(AGENTS, { count: 1 })])]);
      await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
      const healthyDeadlineMs = 20_000;
      const started = await c.govJson<Rollout>([
        'rollout',
        'restart',
        'web',
        '--batch-size',
        '1',
        '--min-healthy',
        '5s',
        '--healthy-deadline',
        `${healthyDeadlineMs}ms`,
        '--on-failure',
        'abort',
        '--detach',
      ]);
      // Batch 1 is edge-1's instance: kill its agent while the step waits out min_healthy_time.
      await waitFor(async () => (await c.admin().getRollout(started.id)).instances[0]?.new_pid, {
        what: 'the first step to restart its instance',
      });
      const killedAt = Date.now();
      await c.killAgent('edge-1');
      const r = await waitFor(
        async () => {
          const x = await c.admin().getRollout(started.id);
          return x.state === 'running' ? null : x;
        },
        { timeoutMs: healthyDeadlineMs, what: 'the rollout to stop after the agent died' },
      );
      const tookMs = Date.now() - killedAt;
      assert.equal(r.state, 'aborted', r.error);
      assert.match(r.error, /instance web@edge-1 failed: agent disconnected/);
      assert.ok(tookMs < 5000, `took ${tookMs} ms to notice (healthy_deadline ${healthyDeadlineMs} ms)`);
      assert.deepEqual(
        r.instances.map((i) => i.state),
        ['failed', 'skipped'],
      );
    } finally {
      await c.stop();
    }
  });

  it('an agent killed during an update that rolls back: the rollback ends failed naming its instance, which gets the previous spec once the agent is back', async () => {
    const c = await Cluster.start({ agents: AGENTS });
    try {
      const update = {
        batch_size: 1,
        min_healthy_time: '5s',
        healthy_deadline: '20s',
        on_failure: 'rollback',
      };
      const version = (v: string) => c.writeHandlers([webSpec(AGENTS, { count: 1, update, env: { V: v } })]);
      await c.govJson(['apply', '-f', version('1')]);
      const [first] = await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
      const v1Hash = first!.spec_hash;
      const applied = await c.govJson<{ rollouts: Rollout[] }>(['apply', '-f', version('2'), '--detach']);
      const id = applied.rollouts[0]!.id;
      // Batch 1 is edge-1's instance: kill its agent while the step waits out min_healthy_time.
      await waitFor(async () => (await c.admin().getRollout(id)).instances[0]?.new_pid, {
        what: 'the first step to update its instance',
      });
      await c.killAgent('edge-1');
      const r = await waitFor(
        async () => {
          const x = await c.admin().getRollout(id);
          return x.state === 'running' || x.state === 'rolling_back' ? null : x;
        },
        { timeoutMs: 20_000, what: 'the rollout to end after the agent died' },
      );
      assert.equal(r.state, 'failed', r.error);
      assert.match(r.error, /instance web@edge-1 failed: agent disconnected/);
      assert.match(r.error, /rollback failed for 1 of 1 instance\(s\): web@edge-1 \(.*not sent\)/);
      assert.deepEqual(
        r.instances.map((i) => i.state),
        ['failed', 'skipped'],
      );
      // The previous spec is current and no longer held: the APPLY push after edge-1's hello brings it there.
      await c.startAgent('edge-1');
      await c.waitInstances(
        'web',
        2,
        (i) => i.state === 'running' && !!i.pid && i.spec_hash === v1Hash,
        'both instances on the previous spec',
      );
    } finally {
      await c.stop();
    }
  });

  it('master kill -9 mid-rollout; status shows it after the restart and resume completes it', async () => {
    const c = await Cluster.start({ agents: AGENTS });
    try {
      await c.govJson(['apply', '-f', c.writeHandlers([webSpec(AGENTS)])]);
      const before = await c.waitInstances('web', 4, (i) => i.state === 'running' && !!i.pid);
      const started = await c.govJson<Rollout>([
        'rollout',
        'restart',
        'web',
        '--batch-size',
        '1',
        '--min-healthy',
        '800ms',
        '--healthy-deadline',
        '10s',
        '--detach',
      ]);
      // The second batch's step has answered: batch 1's end was on disk before it started.
      await waitFor(async () => (await c.admin().getRollout(started.id)).instances[1]?.new_pid, {
        what: 'the second batch to start',
      });
      await c.killMaster('SIGKILL');
      await c.startMaster();
      await Promise.all(AGENTS.map((a) => c.waitAgentConnected(a)));

      const status = await c.govJson<Rollout>(['rollout', 'status', started.id]);
      assert.equal(status.state, 'paused');
      assert.match(status.error, /interrupted while running.*gov rollout resume/);
      assert.equal(status.batches[0]?.state, 'done');
      assert.equal(status.instances[0]?.state, 'healthy');
      const listed = await c.govJson<{ rollouts: Rollout[] }>(['rollout', 'status']);
      assert.equal(listed.rollouts[0]?.id, started.id);

      const done = await c.govJson<Rollout>(['rollout', 'resume']); // no ID: the latest paused one
      assert.equal(done.id, started.id);
      assert.equal(done.state, 'succeeded', done.error);
      assert.ok(done.instances.every((i) => i.state === 'healthy'));
      const after = await c.waitInstances('web', 4, (i) => i.state === 'running' && !!i.pid);
      const oldPids = new Set(before.map((i) => i.pid));
      assert.ok(
        after.every((i) => !oldPids.has(i.pid)),
        'every instance was restarted',
      );
    } finally {
      await c.stop();
    }
  });

  it('an interrupted step whose agent restarted before the resume (its answers gone) restarts its instance once', async () => {
    const c = await Cluster.start({ agents: AGENTS });
    try {
      const spawns = path.join(c.dir, 'spawns.log'); // each process's own line: `AGENT PID`
      const command = [
        process.execPath,
        '-e',
        "require('fs').appendFileSync(process.env.SPAWNS, process.env.GOV_AGENT + ' ' + process.pid + '\\n'); setInterval(() => {}, 1000);",
      ];
      await c.govJson([
        'apply',
        '-f',
        c.writeHandlers([webSpec(AGENTS, { count: 1, command, env: { SPAWNS: spawns } })]),
      ]);
      await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
      const startsSince = (from: number): string[] =>
        readFileSync(spawns, 'utf8')
          .trim()
          .split('\n')
          .slice(from)
          .map((l) => l.split(' ')[0]!);
      const before = startsSince(0).length;
      const started = await c.govJson<Rollout>([
        'rollout',
        'restart',
        'web',
        '--batch-size',
        '1',
        '--min-healthy',
        '8s',
        '--healthy-deadline',
        '30s',
        '--detach',
      ]);
      // Batch 1 (edge-1) restarted its instance, which is running again and waits out min_healthy_time: the
      // master dies then.
      const newPid = await waitFor(
        async () => (await c.admin().getRollout(started.id)).instances[0]?.new_pid,
        {
          what: 'the first step to restart its instance',
        },
      );
      await waitFor(
        async () => (await c.instances('web')).some((i) => i.pid === newPid && i.state === 'running'),
        {
          what: 'the restarted instance to be running',
        },
      );
      await c.killMaster('SIGKILL');
      await c.startMaster();
      await Promise.all(AGENTS.map((a) => c.waitAgentConnected(a)));
      // The agent that carried the step out restarts: the answer it would have given the resent command is gone.
      await c.killAgent('edge-1');
      await c.startAgent('edge-1');
      const done = await c.govJson<Rollout>(['rollout', 'resume', started.id]);
      assert.equal(done.state, 'succeeded', done.error);
      assert.deepEqual(
        startsSince(before).sort(),
        AGENTS,
        'each instance started once by the rolling restart',
      );
    } finally {
      await c.stop();
    }
  });
});
