/**
 * The shape of a handler spec as stored in a state file (master.json, the agent's state.json): it was
 * validated when applied (shared/spec.ts), so this checks only that it is still a spec — the fields that
 * assignment, reconciling and spawning rely on — and names the field path when it is not.
 */
import { ShapeChecker, join } from './shape.js';

/** A spec as stored (already validated when applied): the fields assignment and agents rely on. */
export function checkStoredSpec(c: ShapeChecker, at: string, v: unknown, name?: string): void {
  const s = c.object(at, v);
  const n = c.string(join(at, 'name'), s.name);
  if (name !== undefined && n !== name) c.fail(join(at, 'name'), `is ${JSON.stringify(n)}, not ${name}`);
  const command = c.array(join(at, 'command'), s.command);
  if (command.length === 0) c.fail(join(at, 'command'), 'expected a non-empty array, got an empty one');
  command.forEach((x, i) => c.string(join(join(at, 'command'), i), x));
  c.array(join(at, 'agents'), s.agents).forEach((x, i) => c.string(join(join(at, 'agents'), i), x));
  c.record(join(at, 'selector'), s.selector, (k, x) => c.string(k, x));
  c.record(join(at, 'env'), s.env, (k, x) => c.string(k, x));
  c.optional(join(at, 'count'), s.count, (a, x) => c.number(a, x));
  c.object(join(at, 'backoff'), s.backoff);
  c.object(join(at, 'update'), s.update);
  c.optional(join(at, 'policies'), s.policies, (pat, list) =>
    c.array(pat, list).forEach((x, i) => {
      const rat = join(pat, i);
      const r = c.object(rat, x);
      c.string(join(rat, 'name'), r.name);
      c.string(join(join(rat, 'when'), 'metric'), c.object(join(rat, 'when'), r.when).metric);
      c.string(join(join(rat, 'do'), 'kind'), c.object(join(rat, 'do'), r.do).kind);
    }),
  );
}
