/**
 * Handlers an earlier agent spawned but never recorded (DESIGN §8 item 8): an agent killed between a spawn
 * and the durable write of its handle leaves a live shim no state file names. Its command line names its
 * exit file under this data dir (`<data-dir>/run/<key>.exit`), so a starting agent lists the live shims of
 * its data dir and, for each one no persisted handle accounts for:
 * - adopts it when its instance is wanted running and has no live verified handle (one per instance);
 * - keeps it running, never signalled, when the state file has no record of its instance (`unrecorded`:
 *   a brand-new instance's first spawn, or a state file restored from an older copy): it is adopted when the
 *   instance's spec arrives (at once when the file has the spec), and stopped only when an apply removes its
 *   handler or leaves its replica above the spec's count (`unrecordedToStop`) — a handler is never stopped
 *   for what the agent does not know (DESIGN §8 item 9);
 * - otherwise (wanted stopped, already running, a second stray of one instance) stops its whole group.
 * Nothing else is ever signalled: only processes the backend proved are shims of this data dir.
 * This file is the pure plan; the supervisor carries it out (adopt via `Instance.restore` or
 * `Instance.adoptUnrecorded`, stop with `stopGroup`).
 */
import path from 'node:path';
import type { Handle, ShimProcess } from '../process/backend.js';
import { parseInstanceKey } from '../../shared/spec.js';
import { instanceLogFile } from '../instance/paths.js';
import type { InstanceRecord } from './state-store.js';

export interface StrayPlan {
  /** Instance key → the stray shim it adopts. */
  adopt: Map<string, Handle>;
  /** Instance key → the newest stray of an instance the state file has no record of: left running. */
  unrecorded: Map<string, ShimProcess>;
  /** Strays to stop, with why. */
  stop: Array<{ shim: ShimProcess; reason: string }>;
}

/** `<data-dir>/run`: where every shim's exit file lies (instance/paths.ts). */
export function runDir(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'run');
}

/**
 * The pure decision. `records` are the persisted instance records (by key, only those whose spec is
 * known); `liveHandle(key)` is true when the record's own handle was verified alive.
 */
export function planStrays(
  shims: ShimProcess[],
  records: Readonly<Record<string, InstanceRecord>>,
  liveHandle: (key: string) => boolean,
): StrayPlan {
  const plan: StrayPlan = { adopt: new Map(), unrecorded: new Map(), stop: [] };
  const known = new Set<string>();
  for (const rec of Object.values(records)) {
    for (const h of [rec.handle, ...(rec.draining ?? [])]) if (h) known.add(`${h.pid}:${h.start_time}`);
  }
  // Newest first: when several strays claim one instance, the latest spawn is the one kept.
  const strays = shims
    .filter((s) => !known.has(`${s.handle.pid}:${s.handle.start_time}`))
    .sort((a, b) => Number(b.handle.start_time) - Number(a.handle.start_time));
  for (const shim of strays) {
    const rec = Object.hasOwn(records, shim.key) ? records[shim.key] : undefined;
    let reason: string | null = null;
    if (!rec) {
      if (!plan.unrecorded.has(shim.key)) {
        plan.unrecorded.set(shim.key, shim);
        continue;
      }
      reason = 'a newer stray of the same unrecorded instance is kept (a duplicate)';
    } else if (rec.desired !== 'running') reason = 'its instance is wanted stopped';
    else if (liveHandle(shim.key)) reason = 'its instance already runs a verified process (a duplicate)';
    else if (plan.adopt.has(shim.key))
      reason = 'a newer stray of the same instance was adopted (a duplicate)';
    if (reason === null) plan.adopt.set(shim.key, shim.handle);
    else plan.stop.push({ shim, reason });
  }
  return plan;
}

/**
 * The unrecorded strays (`keys`) an apply of `specs` stops, with why: those of a handler in `remove` (deleted
 * by an admin, or no longer targeting this agent) and replicas at or above their spec's count. Any other is
 * left running: adopted once its spec arrives.
 */
export function unrecordedToStop(
  keys: Iterable<string>,
  specs: ReadonlyMap<string, { count?: number }>,
  remove: ReadonlySet<string> | undefined,
): Array<{ key: string; reason: string }> {
  const out: Array<{ key: string; reason: string }> = [];
  for (const key of keys) {
    const { handler, index } = parseInstanceKey(key);
    const spec = specs.get(handler);
    if (spec && index >= (spec.count ?? 1))
      out.push({ key, reason: `its replica is above ${handler}'s count (${spec.count ?? 1})` });
    else if (!spec && remove?.has(handler))
      out.push({ key, reason: `its handler ${handler} is removed from this agent` });
  }
  return out;
}

/**
 * Instance groups (cgroup-tracking.ts, `<scope>/<key>`) whose processes no record accounts for: an agent
 * killed between a spawn and the durable write of its handle, after the first process exited (a daemon,
 * `type: forking`), leaves a daemon only its cgroup names. A group is accounted for while its instance's
 * record holds a handle, an unverified one (never signalled: an admin decides) or groups being drained
 * (the instance verifies, adopts or drains those), or a stray shim of it is adopted; any other group with
 * live members is returned (stopped before any spawn: the next process of the instance joins that group).
 */
export function orphanGroups(
  groups: ReadonlyArray<{ key: string; members: number[] }>,
  records: Readonly<Record<string, InstanceRecord>>,
  adopted: ReadonlySet<string>,
): string[] {
  return groups
    .filter(({ key, members }) => {
      if (members.length === 0 || adopted.has(key)) return false;
      const rec = Object.hasOwn(records, key) ? records[key] : undefined;
      return !rec || (rec.handle === null && !rec.unverified_handle && (rec.draining ?? []).length === 0);
    })
    .map((g) => g.key);
}

/**
 * The orphan groups (`orphanGroups`) kept running, never signalled, like an unrecorded shim: those of an
 * instance the state file has no record of whose spec is unknown or `type: forking` — a daemon whose first
 * process (and shim) exited, spawned by an agent killed before its write or named only by an older copy of
 * the file. Its spec decides: a `type: forking` one adopts the daemon (`Instance.adoptUnrecorded`), any other
 * stops what is left before its start. The rest are stopped before any spawn.
 */
export function heldGroups(
  orphans: readonly string[],
  specs: Readonly<Record<string, { type?: string }>>,
  records: Readonly<Record<string, InstanceRecord>>,
): string[] {
  return orphans.filter((key) => {
    if (Object.hasOwn(records, key)) return false;
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    return spec === undefined || spec.type === 'forking';
  });
}

/**
 * The record as if the dead agent had written the stray's handle: `starting` (the restore decides whether
 * its start window is over), logs at the instance's paths. A stray replaced an exited process (or began a
 * requested start), so an earlier handle counts as one restart.
 */
export function adoptedRecord(
  key: string,
  rec: InstanceRecord,
  stray: Handle,
  dataDir: string,
): InstanceRecord {
  const handle: Handle = {
    ...stray,
    stdout_log: instanceLogFile(dataDir, key, 'stdout'),
    stderr_log: instanceLogFile(dataDir, key, 'stderr'),
    spec_hash: rec.spec_hash,
  };
  const restarted = rec.handle !== null || rec.state === 'exited' || rec.state === 'backoff';
  return {
    ...rec,
    state: 'starting',
    handle,
    unverified_handle: null,
    restarts: rec.restarts + (restarted ? 1 : 0),
    started_at: stray.spawned_at,
  };
}
