/**
 * Building a new rollout record over one or more handlers: settings from their `update` blocks merged by
 * the strictest (policy.ts) and overridden by the request, the instances it covers and their batches
 * (planned by plan.ts). Also the proto view.
 */
import { randomBytes } from 'node:crypto';
import type { Rollout } from '../../proto/generated/governor/v1/Rollout.js';
import { instanceKey, type HandlerSpec } from '../../shared/spec.js';
import {
  checkProgressDeadline,
  checkUpdate,
  refuseField,
  type UpdateKey,
  type UpdateSpec,
} from '../../shared/update-policy.js';
import type { InstanceView } from '../state/registry.js';
import { batchSizeOf, planBatches, type InstanceRef } from './plan.js';
import { strictestPolicy } from './policy.js';
import { stepName, type RolloutKind, type RolloutRecord } from './types.js';

/** One handler of a new rollout: its versions and the instances to roll. */
export interface NewRolloutHandler {
  handler: string;
  from_version: number;
  to_version: number;
  /** The target spec (its `update` block is this handler's policy). */
  spec: HandlerSpec;
  /** Instances as the registry knows them now. */
  instances: readonly InstanceView[];
  /** Agents the target spec is assigned to. */
  agents: readonly string[];
  /** Only these instances (`agent/key`); absent: every covered one. */
  only?: ReadonlySet<string>;
  /** Replicas an update that stopped short held back (`agent/key`, engine.ts heldBack): a restart starts them. */
  heldBack?: ReadonlySet<string>;
}

export interface NewRollout {
  kind: RolloutKind;
  handlers: readonly NewRolloutHandler[];
  /** Overrides of the merged `update` block. */
  overrides?: Partial<UpdateSpec>;
  issuedBy: string;
  now: number;
}

