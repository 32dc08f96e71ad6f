/**
 * Resolving a TARGET set (shared/targets.ts) against the registry: which handlers and which of their instances
 * a command acts on. Unknown names are refused all together before anything is done; so is an agent the master
 * has never heard of. Two views of the answer:
 * - `instances`: every instance the set names as the specs define them (each assigned agent × replica index),
 *   what control commands and rollouts act on;
 * - `matches(view)`: whether a reported instance belongs to the set, what read commands (ps, metrics) filter by.
 */
import { NotFoundError, StateError, ValidationError } from '../../shared/errors.js';
import { observedRefusal } from '../../shared/observed.js';
import { instanceKey, parseInstanceKey, type HandlerSpec } from '../../shared/spec.js';
import {
  checkTargetSet,
  commandGroups,
  isEmptyTarget,
  noHandlerPicked,
  type TargetSet,
} from '../../shared/targets.js';
import type { InstanceView, Registry } from './registry.js';

/** One instance a set names. */
export interface TargetInstance {
  handler: string;
  agent: string;
  /** Replica index on its agent. */
  index: number;
  /** Instance key on the agent (`web`, `web#1`). */
  key: string;
  /** Named by its own key (`web#1`), not only through its handler's name, --all or a selector. */
  named: boolean;
  /** Its last reported status, when the agent reported it. */
  view?: InstanceView;
}

export interface ResolvedTargets {
  /** Handlers the set names (specs), sorted. */
  handlers: string[];
  /** Every instance of those handlers the set names, sorted by handler, agent, index. */
  instances: TargetInstance[];
  /** True when a reported instance belongs to the set (observed processes included for reads). */
  matches(view: InstanceView): boolean;
  /** The same test by parts: handler, instance key on the agent (`web#1`, or the handler), agent. */
  matchesKey(handler: string, key: string, agent: string): boolean;
}

export interface ResolveOptions {
  /** What a set naming nothing means: every handler (reads), or a refusal (commands). */
  empty: 'everything' | 'refuse';
  /** A name of an observed process: listed (reads) or refused (commands never act on one). */
  observed: 'include' | 'refuse';
  /**
   * Replicas a stopped-short rolling update holds back (Fleet.deferredInstances): no agent runs them, so commands
   * that act on running instances leave them out, and refuse one named by its key. Unset (rollouts): included —
   * a rolling restart is what starts them.
   */
  heldBack?: (agent: string, key: string) => boolean;
  /** Why a refused observed name is refused (observedRefusal): by default, that it is never signalled. */
  observedWhy?: string;
}

/** Which instances of one handler are meant: every one, or these (index, agent) pairs (null = any). */
type Pick = Array<{ index: number | null; agent: string | null }>;

