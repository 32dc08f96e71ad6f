/**
 * Drives one rollout (DESIGN §5): the loop that asks plan.ts `nextAction` what to do next and
 * does it — run a batch of steps, wait, roll back, pause, or finish — until the rollout is idle or the
 * token is cancelled. Failures go to failure.ts; every change is persisted through `ctx.save`.
 */
import { describeFailures, describeRollbackFailures, onFailure, skipUnfinished } from './failure.js';
import { nextAction } from './plan.js';
import { runStep, sleepUnlessCancelled, type CancelToken, type RolloutContext } from './step.js';
import type { SpecVersion } from '../state/registry.js';
import type { RolloutInstanceRecord, RolloutRecord } from './types.js';

/** Runs `r` until it is idle (paused, finished, or waiting on nothing) or `token` is cancelled. */
export async function driveRollout(ctx: RolloutContext, r: RolloutRecord, token: CancelToken): Promise<void> {
  for (;;) {
    if (token.cancelled) return;
    const a = nextAction(r, ctx.now());
    switch (a.action) {
      case 'idle':
        return;
      case 'succeed':
        r.error = '';
        ctx.transition(r, 'succeeded');
        await ctx.save(r);
        return;
      case 'pause':
        r.pause_requested = false;
        r.resume_to = 'running';
        r.error = `paused before batch ${r.current_batch + 1} of ${r.batches.length}`;
        ctx.transition(r, 'paused');
        await ctx.save(r);
        return;
      case 'deadline':
        await onFailure(ctx, r, a.reason);
        break;
      case 'wait':
        await sleepUnlessCancelled(a.delayMs, token);
        break;
      case 'run-batch':
        await runBatch(ctx, r, a.batch, token);
        break;
      case 'run-rollback':
        await runRollback(ctx, r, a.instances, token);
        break;
      case 'rolled-back':
        ctx.transition(r, 'rolled_back');
        await ctx.save(r);
        return;
      case 'rollback-failed':
        // Every changed instance was tried; these could not be put back. Their handler's previous spec is
        // current again, and an APPLY push (their agent reconnecting, the next apply) brings it to them.
        r.error += `; rollback failed for ${describeRollbackFailures(a.instances, r)}`;
        ctx.transition(r, 'failed');
        await ctx.save(r);
        return;
    }
  }
}

function iso(ctx: RolloutContext): string {
  return new Date(ctx.now()).toISOString();
}

async function runBatch(
  ctx: RolloutContext,
  r: RolloutRecord,
  index: number,
  token: CancelToken,
): Promise<void> {
  const batch = r.batches[index];
  const steps = r.instances.filter(
    (i) => i.batch === index && i.state !== 'healthy' && i.state !== 'skipped',
  );
  // Each step runs its own handler's target version.
  const targets = new Map<string, SpecVersion>();
  let missing = '';
  for (const name of new Set(steps.map((s) => s.handler))) {
    const h = r.handlers.find((x) => x.name === name);
    const target = h && ctx.port.spec(name, h.to_version);
    if (target) targets.set(name, target);
    else
      missing ||= `spec version ${h?.to_version ?? '?'} of ${name} is no longer kept (handler deleted or re-applied too often)`;
  }
  if (!batch || missing) {
    r.error = missing || `batch ${index} is missing`;
    skipUnfinished(r, 'rollout cannot continue');
    ctx.transition(r, 'failed');
    return ctx.save(r);
  }
  batch.state = 'in_progress';
  batch.started_at ||= iso(ctx);
  await ctx.save(r);
  await Promise.all(steps.map((s) => runStep(ctx, r, s, targets.get(s.handler)!, token, false)));
  if (token.cancelled || r.state !== 'running') return;
  const failed = steps.filter((s) => s.state === 'failed');
  if (failed.length > 0) {
    batch.state = 'failed';
    return onFailure(ctx, r, describeFailures(failed));
  }
  batch.state = 'done';
  batch.done_at = iso(ctx);
  r.current_batch = index + 1;
  ctx.log.info('rollout batch done', { rollout: r.id, batch: index + 1, of: r.batches.length });
  await ctx.save(r);
}

async function runRollback(
  ctx: RolloutContext,
  r: RolloutRecord,
  steps: RolloutInstanceRecord[],
  token: CancelToken,
): Promise<void> {
  // Each handler back to its previous spec (re-registered as `rollback_version` when the rollback began).
  const targets = new Map<string, SpecVersion>();
  for (const name of new Set(steps.map((s) => s.handler))) {
    const h = r.handlers.find((x) => x.name === name);
    const target = h && ctx.port.spec(name, h.rollback_version || h.from_version);
    if (!target) {
      r.error += `; rollback impossible: spec version ${h?.from_version ?? '?'} of ${name} is no longer kept`;
      ctx.transition(r, 'failed');
      return ctx.save(r);
    }
    targets.set(name, target);
  }
  // A step that fails is marked on its instance (`rollback_failed`) and not tried again; the next batch
  // goes on with the rest (plan.ts `nextAction`), so one unreachable agent never leaves the others unrolled.
  await Promise.all(steps.map((s) => runStep(ctx, r, s, targets.get(s.handler)!, token, true)));
}
