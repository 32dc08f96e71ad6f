/**
 * A TARGET set (shared/targets.ts, DESIGN §6) resolved against this agent's own handlers, as the master
 * resolves one against its registry: unknown names are refused all together before anything is done, a
 * name of an observed process is refused for a command (listed for a read), an agent other than this one
 * names nothing here and is refused, and a replica index past the handler's count is refused.
 */
import { NotFoundError, StateError, ValidationError } from '../../shared/errors.js';
import { observedRefusal } from '../../shared/observed.js';
import { instanceKey, type HandlerSpec } from '../../shared/spec.js';
import { checkTargetSet, isEmptyTarget, noHandlerPicked, type TargetSet } from '../../shared/targets.js';

export interface LocalInstance {
  handler: string;
  index: number;
  /** Instance key on this agent (`web`, `web#1`). */
  key: string;
  /** Named by its own key (`web#1`), not only through its handler's name, --all or a selector. */
  named: boolean;
}

export interface LocalResolved {
  /** Every instance of the agent's handlers the set names, by handler then index. */
  instances: LocalInstance[];
  /** True when an instance (handler, index) belongs to the set (observed processes included for reads). */
  matches(handler: string, index: number): boolean;
}

export function resolveLocalTargets(
  specs: readonly HandlerSpec[],
  observedNames: ReadonlySet<string>,
  agentId: string,
  set: TargetSet,
  opts: { empty: 'everything' | 'refuse'; observed: 'include' | 'refuse' },
): LocalResolved {
  const names = checkTargetSet(set);
  if (opts.empty === 'refuse' && isEmptyTarget(set))
    throw new ValidationError(
      'no target: name handlers or instances (web, web#1), or give --all or --selector',
      {
        fields: ['targets'],
      },
    );
  const others = [
    ...set.agents.filter((a) => a !== agentId),
    ...names.flatMap((n) => (n.agent !== null && n.agent !== agentId ? [n.agent] : [])),
  ];
  if (others.length > 0)
    throw new NotFoundError(
      `unknown agent ${[...new Set(others)].map((a) => JSON.stringify(a)).join(', ')}: this is agent ` +
        `${agentId}, and the local socket reaches only its handlers; nothing was done`,
      { fields: ['targets'] },
    );
  const byName = new Map(specs.map((s) => [s.name, s]));
  // Sets: a name given 10,000 times is one pick (a list copied per pick was a quadratic walk).
  const picks = new Map<string, Set<number | null>>();
  const pick = (h: string, index: number | null): void => {
    const got = picks.get(h);
    if (got) got.add(index);
    else picks.set(h, new Set([index]));
  };
  const unknown: string[] = [];
  const observed: string[] = [];
  for (const n of names) {
    const spec = byName.get(n.handler);
    if (spec) {
      if (n.index !== null && n.index >= spec.count)
        throw new NotFoundError(
          `target ${n.text}: handler ${n.handler} has ${spec.count} instance(s) (${Array.from(
            { length: spec.count },
            (_, i) => instanceKey(n.handler, i),
          ).join(', ')})`,
          { fields: ['targets'] },
        );
      pick(n.handler, n.index);
    } else if (observedNames.has(n.handler)) {
      if (opts.observed === 'refuse') observed.push(n.handler);
      else pick(n.handler, null);
    } else unknown.push(n.text);
  }
  if (unknown.length > 0)
    throw new NotFoundError(
      `unknown handler${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')} ` +
        `(known: ${[...byName.keys()].join(', ') || 'none'}); nothing was done`,
      { fields: ['targets'] },
    );
  if (observed.length > 0) throw new StateError(observed.map((n) => observedRefusal(n)).join('; '));
  const all = set.all || (opts.empty === 'everything' && isEmptyTarget(set));
  const selector = Object.entries(set.selector);
  if (all || selector.length > 0) {
    for (const spec of specs)
      if (all || selector.every(([k, v]) => spec.labels[k] === v)) pick(spec.name, null);
    if (all && opts.observed === 'include') for (const name of observedNames) pick(name, null);
  }
  // A command whose --all or --selector picks no handler does nothing: refused, as the master does.
  if (opts.empty === 'refuse' && ![...picks.keys()].some((h) => byName.has(h)))
    throw noHandlerPicked(all, set.selector);
  const matches = (handler: string, index: number): boolean => {
    const got = picks.get(handler);
    return !!got && (got.has(null) || got.has(index));
  };
  const instances: LocalInstance[] = [];
  for (const handler of [...picks.keys()].sort()) {
    const spec = byName.get(handler);
    if (!spec) continue; // observed: reads only
    for (let index = 0; index < spec.count; index++)
      if (matches(handler, index))
        instances.push({
          handler,
          index,
          key: instanceKey(handler, index),
          named: picks.get(handler)?.has(index) === true,
        });
  }
  return { instances, matches };
}
