/**
 * What every admin command shares: the common flags (`--json`, `--help` and the connection flags), the
 * usage/help text, argument checks that run before anything connects, and error → exit code mapping.
 */
import { UsageError, reportError, type CliIO, type Command } from '../../shared/cli-io.js';
import { MAX_COUNT, NAME_RE, parseInstanceKey } from '../../shared/spec.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE } from './connect.js';

/** Flags every admin command accepts. */
export const COMMON_FLAGS = {
  ...CONNECTION_FLAGS,
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Full help of a command: usage, summary, and the connection flags. */
export function helpText(cmd: Pick<Command, 'usage' | 'summary'>, extra = ''): string {
  const flags = `${extra ? `${extra.trimEnd()}\n` : ''}  --json  print one JSON document\n  -h, --help  this help\n`;
  return `usage: ${cmd.usage}\n\n${cmd.summary}\n\n${flags}\n${CONNECTION_USAGE}\n`;
}

/** Runs a command body; errors are printed (usage errors with the usage line) and mapped to 1 or 2. */
export async function runGuarded(io: CliIO, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    return reportError(err, io, usage);
  }
}

/** Prints the help when asked; returns true if it did. */
export function printedHelp(values: { help?: boolean }, io: CliIO, text: string): boolean {
  if (!values.help) return false;
  io.out(text);
  return true;
}

/** Exactly `min..max` positionals, named in the error. */
export function expectPositionals(positionals: string[], names: string[], min = names.length): string[] {
  if (positionals.length < min) throw new UsageError(`missing ${names[positionals.length] ?? 'argument'}`);
  if (positionals.length > names.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`);
  return positionals;
}

/** A handler name as DESIGN §7 allows it. */
export function checkHandlerName(name: string, what = 'handler name'): string {
  if (!NAME_RE.test(name))
    throw new UsageError(
      `${what} ${JSON.stringify(name)} is invalid (lowercase letters, digits, . _ -; max 63)`,
    );
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

/** A non-empty agent id (the agent's certificate CN). */
export function checkAgentId(id: string | undefined, flag = '--agent'): string | undefined {
  if (id === undefined) return undefined;
  if (!id.trim() || /\s/.test(id)) throw new UsageError(`${flag} ${JSON.stringify(id)} is not an agent id`);
  return id;
}

/** A positive integer flag (`--limit`, `--tail`). */
export function positiveInt(text: string | undefined, flag: string, max = 1_000_000): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new UsageError(`${flag} ${JSON.stringify(text)} must be a whole number from 1 to ${max}`);
  return Number(text);
}
