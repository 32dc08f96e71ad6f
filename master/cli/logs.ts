/**
 * `gov logs INSTANCE [--agent ID] [--tail N] [--stderr] [-f]`: last lines of an instance's stdout (or
 * stderr); INSTANCE is `web`, `web#1`, `web@edge-1` or `web#1@edge-1`. `-f` polls TailLogs every second
 * and prints the lines that are new, until interrupted.
 */
import { EXIT_OK, UsageError, parseFlags, type CliIO, type Command } from '../../shared/cli-io.js';
import type { AdminApi } from './admin-client.js';
import {
  COMMON_FLAGS,
  checkAgentId,
  expectPositionals,
  helpText,
  parseInstanceTarget,
  positiveInt,
  printedHelp,
  runGuarded,
} from './command-kit.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { printJson } from './format.js';

export const LOGS_USAGE = 'gov logs HANDLER[#N][@AGENT] [--agent ID] [--tail N] [--stderr] [-f] [--json]';
export const DEFAULT_TAIL = 50;
/** Lines fetched per poll while following (more than arrive in one poll interval, normally). */
export const FOLLOW_WINDOW = 500;
export const FOLLOW_POLL_MS = 1000;

const HELP = `  HANDLER#N     the instance with index N (count > 1): web#1; HANDLER alone is the first, web
  --agent ID    the agent the instance runs on (required unless written as HANDLER@ID)
  --tail N      last N lines (default ${DEFAULT_TAIL})
  --stderr      stderr instead of stdout
  -f, --follow  keep printing new lines until interrupted (Ctrl-C)`;

/**
 * Lines of `cur` that follow what `prev` already showed, both being the last `window` lines of the same
 * file at two moments: the longest suffix of `prev` that is a prefix of `cur` is the overlap (a log
 * repeating one identical line cannot be told apart from an idle one). `gap` is true when nothing overlaps (rotation, or more new lines than a
 * window) so some lines may have been missed.
 */
export function newLines(prev: string[], cur: string[]): { lines: string[]; gap: boolean } {
  if (prev.length === 0) return { lines: cur, gap: false };
  for (let k = Math.min(prev.length, cur.length); k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = prev[prev.length - k + i] === cur[i];
    if (same) return { lines: cur.slice(k), gap: false };
  }
  return { lines: cur, gap: cur.length > 0 };
}

export interface LogsOptions {
  pollMs?: number;
}

async function follow(
  api: AdminApi,
  req: { handler: string; agent: string; stream: 'stdout' | 'stderr'; instance?: string },
  window: number,
  first: string[],
  io: CliIO,
  pollMs: number,
): Promise<void> {
  const stop = io.interrupted ?? new Promise<void>(() => {});
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  let prev = first;
  while (!stopped) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stop, new Promise<void>((r) => (timer = setTimeout(r, pollMs)))]);
    clearTimeout(timer);
    if (stopped) break;
    const { lines } = await api.tailLogs({ ...req, tail: window });
    const fresh = newLines(prev, lines);
    if (fresh.gap) io.err('-- some lines may have been skipped (log rotated or too fast) --\n');
    for (const l of fresh.lines) io.out(`${l}\n`);
    prev = lines;
  }
}

export function logsCommand(connect: AdminConnector = connectAdmin, opts: LogsOptions = {}): Command {
  const cmd: Command = {
    name: 'logs',
    summary: "last lines of an instance's stdout or stderr; -f follows",
    usage: LOGS_USAGE,
    run: (args, io) =>
      runGuarded(io, LOGS_USAGE, async () => {
        const { values, positionals } = parseFlags(args, {
          ...COMMON_FLAGS,
          agent: { type: 'string' },
          tail: { type: 'string' },
          stderr: { type: 'boolean' },
          follow: { type: 'boolean', short: 'f' },
        });
        if (printedHelp(values, io, helpText(cmd, HELP))) return EXIT_OK;
        const [target] = expectPositionals(positionals, ['HANDLER']) as [string];
        const { handler, instance, agent } = parseInstanceTarget(target, checkAgentId(values.agent));
        if (agent === undefined)
          throw new UsageError(`missing --agent ID (the agent the instance runs on), or write ${target}@ID`);
        const tail = positiveInt(values.tail, '--tail', 100_000) ?? DEFAULT_TAIL;
        if (values.follow && values.json)
          throw new UsageError('--json prints one document; it cannot be used with -f');
        const stream = values.stderr ? 'stderr' : 'stdout';
        const conn = resolveAdminConnection(values, io);
        return withAdmin(connect, conn, async (api) => {
          const req = { handler, agent, stream, ...(instance ? { instance } : {}) } as const;
          // Following fetches the same window every poll so consecutive answers can be aligned.
          const window = values.follow ? Math.max(tail, FOLLOW_WINDOW) : tail;
          const { lines } = await api.tailLogs({ ...req, tail: window });
          if (values.json) {
            printJson(io, { handler, ...(instance ? { instance } : {}), agent, stream, lines });
            return EXIT_OK;
          }
          for (const l of lines.slice(-tail)) io.out(`${l}\n`);
          if (values.follow) await follow(api, req, window, lines, io, opts.pollMs ?? FOLLOW_POLL_MS);
          return EXIT_OK;
        });
      }),
  };
  return cmd;
}
