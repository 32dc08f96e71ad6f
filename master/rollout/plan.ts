/**
 * Rollout decisions as pure functions with time passed in (no timers, no I/O): batch sizing and
 * planning, judging one instance's step, the next action of a rollout and its failure policy.
 */
import { parseBatchSize, type OnFailure } from '../../shared/update-policy.js';
import type { RolloutInstanceRecord, RolloutRecord } from './types.js';

/** `N` or `N%` of `total` → instances per batch: percentages round up; at least 1, at most `total`. */
export function batchSizeOf(text: string, total: number): number {
  const { count, percent } = parseBatchSize(text); // a RangeError for anything else
  const size = percent ? Math.ceil((total * count) / 100) : count;
  return Math.max(1, Math.min(size, Math.max(total, 1)));
}

export interface InstanceRef {
  handler: string;
  agent: string;
  /** Instance key on the agent (`web`, `web#1`). */
  instance: string;
  /** Replica index on its agent. */
  index: number;
}

/**
 * Orders instances so that every batch spreads over agents and handlers — by replica index (index 0 of
 * everything first), then round-robin over agents (by id), each agent's instances by handler — and cuts
 * them into batches of `size`. 12 single-instance handlers on 3 agents in batches of 3: one per agent each.
 */
export function planBatches(refs: readonly InstanceRef[], size: number): InstanceRef[][] {
  const byIndex = new Map<number, Map<string, InstanceRef[]>>();
  for (const r of refs) {
    const agents = byIndex.get(r.index) ?? new Map<string, InstanceRef[]>();
    byIndex.set(r.index, agents);
    agents.set(r.agent, [...(agents.get(r.agent) ?? []), r]);
  }
  const ordered: InstanceRef[] = [];
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const agents = byIndex.get(index)!;
    const queues = [...agents.keys()]
      .sort((a, b) => a.localeCompare(b))
      .map((a) => agents.get(a)!.sort((x, y) => x.handler.localeCompare(y.handler)));
    for (let round = 0; queues.some((q) => round < q.length); round++)
      for (const q of queues) if (round < q.length) ordered.push(q[round]!);
  }
  const out: InstanceRef[][] = [];
  for (let i = 0; i < ordered.length; i += size) out.push(ordered.slice(i, i + size));
  return out;
}

/** What the master last knows about an instance under a step. */
export interface Observation {
  /** The agent's stream is open. */
  connected: boolean;
  /** Lifecycle state (`running`, `starting`, ...); '' when the instance is not reported at all. */
  state: string;
  /** none | unknown | healthy | unhealthy ('' = none). */
  health: string;
  healthReason: string;
  pid: number;
  /** The hash of the spec its process runs (InstanceStatus.spec_hash); '' when not reported. */
  specHash: string;
  /** Its restarts so far (InstanceStatus.restarts). */
  restarts: number;
  /** "EXITED code=1" style summary of the last exit, '' if none. */
  lastExit: string;
}

export interface StepWatch {
  /** When the step's command was sent, epoch ms. */
  startedAt: number;
  /** PID the command reported for the new process (0 when unknown). */
  newPid: number;
  /** Since when the instance has been seen ready without a break, epoch ms. */
  readySince: number | null;
}

export interface Gate {
  minHealthyMs: number;
  healthyDeadlineMs: number;
  /** The whole rollout's progress deadline, epoch ms. */
  progressEndsAt: number;
}

export type StepVerdict =
  | { verdict: 'wait'; readySince: number | null }
  | { verdict: 'healthy' }
  | { verdict: 'failed'; reason: string };

const DOWN_STATES = new Set(['exited', 'backoff', 'fatal', 'stopped', 'unknown']);

/** Ready = running and its health check passes (or it has none). */
export function isReady(o: Pick<Observation, 'state' | 'health'>): boolean {
  return o.state === 'running' && (o.health === 'healthy' || o.health === 'none' || o.health === '');
}

/**
 * Judges one instance after its step's command answered: done once it is ready and stayed so for
 * `minHealthyMs`; failed when its agent is gone, its process ended or was replaced, or it is not done
 * within `healthyDeadlineMs` of the step's start.
 */
