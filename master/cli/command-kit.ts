/**
 * Argument checks the admin commands share, run before anything connects: handler names, instance
 * targets, agent ids and counts, each refused as a UsageError (exit 2) naming the argument or flag.
 */
import { Option } from 'commander';
import { UsageError } from '../../shared/cli-io.js';
import { GovError } from '../../shared/errors.js';
import { agentRefRefusal, isAgentRef, isName, NAME_RULE } from '../../shared/names.js';
import { repeatableOption } from '../../shared/cli-program.js';
import { checkTargetSet, isEmptyTarget, parseSelector, type TargetSet } from '../../shared/targets.js';

/** A handler name as DESIGN §7 allows it. */
export function checkHandlerName(name: string, what = 'handler name'): string {
  if (!isName(name)) throw new UsageError(`${what} ${JSON.stringify(name)} is invalid (${NAME_RULE})`);
  return name;
}

/** A reference to an agent: its certificate's CN (shared/names.ts says why this is looser than a name). */
export function checkAgentId(id: string | undefined, flag = '--agent'): string | undefined {
  if (id === undefined) return undefined;
  if (!isAgentRef(id)) throw new UsageError(`${flag} ${agentRefRefusal(id)}`);
  return id;
}

/** A positive integer flag (`--limit`, `--tail`). */
export function positiveInt(text: string | undefined, flag: string, max = 1_000_000): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new UsageError(`${flag} ${JSON.stringify(text)} must be a whole number from 1 to ${max}`);
  return Number(text);
}

/** The positional TARGET arguments of a command (DESIGN §6), with what they may be. */
export const TARGET_ARGS: [string, string] = [
  '[TARGET...]',
  'handler names or instances (web, web@edge-1, web#1@edge-1)',
];

/** `--agent ID`, repeatable: only instances on these agents. */
export function agentsOption(what = 'only instances on agent ID'): Option {
  return repeatableOption('--agent <ID>', `${what} (repeatable)`);
}

/** `--selector K=V[,K=V]`, repeatable: the pairs of every one must match (as if given with commas). */
export function selectorOption(): Option {
  return repeatableOption(
    '--selector <K=V,...>',
    'handlers whose labels (spec labels:) match every pair (repeatable)',
  );
}

/** The target-set flags (DESIGN §6 TARGET): `--all`, `--selector k=v[,k=v]`, `--agent ID` (repeatable). */
export function targetOptions(): Option[] {
  return [new Option('--all', 'every handler'), selectorOption(), agentsOption()];
}

/** A command that acts on something needs a target: refused (exit 2) naming the ways to give one. */
export function requireTargets(
  set: TargetSet,
  command: string,
  names = 'handler names or instances (web, web@edge-1, web#1@edge-1)',
): TargetSet {
  if (isEmptyTarget(set))
    throw new UsageError(`${command} needs a target: ${names}, --all, or --selector K=V`);
  return set;
}

/** The `--selector` texts given → one selector; each must say something (an empty one is not "everything"). */
function readSelector(given: string[] | string | undefined): Record<string, string> {
  const texts = typeof given === 'string' ? [given] : (given ?? []);
  for (const t of texts)
    if (t.trim() === '')
      throw new UsageError(`--selector ${JSON.stringify(t)} is empty: give key=value pairs`);
  return parseSelector(texts.join(','));
}

/**
 * Positional TARGETs and the target flags → the wire TargetSet, checked with the master's own rule
 * (shared/targets.ts) so a bad name is refused here as a usage error (exit 2) before anything connects.
 */
export function readTargets(
  names: readonly string[],
  opts: { all?: boolean; selector?: string[] | string; agent?: string[] | string },
): TargetSet {
  try {
    const set: TargetSet = {
      names: [...names],
      all: opts.all === true,
      selector: readSelector(opts.selector),
      agents: typeof opts.agent === 'string' ? [opts.agent] : (opts.agent ?? []),
    };
    checkTargetSet(set);
    return set;
  } catch (err) {
    if (err instanceof GovError) throw new UsageError(err.message);
    throw err;
  }
}
