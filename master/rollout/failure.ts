/**
 * What a rollout does when a batch fails or its progress deadline passes (DESIGN §5): the `on_failure`
 * policy (pause, abort or roll back — never continue), and ending the steps that will not run on (skipped,
 * or aborted when under way). Used by the batch driver (drive.ts) and by abort (engine.ts).
 */
import { failurePolicy } from './plan.js';
import type { HandlerSpec } from '../../shared/spec.js';
import type { RolloutContext } from './step.js';
import { syncFirstHandler, type RolloutInstanceRecord, type RolloutRecord } from './types.js';

/** A batch failed (or the progress deadline passed): pause, abort or roll back — never continue. */
export async function onFailure(ctx: RolloutContext, r: RolloutRecord, what: string): Promise<void> {
  const policy = failurePolicy(r.kind, r.on_failure);
  ctx.log.warn('rollout step failed', { rollout: r.id, policy, failure: what });
  if (policy === 'pause') {
    r.resume_to = 'running';
    r.error = `${what}; paused: fix the cause, then gov rollout resume ${r.id} (or abort)`;
    ctx.transition(r, 'paused');
  } else if (policy === 'abort') {
    const note = r.on_failure === 'rollback' ? ' (a restart has nothing to roll back)' : '';
    r.error = `${what}; aborted${note}`;
    skipUnfinished(r, 'rollout aborted after a failure');
    ctx.transition(r, 'aborted');
  } else {
    const changed = r.instances.filter((i) => i.changed);
    // Every handler covered gets its previous spec registered as current again — those whose instances
    // never changed too: the update is undone as a whole (nothing is left current that no instance runs, for
    // a later APPLY push to start once the rollout stops holding the handler).
    const back = r.handlers;
    const gone = back.find((h) => !ctx.port.spec(h.name, h.from_version));
    if (gone) {
      skipUnfinished(r, 'rollout rolled back before this instance', true);
      r.error = `${what}; rollback impossible: spec version ${gone.from_version} of ${gone.name} is no longer kept`;
      ctx.transition(r, 'failed');
    } else {
      // The previous specs and the rollout turned `rolling_back` are one write: a master killed between two
      // writes would find the previous specs current under a rollout still `running`, resume it forward, and
      // let its success leave them to a later APPLY push that restarts their instances all at once.
      const previous = back.map((h) => ctx.port.spec(h.name, h.from_version)!.spec);
      await ctx.port.reRegister(previous, (registered, d) => {
        back.forEach((h, i) => (h.rollback_version = registered[i] ?? 0));
        syncFirstHandler(r);
        skipUnfinished(r, 'rollout rolled back before this instance', true);
        const versions =
          back.length === 1
            ? `version ${back[0]!.from_version} (registered again as version ${back[0]!.rollback_version})`
            : `their previous versions (registered again: ${back
                .slice(0, 3)
                .map((h) => `${h.name} ${h.from_version} as ${h.rollback_version}`)
                .join(', ')}${back.length > 3 ? `, +${back.length - 3} more` : ''})`;
        r.error = `${what}; rolling back ${changed.length} instance(s) to ${versions}`;
        r.rollback_cause = r.error;
        // The rollback has its own progress_deadline: one that began because the deadline passed must not
        // fail every step at once.
        r.running_since = new Date(ctx.now()).toISOString();
        ctx.transition(r, 'rolling_back');
        ctx.stage(d, r);
      });
      await restorePlacement(ctx, r, previous);
    }
  }
  await ctx.save(r);
}

/**
 * A rollback's previous specs placed on their agents again, where the update changed where or how many times a
 * handler runs (count, agents, selector): one APPLY push to the agents either version places it on. Its
 * instances keep their specs (the rollout still holds the handler: its steps put them back, batch by batch),
 * but the replicas the update added are removed (the previous count) and those it removed start again on the
 * previous spec. An agent the push misses gets it when it reconnects (its sync).
 */
async function restorePlacement(
  ctx: RolloutContext,
  r: RolloutRecord,
  previous: HandlerSpec[],
): Promise<void> {
  const agents = new Set<string>();
  for (const [i, h] of r.handlers.entries()) {
    const from = previous[i];
    const to = ctx.port.spec(h.name, h.to_version)?.spec;
    if (!from || !to) continue;
    const [was, is] = [ctx.port.agentsFor(from), ctx.port.agentsFor(to)];
    if (from.count === to.count && [...was].sort().join() === [...is].sort().join()) continue;
    for (const a of [...was, ...is]) agents.add(a);
  }
  if (agents.size === 0) return;
  ctx.log.info('rollback: previous count and agents pushed', { rollout: r.id, agents: [...agents] });
  await ctx.port.pushSpecs([...agents].sort(), r.issued_by);
}

/**
 * Ends the steps that will not run on: those never sent become `skipped` (`reason`); one whose command was
 * sent (or may have been) but whose step did not finish becomes `aborted` — unless `keepChanged` (a rollback
 * follows and puts it back). Finished steps keep their outcome.
 */
export function skipUnfinished(r: RolloutRecord, reason: string, keepChanged = false): void {
  for (const i of r.instances) {
    if (i.state !== 'pending' && i.state !== 'in_progress') continue;
    if (i.changed) {
      if (keepChanged) continue;
      i.state = 'aborted';
      i.reason = `${reason} during its step: its command was sent, its health gate never finished`;
    } else {
      i.state = 'skipped';
      i.reason = reason;
    }
  }
  const batch = r.batches[r.current_batch];
  if (batch && batch.state === 'in_progress') batch.state = 'failed';
}

/** One line naming the first failed instance (and how many more failed). */
export function describeFailures(failed: RolloutInstanceRecord[]): string {
  const [first, ...more] = failed;
  if (!first) return 'a step failed';
  const extra = more.length > 0 ? ` (and ${more.length} more)` : '';
  return `instance ${first.instance}@${first.agent} failed: ${first.reason}${extra}`;
}

/** `N of M instance(s): web@edge-1 (why), …` — the instances a rollback could not put back (five named). */
export function describeRollbackFailures(failed: RolloutInstanceRecord[], r: RolloutRecord): string {
  const changed = r.instances.filter((i) => i.changed).length;
  const named = failed
    .slice(0, 5)
    .map((i) => `${i.instance}@${i.agent} (${i.reason.replace(/^rollback: /, '')})`)
    .join(', ');
  const more = failed.length > 5 ? `, +${failed.length - 5} more (gov rollout status ${r.id})` : '';
  return `${failed.length} of ${changed} instance(s): ${named}${more}`;
}