export function judgeStep(w: StepWatch, o: Observation, gate: Gate, now: number): StepVerdict {
  if (!o.connected) return { verdict: 'failed', reason: 'agent disconnected during the step' };
  if (o.state === '') return { verdict: 'failed', reason: 'instance no longer reported by its agent' };
  if (DOWN_STATES.has(o.state)) {
    return { verdict: 'failed', reason: `${o.state}${o.lastExit ? ` after ${o.lastExit}` : ''}` };
  }
  if (w.newPid && o.pid && o.pid !== w.newPid) {
    return {
      verdict: 'failed',
      reason: `process replaced (pid ${w.newPid} → ${o.pid})${o.lastExit ? ` after ${o.lastExit}` : ''}`,
    };
  }
  let readySince = w.readySince;
  if (isReady(o)) {
    readySince ??= now;
    if (now - readySince >= gate.minHealthyMs) return { verdict: 'healthy' };
  } else {
    readySince = null;
  }
  const health = o.health && o.health !== 'none' ? `, health ${o.health}` : '';
  const why = o.healthReason ? `: ${o.healthReason}` : '';
  if (now - w.startedAt >= gate.healthyDeadlineMs) {
    return {
      verdict: 'failed',
      reason: `not healthy for ${gate.minHealthyMs} ms within healthy_deadline ${gate.healthyDeadlineMs} ms (state ${o.state}${health}${why})`,
    };
  }
  if (now >= gate.progressEndsAt) {
    return { verdict: 'failed', reason: `progress_deadline passed (state ${o.state}${health}${why})` };
  }
  return { verdict: 'wait', readySince };
}

export type NextAction =
  | { action: 'run-batch'; batch: number }
  | { action: 'wait'; delayMs: number }
  | { action: 'pause' }
  | { action: 'succeed' }
  | { action: 'deadline'; reason: string }
  | { action: 'run-rollback'; instances: RolloutInstanceRecord[] }
  | { action: 'rolled-back' }
  | { action: 'rollback-failed'; instances: RolloutInstanceRecord[] }
  | { action: 'idle' };

/**
 * The next thing a rollout should do at `now` (epoch ms). A rollback tries every changed instance, a batch
 * (the rollout's batch size) at a time, whatever failed before: it ends `rolled-back` when all are back,
 * `rollback-failed` (naming them) when some could not be put back.
 */
export function nextAction(r: RolloutRecord, now: number): NextAction {
  if (r.state === 'rolling_back') {
    const left = rollbackLeft(r);
    if (left.length > 0) {
      const size = batchSizeOf(r.batch_size, r.instances.length);
      // What the update left down (failed, cut short) first: taking a healthy one down while those are still
      // down would have more down at once than the batch size.
      const ordered = [
        ...left.filter((i) => i.state !== 'healthy'),
        ...left.filter((i) => i.state === 'healthy'),
      ];
      return { action: 'run-rollback', instances: ordered.slice(0, size) };
    }
    const failed = r.instances.filter((i) => i.rollback_failed && i.state !== 'rolled_back');
    return failed.length > 0 ? { action: 'rollback-failed', instances: failed } : { action: 'rolled-back' };
  }
  if (r.state !== 'running') return { action: 'idle' };
  if (r.current_batch >= r.batches.length) return { action: 'succeed' };
  const since = Date.parse(r.running_since);
  if (now - since >= r.progress_deadline_ms) {
    return {
      action: 'deadline',
      reason: `progress_deadline ${r.progress_deadline_ms} ms passed before batch ${r.current_batch + 1} of ${r.batches.length}`,
    };
  }
  if (r.pause_requested) return { action: 'pause' };
  const prev = r.current_batch > 0 ? r.batches[r.current_batch - 1] : undefined;
  if (prev?.done_at && r.wait_between_ms > 0) {
    const wait = Date.parse(prev.done_at) + r.wait_between_ms - now;
    if (wait > 0) return { action: 'wait', delayMs: wait };
  }
  return { action: 'run-batch', batch: r.current_batch };
}

/** The steps a rollback has still to run: every changed instance not yet put back, nor given up on. */
export function rollbackLeft(r: Pick<RolloutRecord, 'instances'>): RolloutInstanceRecord[] {
  return r.instances.filter((i) => i.changed && i.state !== 'rolled_back' && !i.rollback_failed);
}

/**
 * The instances a rollout that is moving instances (pending, running, rolling back) has yet to move: those
 * waiting for their batch or under way — rolling back, those not yet put back. Not one whose batch is done,
 * nor one it skipped, nor (rolling back) one it never changed or already put back.
 */
export function yetToMove(r: Pick<RolloutRecord, 'instances' | 'state'>): RolloutInstanceRecord[] {
  if (r.state === 'rolling_back') return rollbackLeft(r);
  return r.instances.filter((i) => i.state === 'pending' || i.state === 'in_progress');
}

/** What a failed batch leads to: the `on_failure` policy; a restart has nothing to roll back, so it aborts. */
export function failurePolicy(kind: RolloutRecord['kind'], onFailure: OnFailure): OnFailure {
  return onFailure === 'rollback' && kind === 'restart' ? 'abort' : onFailure;
}
