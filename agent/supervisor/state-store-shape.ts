/**
 * The shape check of a loaded agent `state.json`: the layout version, cached specs, every instance record
 * and its handles, and the observed set — what the supervisor relies on to re-adopt handlers. A file of
 * the wrong shape is refused with the file and the field path: starting from scratch beside running
 * handlers would lose them (and start duplicates).
 */
import { ShapeChecker, join } from '../../shared/shape.js';
import { checkStoredSpec } from '../../shared/spec-shape.js';
import { INSTANCE_STATES } from '../instance/lifecycle.js';
import type { AgentState } from './state-store.js';

/** The layout versions this agent reads. */
export const AGENT_STATE_VERSION = 1;

export function checkAgentState(raw: unknown, file: string): AgentState {
  const c = new ShapeChecker(file);
  const d = c.object('', raw);
  if (d.version === undefined) c.fail('version', 'missing: this is not an agent state file');
  if (c.number('version', d.version) !== AGENT_STATE_VERSION)
    c.fail(
      'version',
      `layout version ${String(d.version)} is not one this agent understands (${AGENT_STATE_VERSION}); ` +
        `run the Governor version that wrote it, or use another --data-dir`,
    );
  c.record('specs', d.specs, (at, v) => checkStoredSpec(c, at, v));
  c.record('instances', d.instances, (at, v) => instanceRecord(c, at, v));
  c.optional('observed', d.observed, (at, v) => observed(c, at, v));
  return d as unknown as AgentState;
}

function instanceRecord(c: ShapeChecker, at: string, v: unknown): void {
  const r = c.object(at, v);
  c.string(join(at, 'spec_hash'), r.spec_hash);
  c.oneOf(join(at, 'desired'), r.desired, ['running', 'stopped'] as const);
  c.oneOf(join(at, 'state'), r.state, INSTANCE_STATES);
  c.nullable(join(at, 'handle'), r.handle, (a, h) => handle(c, a, h));
  c.optional(join(at, 'unverified_handle'), r.unverified_handle, (a, x) =>
    c.nullable(a, x, (b, h) => handle(c, b, h)),
  );
  c.optional(join(at, 'draining'), r.draining, (a, x) =>
    c.array(a, x).forEach((h, i) => handle(c, join(a, i), h)),
  );
  c.optional(join(at, 'draining_signalled_at'), r.draining_signalled_at, (a, x) => {
    for (const [pgid, ms] of Object.entries(c.object(a, x))) c.number(join(a, pgid), ms);
  });
  c.number(join(at, 'restarts'), r.restarts);
  c.optional(join(at, 'failed_starts'), r.failed_starts, (a, x) => c.number(a, x));
  c.optional(join(at, 'lease_until'), r.lease_until, (a, x) => c.number(a, x));
  c.optional(join(at, 'started_at'), r.started_at, (a, x) => c.nullable(a, x, (b, n) => c.number(b, n)));
  // sd_notify (notify: true handlers): the last STATUS= and a WATCHDOG_USEC= override.
  c.optional(join(at, 'notify'), r.notify, (a, x) => {
    const n = c.object(a, x);
    c.string(join(a, 'status'), n.status);
    c.optional(join(a, 'watchdog_ms'), n.watchdog_ms, (b, y) => c.number(b, y));
  });
  c.optional(join(at, 'frozen_at'), r.frozen_at, (a, x) => c.number(a, x));
  c.optional(join(at, 'removing'), r.removing, (a, x) => c.boolean(a, x));
  c.optional(join(at, 'stopping_since'), r.stopping_since, (a, x) => c.number(a, x));
  c.optional(join(at, 'last_exit'), r.last_exit, (a, x) =>
    c.nullable(a, x, (b, e) => {
      const o = c.object(b, e);
      c.nullable(join(b, 'code'), o.code, (p, n) => c.number(p, n));
      c.nullable(join(b, 'signal'), o.signal, (p, s) => c.string(p, s));
      c.number(join(b, 'at'), o.at);
    }),
  );
}

/** A handle: the identity a process is verified by before it is adopted or signalled. */
function handle(c: ShapeChecker, at: string, v: unknown): void {
  const h = c.object(at, v);
  for (const k of ['pid', 'pgid', 'spawned_at'] as const) c.number(join(at, k), h[k]);
  for (const k of ['start_time', 'cmdline_hash', 'exit_file'] as const) c.string(join(at, k), h[k]);
  c.optional(join(at, 'spawn_token'), h.spawn_token, (a, x) => c.string(a, x));
  // The main process (absent in handles of older agents: found again on adoption).
  c.optional(join(at, 'main_pid'), h.main_pid, (a, x) => c.number(a, x));
  c.optional(join(at, 'main_start_time'), h.main_start_time, (a, x) => c.string(a, x));
  c.optional(join(at, 'main_notified'), h.main_notified, (a, x) => c.boolean(a, x));
  // The tracking cgroup (absent without tracking and in handles of older agents: the process group rules).
  c.optional(join(at, 'cgroup'), h.cgroup, (a, x) => c.string(a, x));
}

function observed(c: ShapeChecker, at: string, v: unknown): void {
  const o = c.object(at, v);
  c.record(join(at, 'processes'), o.processes, (a, x) => {
    const p = c.object(a, x);
    for (const k of ['pid', 'pgid'] as const) c.number(join(a, k), p[k]);
    for (const k of ['name', 'start_time'] as const) c.string(join(a, k), p[k]);
  });
  c.array(join(at, 'ignored'), o.ignored).forEach((x, i) => c.string(join(join(at, 'ignored'), i), x));
}