export function resolveTargets(registry: Registry, set: TargetSet, opts: ResolveOptions): ResolvedTargets {
  const names = checkTargetSet(set);
  if (opts.empty === 'refuse' && isEmptyTarget(set))
    throw new ValidationError(
      'no target: name handlers or instances (web, web@edge-1), or give --all or --selector',
      {
        fields: ['targets'],
      },
    );
  const knownAgents = new Set(registry.listAgents().map((a) => a.id));
  const unknownAgents = [
    ...set.agents.filter((a) => !knownAgents.has(a)),
    ...names.flatMap((n) => (n.agent !== null && !knownAgents.has(n.agent) ? [n.agent] : [])),
  ];
  if (unknownAgents.length > 0)
    throw new NotFoundError(
      `unknown agent${unknownAgents.length > 1 ? 's' : ''} ${listed([...new Set(unknownAgents)].map((a) => JSON.stringify(a)))} ` +
        `(known: ${listed([...knownAgents].sort()) || 'none'}); nothing was done`,
      { fields: ['targets'] },
    );

  const specs = new Map(registry.listSpecs().map((v) => [v.spec.name, v.spec]));
  const reported = registry.listInstances();
  const observedNames = new Set(reported.filter((v) => v.status.observed).map((v) => v.status.handler ?? ''));
  const reportedNames = new Set(reported.map((v) => v.status.handler ?? ''));

  const picks = new Map<string, Pick>();
  const pick = (handler: string, p: Pick[number]): void => {
    const list = picks.get(handler) ?? [];
    list.push(p);
    picks.set(handler, list);
  };
  const unknown: string[] = [];
  const observed: string[] = [];
  for (const n of names) {
    if (specs.has(n.handler)) pick(n.handler, { index: n.index, agent: n.agent });
    else if (observedNames.has(n.handler) && opts.observed === 'refuse') observed.push(n.handler);
    else if (reportedNames.has(n.handler) && opts.observed === 'include')
      pick(n.handler, { index: n.index, agent: n.agent });
    else unknown.push(n.text);
  }
  if (unknown.length > 0) throw unknownTargets(unknown, [...specs.keys()]);
  if (observed.length > 0)
    throw new StateError(observed.map((n) => observedRefusal(n, opts.observedWhy)).join('; '));
  const all = set.all || (opts.empty === 'everything' && isEmptyTarget(set));
  const selector = Object.entries(set.selector);
  if (all || selector.length > 0) {
    for (const spec of specs.values())
      if (all || selector.every(([k, v]) => spec.labels[k] === v))
        pick(spec.name, { index: null, agent: null });
    if (all && opts.observed === 'include')
      for (const name of reportedNames) if (!specs.has(name)) pick(name, { index: null, agent: null });
  }
  // A command whose --all or --selector picks no handler does nothing: refused as a target naming nothing.
  if (opts.empty === 'refuse' && ![...picks.keys()].some((h) => specs.has(h)))
    throw noHandlerPicked(all, set.selector);
  const narrow = set.agents.length > 0 ? new Set(set.agents) : null;
  const wanted = (handler: string, index: number, agent: string): boolean =>
    (narrow === null || narrow.has(agent)) &&
    (picks.get(handler) ?? []).some(
      (p) => (p.index === null || p.index === index) && (p.agent === null || p.agent === agent),
    );

  const byKey = new Map(reported.map((v) => [`${v.agent}\u0000${v.status.instance || v.status.handler}`, v]));
  const instances: TargetInstance[] = [];
  const heldNamed: string[] = [];
  for (const handler of [...picks.keys()].sort()) {
    const spec = specs.get(handler);
    if (!spec) continue; // observed or leftover: reads only (matches)
    for (const agent of registry.agentsFor(spec).sort())
      for (let index = 0; index < spec.count; index++) {
        if (!wanted(handler, index, agent)) continue;
        const key = instanceKey(handler, index);
        const view = byKey.get(`${agent}\u0000${key}`);
        const named = (picks.get(handler) ?? []).some(
          (p) => p.index === index && (p.agent === null || p.agent === agent),
        );
        if (opts.heldBack?.(agent, key)) {
          if (named) heldNamed.push(`${key}@${agent}`);
          continue;
        }
        instances.push({ handler, agent, index, key, named, ...(view ? { view } : {}) });
      }
  }
  if (heldNamed.length > 0) throw heldBackTargets(heldNamed);
  checkNamesHit(names, instances, specs, registry, set.agents);
  // Handlers picked by --all or --selector that --agent narrows to no instance: nothing to do, refused too.
  if (opts.empty === 'refuse' && narrow !== null && instances.length === 0)
    throw new NotFoundError(
      `${
        set.all
          ? '--all'
          : `--selector ${Object.entries(set.selector)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')}`
      } ` +
        `picks ${listed([...picks.keys()].filter((h) => specs.has(h)).sort())}, none of which runs on ` +
        `${listed(set.agents)}; nothing was done`,
      { fields: ['targets'] },
    );
  const matchesKey = (handler: string, key: string, agent: string): boolean =>
    wanted(handler, parseInstanceKey(key || handler).index, agent);
  return {
    handlers: [...picks.keys()].filter((h) => specs.has(h)).sort(),
    instances,
    matches: (v) =>
      matchesKey(v.status.handler ?? '', v.status.instance || (v.status.handler ?? ''), v.agent),
    matchesKey,
  };
}

/**
 * A name that is a known handler but names no instance (`web#3` of a 2-replica handler, `web@edge-9` or
 * `web --agent edge-9` where it is not assigned) is refused too, naming what exists — a command never
 * silently does nothing to it.
 */
function checkNamesHit(
  names: ReturnType<typeof checkTargetSet>,
  instances: readonly TargetInstance[],
  specs: ReadonlyMap<string, HandlerSpec>,
  registry: Registry,
  narrow: readonly string[],
): void {
  for (const n of names) {
    const spec = specs.get(n.handler);
    if (!spec || (n.index === null && n.agent === null && narrow.length === 0)) continue;
    const hit = instances.some(
      (i) =>
        i.handler === n.handler &&
        (n.index === null || i.index === n.index) &&
        (n.agent === null || i.agent === n.agent),
    );
    if (hit) continue;
    const agents = registry.agentsFor(spec);
    if (n.agent !== null && !agents.includes(n.agent))
      throw new NotFoundError(
        `target ${n.text}: handler ${n.handler} is not assigned to agent ${n.agent} (assigned: ${agents.join(', ') || 'none'})`,
        { fields: ['targets'] },
      );
    if (n.index !== null && n.index >= spec.count)
      throw new NotFoundError(
        `target ${n.text}: handler ${n.handler} has ${spec.count} instance(s) per agent (${Array.from(
          { length: spec.count },
          (_, i) => instanceKey(n.handler, i),
        ).join(', ')})`,
        { fields: ['targets'] },
      );
    const assigned = agents.filter((a) => n.agent === null || a === n.agent);
    if (assigned.length > 0 && narrow.length > 0 && !assigned.some((a) => narrow.includes(a)))
      throw new NotFoundError(
        `target ${n.text}: handler ${n.handler} is not assigned to agent${narrow.length > 1 ? 's' : ''} ` +
          `${narrow.join(', ')} (assigned: ${assigned.join(', ')})`,
        { fields: ['targets'] },
      );
  }
}

/** Most names a refusal lists (a request may name thousands; the message stays readable and small). */
const MAX_LISTED = 20;

/** `a, b, c` — at most MAX_LISTED of `names`, then `+N more`. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED);
  return names.length > MAX_LISTED
    ? `${shown.join(', ')} +${names.length - MAX_LISTED} more`
    : shown.join(', ');
}

/** Every unknown name at once, with the known handlers (so a typo is seen at a glance). */
function unknownTargets(unknown: readonly string[], known: readonly string[]): NotFoundError {
  return new NotFoundError(
    `unknown handler${unknown.length > 1 ? 's' : ''} ${listed(unknown.map((u) => JSON.stringify(u)))} ` +
      `(known: ${listed(known) || 'none'}); nothing was done — apply a spec with gov apply -f`,
    { fields: ['targets'] },
  );
}

/** Replicas named by key that a stopped-short rolling update holds back (ResolveOptions.heldBack). */
function heldBackTargets(keys: readonly string[]): NotFoundError {
  const handlers = [...new Set(keys.map((k) => parseInstanceKey(k.slice(0, k.lastIndexOf('@'))).handler))];
  return new NotFoundError(
    `${listed(keys)} ${keys.length > 1 ? 'are' : 'is'} not started: held back by a rolling update that stopped ` +
      `short before its batch; \`gov rollout restart ${handlers.join(' ')}\` starts ${keys.length > 1 ? 'them' : 'it'} ` +
      `health-gated, as does the next apply of a new version; nothing was done`,
    { fields: ['targets'] },
  );
}

/** Instances grouped into commands per handler and agent (shared/targets.ts commandGroups). */
export function commandUnits(
  registry: Registry,
  instances: readonly TargetInstance[],
  opts: { perInstance?: boolean; perNamed?: boolean } = {},
): Array<{ handler: string; agent: string; instance: string; targets: TargetInstance[] }> {
  return commandGroups(instances, (h) => registry.getSpec(h)?.spec.count ?? 1, {
    ...opts,
    groupOf: (i) => i.agent,
  }).map((g) => ({
    handler: g.first.handler,
    agent: g.first.agent,
    instance: g.instance,
    targets: g.targets,
  }));
}