export function newRolloutId(now: number): string {
  return `ro-${now.toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Instances the rollout covers: reported ones on agents still assigned, within the spec's count. */
export function coveredInstances(
  views: readonly InstanceView[],
  agents: readonly string[],
  spec: HandlerSpec,
): Array<InstanceRef & { pid: number }> {
  return views
    .filter((v) => agents.includes(v.agent) && (v.status.index ?? 0) < spec.count && !v.status.observed)
    .map((v) => ({
      handler: spec.name,
      agent: v.agent,
      instance: v.status.instance || spec.name,
      index: v.status.index ?? 0,
      pid: v.status.pid ?? 0,
    }));
}

/**
 * Instances an update adds: those the target spec places (its agents × its count) that no agent reports — a
 * raised count, or an agent newly placed. They start in their batch (types.ts `added`).
 */
export function addedInstances(
  views: readonly InstanceView[],
  agents: readonly string[],
  spec: HandlerSpec,
): Array<InstanceRef & { pid: number }> {
  const reported = new Set(
    views.filter((v) => !v.status.observed).map((v) => `${v.agent}/${v.status.instance || spec.name}`),
  );
  return agents.flatMap((agent) =>
    Array.from({ length: spec.count }, (_, index) => ({
      handler: spec.name,
      agent,
      instance: instanceKey(spec.name, index),
      index,
      pid: 0,
    })).filter((i) => !reported.has(stepName(i))),
  );
}

/**
 * When only one of min_healthy_time and healthy_deadline was asked for, the other is the handlers' (their
 * blocks' strictest): the refusal says which is which, and what to ask for instead.
 */
function mixedSources(overrides: Partial<UpdateSpec> | undefined): string {
  const min = overrides?.min_healthy_time_ms !== undefined;
  const deadline = overrides?.healthy_deadline_ms !== undefined;
  if (min === deadline) return '';
  return min
    ? "; min_healthy_time is the one asked for, healthy_deadline the handlers' update blocks': ask for a longer healthy_deadline too"
    : "; healthy_deadline is the one asked for, min_healthy_time the handlers' update blocks': ask for a longer healthy_deadline";
}

export function createRollout(n: NewRollout): RolloutRecord {
  const added = new Set<string>();
  const each = n.handlers.map((h) => {
    const covered = coveredInstances(h.instances, h.agents, h.spec);
    const refs = covered.filter((i) => !h.only || h.only.has(stepName(i)));
    // The replicas the spec places that no agent runs start in their batches: an update's added ones, and for a
    // whole handler's restart those an update that stopped short held back (an apply creates any other at once).
    const adds = addedInstances(h.instances, h.agents, h.spec).filter(
      (a) => n.kind === 'update' || (!h.only && h.heldBack?.has(stepName(a))),
    );
    for (const a of adds) added.add(stepName(a));
    return { h, refs: [...refs, ...adds], partial: refs.length < covered.length };
  });
  // A handler with nothing to roll is not covered (and its block does not count).
  const rolled = each.filter((e) => e.refs.length > 0);
  const handlers = rolled.map((e) => e.h);
  const refs = each.flatMap((e) => e.refs);
  // The handlers' blocks merged by the strictest (policy.ts), then the overrides: valid each, they may
  // still not fit together.
  const merged = strictestPolicy(
    handlers.map((h) => h.spec.update),
    refs.length,
  );
  const refuse = (key: UpdateKey, reason: string): never =>
    refuseField(key, `${reason}${key === 'healthy_deadline' ? mixedSources(n.overrides) : ''}`);
  const u = checkProgressDeadline(checkUpdate({ ...merged, ...n.overrides }, refuse), refuse);
  const pids = new Map(refs.map((r) => [stepName(r), r.pid]));
  const batches = planBatches(refs, batchSizeOf(u.batch_size, refs.length));
  const at = new Date(n.now).toISOString();
  const first = handlers[0] ?? n.handlers[0];
  return {
    id: newRolloutId(n.now),
    handler: first?.handler ?? '',
    handlers: rolled.map(({ h, partial }) => ({
      name: h.handler,
      from_version: h.from_version,
      to_version: h.to_version,
      rollback_version: 0,
      ...(partial ? { partial: true } : {}),
    })),
    kind: n.kind,
    state: 'pending',
    from_version: first?.from_version ?? 0,
    to_version: first?.to_version ?? 0,
    batch_size: u.batch_size,
    min_healthy_time_ms: u.min_healthy_time_ms,
    healthy_deadline_ms: u.healthy_deadline_ms,
    progress_deadline_ms: u.progress_deadline_ms,
    on_failure: u.on_failure,
    wait_between_ms: u.wait_between_ms,
    batches: batches.map((b, index) => ({
      index,
      state: 'pending',
      started_at: '',
      done_at: '',
      instances: b.map(stepName),
    })),
    instances: batches.flatMap((b, batch) =>
      b.map((i) => ({
        handler: i.handler,
        agent: i.agent,
        instance: i.instance,
        batch,
        state: 'pending' as const,
        old_pid: pids.get(stepName(i)) ?? 0,
        new_pid: 0,
        reason: '',
        started_at: '',
        done_at: '',
        changed: false,
        ...(added.has(stepName(i)) ? { added: true } : {}),
      })),
    ),
    current_batch: 0,
    created_at: at,
    updated_at: at,
    completed_at: '',
    error: '',
    issued_by: n.issuedBy,
    rollback_version: 0,
    running_since: at,
    resume_to: 'running',
    pause_requested: false,
  };
}

/** The proto view (internal fields left out). */
export function toRolloutProto(r: RolloutRecord): Rollout {
  return {
    id: r.id,
    handler: r.handler,
    handlers: r.handlers.map((h) => ({ ...h })),
    kind: r.kind,
    state: r.state,
    from_version: r.from_version,
    to_version: r.to_version,
    batch_size: r.batch_size,
    min_healthy_time_ms: r.min_healthy_time_ms,
    healthy_deadline_ms: r.healthy_deadline_ms,
    progress_deadline_ms: r.progress_deadline_ms,
    on_failure: r.on_failure,
    wait_between_ms: r.wait_between_ms,
    batches: r.batches.map((b) => ({ ...b, instances: [...b.instances] })),
    instances: r.instances.map((i) => ({
      handler: i.handler,
      agent: i.agent,
      instance: i.instance,
      batch: i.batch,
      state: i.state,
      old_pid: i.old_pid,
      new_pid: i.new_pid,
      reason: i.reason,
      started_at: i.started_at,
      done_at: i.done_at,
    })),
    current_batch: r.current_batch,
    created_at: r.created_at,
    updated_at: r.updated_at,
    completed_at: r.completed_at,
    error: r.error,
    issued_by: r.issued_by,
    rollback_version: r.rollback_version,
  };
}
