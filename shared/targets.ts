/**
 * The TARGET syntax of the CLI and the admin API (DESIGN §6): what a command acts on. One or more names —
 * a handler (`web`) or an instance key (`web@edge-1`, `web#1@edge-1`, `web#1`) — and/or the sets `--all`
 * and `--selector k=v[,k=v]` (handler labels), narrowed by `--agent ID` (repeatable). This file only parses
 * and checks the words; the master resolves them against its registry (master/state/targets.ts).
 */
import { NotFoundError, ValidationError } from './errors.js';
import { agentRefRefusal, isAgentRef, isName, NAME_RULE } from './names.js';
import { instanceKey, parseInstanceKey } from './spec.js';
import { labelProblem } from './labels.js';

/** The wire shape (admin.proto TargetSet). */
export interface TargetSet {
  names: string[];
  all: boolean;
  selector: Record<string, string>;
  agents: string[];
}

/** One parsed name: a handler, optionally one replica index, optionally one agent. */
export interface TargetName {
  /** The text as given. */
  text: string;
  handler: string;
  /**
   * Replica index: `#N`, or 0 for `web@edge-1` (an instance key: the handler's first instance there, as
   * `gov ps` prints it); null for a bare handler name (`web`: every instance of the handler).
   */
  index: number | null;
  /** Agent after `@`; null: every agent of the handler. */
  agent: string | null;
}

/** Most names one command may carry (a bound on a request, not a limit anyone meets). */
export const MAX_TARGET_NAMES = 10_000;

const INDEX_RE = /^(0|[1-9]\d{0,5})$/;

/** `web`, `web#1`, `web@edge-1`, `web#1@edge-1` → its parts; a ValidationError naming the text otherwise. */
export function parseTargetName(text: string): TargetName {
  const at = text.indexOf('@');
  const left = at < 0 ? text : text.slice(0, at);
  const agent = at < 0 ? null : text.slice(at + 1);
  const hash = left.indexOf('#');
  const handler = hash < 0 ? left : left.slice(0, hash);
  const indexText = hash < 0 ? null : left.slice(hash + 1);
  const refuse = (why: string): never => {
    throw new ValidationError(`target ${JSON.stringify(text)}: ${why}`, { fields: ['targets'] });
  };
  if (!isName(handler)) refuse(`the handler name ${JSON.stringify(handler)} is not valid (${NAME_RULE})`);
  if (indexText !== null && !INDEX_RE.test(indexText))
    refuse(`the replica index after # must be a number (web#1), not ${JSON.stringify(indexText)}`);
  if (agent !== null && !isAgentRef(agent))
    refuse(`the agent after @ must be an agent id, not ${JSON.stringify(agent)}`);
  const index = indexText !== null ? Number(indexText) : agent !== null ? 0 : null;
  return { text, handler, index, agent };
}

/** How an instance prints and is named back: `web@edge-1`, `web#1@edge-1`. */
export function instanceTarget(handler: string, index: number, agent: string): string {
  return `${instanceKey(handler, index)}@${agent}`;
}

/** `k=v[,k=v]` → labels; a ValidationError naming the pair otherwise. Empty text → {}. */
export function parseSelector(text: string): Record<string, string> {
  // A Map: a label may be called `constructor` or `toString` (an object's own names are not its labels).
  const out = new Map<string, string>();
  if (text.trim() === '') return {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (eq < 0 || key === '')
      throw new ValidationError(`selector ${JSON.stringify(pair)} must be key=value (several: k=v,k=v)`, {
        fields: ['selector'],
      });
    if (out.has(key))
      throw new ValidationError(
        `selector key ${JSON.stringify(key)} is given twice (a handler has one value per label)`,
        {
          fields: ['selector'],
        },
      );
    const value = pair.slice(eq + 1).trim();
    // A pair no label can have would select nothing, silently: refused, naming the rule.
    const problem = labelProblem(key, value);
    if (problem)
      throw new ValidationError(`selector ${JSON.stringify(pair)}: ${problem}`, { fields: ['selector'] });
    out.set(key, value);
  }
  return Object.fromEntries(out);
}

/**
 * The refusal of a command whose `--all` or `--selector` picks no handler (it would do nothing): a target
 * naming nothing, as the master and an agent's local socket say it.
 */
export function noHandlerPicked(all: boolean, selector: Record<string, string>): NotFoundError {
  const labels = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return new NotFoundError(
    `${all ? 'there are no handlers' : `no handler has the labels ${labels}`}; nothing was done`,
    {
      fields: ['targets'],
    },
  );
}

