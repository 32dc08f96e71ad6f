/**
 * Argument checks the admin commands share, run before anything connects: handler names, instance
 * targets, agent ids and counts, each refused as a UsageError (exit 2) naming the argument or flag.
 */
import { Option } from 'commander';
import { UsageError } from '../../shared/cli-io.js';
import { GovError } from '../../shared/errors.js';
import { isAgentRef, isName, NAME_RULE } from '../../shared/names.js';
import { MAX_COUNT, parseInstanceKey } from '../../shared/spec.js';
import { checkTargetSet, parseSelector, type TargetSet } from '../../shared/targets.js';

/** A handler name as DESIGN §7 allows it. */
export function checkHandlerName(name: string, what = 'handler name'): string {
  if (!isName(name)) throw new UsageError(`${what} ${JSON.stringify(name)} is invalid (${NAME_RULE})`);
  return name;
}

/**
 * An instance target: `web`, `web#1`, `web@edge-1` or `web#1@edge-1` (DESIGN §6). `instance` is the key
 * on the agent (`web#1`), empty for a bare handler name; `agent` comes from `@ID` or the `--agent` flag.
 */
export function parseInstanceTarget(
  text: string,
  agentFlag: string | undefined,
): { handler: string; instance: string; agent: string | undefined } {
  const at = text.lastIndexOf('@');
  const key = at < 0 ? text : text.slice(0, at);
  const agent = at < 0 ? agentFlag : checkAgentId(text.slice(at + 1), `agent in ${JSON.stringify(text)}`);
  if (at >= 0 && agentFlag !== undefined && agentFlag !== agent)
    throw new UsageError(`${JSON.stringify(text)} names agent ${agent}, but --agent says ${agentFlag}`);
  const { handler, index } = parseInstanceKey(key);
  checkHandlerName(handler);
  if (key.includes('#') && !(/#\d+$/.test(key) && index >= 1 && index < MAX_COUNT))
    throw new UsageError(
      `instance ${JSON.stringify(key)} is invalid (HANDLER#N with N from 1 to ${MAX_COUNT - 1}; index 0 is HANDLER)`,
    );
  return { handler, instance: key.includes('#') ? key : '', agent };
}

/** A reference to an agent: its certificate's CN (shared/names.ts says why this is looser than a name). */
export function checkAgentId(id: string | undefined, flag = '--agent'): string | undefined {
  if (id === undefined) return undefined;
  if (!isAgentRef(id)) throw new UsageError(`${flag} ${JSON.stringify(id)} is not an agent id`);
  return id;
}

/** A positive integer flag (`--limit`, `--tail`). */
export function positiveInt(text: string | undefined, flag: string, max = 1_000_000): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new UsageError(`${flag} ${JSON.stringify(text)} must be a whole number from 1 to ${max}`);
  return Number(text);
}

/** `[HANDLER] [--agent ID]`: the optional narrowing of the read commands (ps, metrics). */
export function handlerFilter(
  [handler]: string[],
  opts: { agent?: string },
): { handler: string | undefined; agent: string | undefined } {
  return {
    handler: handler === undefined ? undefined : checkHandlerName(handler),
    agent: checkAgentId(opts.agent),
  };
}

/** The target-set flags (DESIGN §6 TARGET): `--all`, `--selector k=v[,k=v]`, `--agent ID` (repeatable). */
export function targetOptions(): Option[] {
  return [
    new Option('--all', 'every handler'),
    new Option('--selector <K=V,...>', 'handlers whose labels (spec labels:) match every pair'),
    new Option('--agent <ID>', 'only instances on agent ID (repeatable)').argParser(
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    ),
  ];
}

/**
 * Positional TARGETs and the target flags → the wire TargetSet, checked with the master's own rule
 * (shared/targets.ts) so a bad name is refused here as a usage error (exit 2) before anything connects.
 */
export function readTargets(
  names: readonly string[],
  opts: { all?: boolean; selector?: string; agent?: string[] },
): TargetSet {
  try {
    const set: TargetSet = {
      names: [...names],
      all: opts.all === true,
      selector: parseSelector(opts.selector ?? ''),
      agents: opts.agent ?? [],
    };
    checkTargetSet(set);
    return set;
  } catch (err) {
    if (err instanceof GovError) throw new UsageError(err.message);
    throw err;
  }
}
