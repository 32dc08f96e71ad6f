/**
 * The shape check of a loaded `master.json`: every top-level field and the records inside, down to what
 * the registry, execution log and rollouts rely on. A file of the wrong shape is refused with the file
 * and the field path; it is never loaded as empty (a master that knows nothing tells agents nothing).
 * Keys missing from an older file are filled in; a file from a newer layout is refused.
 */
import { FILE_REFUSAL, ShapeChecker, join } from '../../shared/shape.js';
import { checkStoredSpec } from '../../shared/spec-shape.js';
import { EXECUTION_STATUSES } from './execution-stats.js';
import { ROLLOUT_STATES } from '../rollout/types.js';
import { TRACKINGS, type MasterState } from './store.js';

/** Where a checked document lives, for the refusal: what to do about it, and where else to start afresh. */
export interface StateOrigin {
  refusal: string;
  elsewhere: string;
}
const FILE_ORIGIN: StateOrigin = { refusal: FILE_REFUSAL, elsewhere: 'use another --data-dir' };

/** Returns the checked state (older files completed with defaults); throws a ValidationError otherwise. */
export function checkMasterState(
  raw: unknown,
  file: string,
  defaults: MasterState,
  origin: StateOrigin = FILE_ORIGIN,
): MasterState {
  const c = new ShapeChecker(file, origin.refusal);
  const MASTER_STATE_VERSION = defaults.version;
  const d = c.object('', raw);
  if (d.version !== undefined) {
    const v = c.number('version', d.version);
    if (v > MASTER_STATE_VERSION)
      c.fail(
        'version',
        `layout version ${v} is newer than this master understands (${MASTER_STATE_VERSION}); ` +
          `upgrade the master or ${origin.elsewhere}`,
      );
  }
  c.optional('agents', d.agents, (at, v) => c.record(at, v, (a, x, id) => agent(c, a, x, id)));
  c.optional('specs', d.specs, (at, v) => c.record(at, v, (a, x, name) => specEntry(c, a, x, name)));
  c.optional('instances', d.instances, (at, v) =>
    c.record(at, v, (a, perAgent) => c.record(a, perAgent, (k, e) => instanceEntry(c, k, e))),
  );
  c.optional('executions', d.executions, (at, v) =>
    c.array(at, v).forEach((r, i) => checkExecutionRecord(c, join(at, i), r)),
  );
  c.optional('lifetime_executions', d.lifetime_executions, (at, v) => c.number(at, v));
  c.optional('rollouts', d.rollouts, (at, v) => c.record(at, v, (a, r) => rollout(c, a, r)));
  c.optional('execution_journal', d.execution_journal, (at, v) => c.string(at, v));
  c.optional('deleted', d.deleted, (at, v) =>
    c.record(at, v, (a, x) => c.string(join(a, 'at'), c.object(a, x).at)),
  );
  const state = d as Partial<MasterState>;
  state.version = MASTER_STATE_VERSION;
  state.agents ??= defaults.agents;
  state.specs ??= defaults.specs;
  state.instances ??= defaults.instances;
  state.executions ??= defaults.executions;
  state.lifetime_executions ??= state.executions.length;
  state.rollouts ??= defaults.rollouts;
  return state as MasterState;
}

function agent(c: ShapeChecker, at: string, v: unknown, id: string): void {
  const a = c.object(at, v);
  if (c.string(join(at, 'id'), a.id) !== id)
    c.fail(join(at, 'id'), `is ${JSON.stringify(a.id)}, not its key`);
  c.string(join(at, 'hostname'), a.hostname);
  c.record(join(at, 'labels'), a.labels, (k, x) => c.string(k, x));
  c.optional(join(at, 'reported_labels'), a.reported_labels, (r, m) =>
    c.record(r, m, (k, x) => c.string(k, x)),
  );
  c.string(join(at, 'version'), a.version);
  c.optional(join(at, 'tracking'), a.tracking, (k, x) => {
    if (!(TRACKINGS as readonly unknown[]).includes(x)) c.fail(k, `must be one of ${TRACKINGS.join(', ')}`);
  });
  c.boolean(join(at, 'connected'), a.connected);
  c.string(join(at, 'last_seen'), a.last_seen);
  c.boolean(join(at, 'revoked'), a.revoked);
  c.optional(join(at, 'handlers'), a.handlers, (h, x) =>
    c.array(h, x).forEach((n, i) => c.string(join(h, i), n)),
  );
}

function specEntry(c: ShapeChecker, at: string, v: unknown, name: string): void {
  const e = c.object(at, v);
  if (c.string(join(at, 'name'), e.name) !== name)
    c.fail(join(at, 'name'), `is ${JSON.stringify(e.name)}, not its key`);
  const versions = c.array(join(at, 'versions'), e.versions);
  if (versions.length === 0) c.fail(join(at, 'versions'), 'expected at least one version, got none');
  versions.forEach((x, i) => {
    const vat = join(join(at, 'versions'), i);
    const sv = c.object(vat, x);
    c.number(join(vat, 'version'), sv.version);
    c.string(join(vat, 'hash'), sv.hash);
    c.string(join(vat, 'applied_at'), sv.applied_at);
    checkStoredSpec(c, join(vat, 'spec'), sv.spec, name);
  });
}

function instanceEntry(c: ShapeChecker, at: string, v: unknown): void {
  const e = c.object(at, v);
  const s = c.object(join(at, 'status'), e.status);
  c.string(join(join(at, 'status'), 'handler'), s.handler);
  c.string(join(at, 'reported_at'), e.reported_at);
}

/** One execution record, in `master.json` (an older master's), etcd or the execution journal. */
export function checkExecutionRecord(c: ShapeChecker, at: string, v: unknown): void {
  const r = c.object(at, v);
  for (const k of ['id', 'kind', 'handler', 'agent', 'issued_by', 'started_at'] as const)
    c.string(join(at, k), r[k]);
  c.oneOf(join(at, 'status'), r.status, EXECUTION_STATUSES);
}

function rollout(c: ShapeChecker, at: string, v: unknown): void {
  const r = c.object(at, v);
  c.string(join(at, 'id'), r.id);
  c.string(join(at, 'handler'), r.handler);
  c.oneOf(join(at, 'state'), r.state, ROLLOUT_STATES);
  c.array(join(at, 'batches'), r.batches).forEach((b, i) => c.object(join(join(at, 'batches'), i), b));
  c.array(join(at, 'instances'), r.instances).forEach((x, i) => {
    const inst = c.object(join(join(at, 'instances'), i), x);
    // Absent in records from before rollouts covered several handlers (migrated on open: rollout/store.ts).
    c.optional(join(join(join(at, 'instances'), i), 'handler'), inst.handler, (a, h) => c.string(a, h));
  });
  c.optional(join(at, 'handlers'), r.handlers, (a, list) =>
    c.array(a, list).forEach((h, i) => {
      const entry = c.object(join(a, i), h);
      c.string(join(join(a, i), 'name'), entry.name);
      for (const k of ['from_version', 'to_version', 'rollback_version'] as const)
        c.number(join(join(a, i), k), entry[k]);
    }),
  );
  c.number(join(at, 'current_batch'), r.current_batch);
  c.string(join(at, 'created_at'), r.created_at);
}