/** True when nothing was named: no names, no --all, no --selector (read commands then mean everything). */
export function isEmptyTarget(t: TargetSet): boolean {
  return t.names.length === 0 && !t.all && Object.keys(t.selector).length === 0;
}

/**
 * Checks a whole set's words (names parse, agents are agent ids, `--all` not mixed with names or a selector,
 * bounded); returns the parsed names. The master runs it on every request and the CLI before connecting.
 */
export function checkTargetSet(t: TargetSet): TargetName[] {
  if (t.names.length > MAX_TARGET_NAMES)
    throw new ValidationError(`too many targets: ${t.names.length} (at most ${MAX_TARGET_NAMES})`, {
      fields: ['targets'],
    });
  if (t.all && (t.names.length > 0 || Object.keys(t.selector).length > 0))
    throw new ValidationError('--all stands alone: give names or a selector instead, not both', {
      fields: ['all'],
    });
  for (const a of t.agents)
    if (!isAgentRef(a)) throw new ValidationError(`agent ${agentRefRefusal(a)}`, { fields: ['agent'] });
  const names = t.names.map(parseTargetName);
  if (t.agents.length > 0)
    for (const n of names)
      if (n.agent !== null && !t.agents.includes(n.agent))
        throw new ValidationError(
          `target ${n.text} names agent ${n.agent}, but --agent says ${t.agents.join(', ')}: they select nothing together`,
          { fields: ['targets'] },
        );
  return names;
}

/**
 * A TargetSet from the one-handler request fields older clients send (`handler`, `agent`, `instance`). An
 * `instance` names its handler itself (`web#1`): a `handler` naming another one is refused (both fields named)
 * rather than one of them silently winning.
 */
export function legacyTarget(handler: string, agent: string, instance = ''): TargetSet {
  if (handler && instance && parseInstanceKey(instance).handler !== handler)
    throw new ValidationError(
      `handler ${JSON.stringify(handler)} and instance ${JSON.stringify(instance)} disagree: instance ` +
        `${JSON.stringify(instance)} is not an instance of handler ${JSON.stringify(handler)} (send one of ` +
        `them, or targets)`,
      { fields: ['handler', 'instance'] },
    );
  const name = instance ? `${instance}@${agent}` : handler;
  return { names: name ? [name] : [], all: false, selector: {}, agents: agent ? [agent] : [] };
}

/**
 * What a request names: its `targets` when the client sent one (proto3 defaults filled in), else its
 * one-handler fields (older clients).
 */
export function requestTargets(
  req: { targets?: Partial<TargetSet> | null; handler: string },
  agent = '',
  instance = '',
): TargetSet {
  const t = req.targets;
  if (!t) return legacyTarget(req.handler, agent, instance);
  return { names: t.names ?? [], all: t.all === true, selector: t.selector ?? {}, agents: t.agents ?? [] };
}

/** An instance a command may carry, as the master's and the local socket's target resolvers give it. */
export interface CommandTarget {
  handler: string;
  /** Instance key on its agent (`web`, `web#1`). */
  key: string;
  /** Named by its own key (`web#1`, `web#0@edge-1`), not only through its handler's name, --all or a selector. */
  named: boolean;
}

/**
 * Targets grouped into commands (one rule for the master and an agent's local socket): one per handler (and
 * `groupOf`, e.g. the agent) when the set takes every instance of the handler there — the agent acts on all
 * of them — otherwise one per instance key. `perInstance` (a signal) always splits. `perNamed` (ensure)
 * splits a group whose instances were named one by one: a handler-wide ensure wakes ONE instance (on-demand),
 * so `ensure web#0 web#1` must be two commands, while `ensure web` stays one.
 */
export function commandGroups<T extends CommandTarget>(
  instances: readonly T[],
  countOf: (handler: string) => number,
  opts: { perInstance?: boolean; perNamed?: boolean; groupOf?: (t: T) => string } = {},
): Array<{ first: T; instance: string; targets: T[] }> {
  const groups = new Map<string, T[]>();
  for (const i of instances) {
    const k = `${i.handler}\u0000${opts.groupOf?.(i) ?? ''}`;
    groups.set(k, [...(groups.get(k) ?? []), i]);
  }
  const out: Array<{ first: T; instance: string; targets: T[] }> = [];
  for (const list of groups.values()) {
    const first = list[0]!;
    const split =
      opts.perInstance === true ||
      list.length !== countOf(first.handler) ||
      (opts.perNamed === true && list.some((i) => i.named));
    if (!split) out.push({ first, instance: '', targets: list });
    else for (const i of list) out.push({ first: i, instance: i.key, targets: [i] });
  }
  return out;
}
