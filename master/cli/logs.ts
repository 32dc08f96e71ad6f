/**
 * `gov logs TARGET|--selector K=V|--all [--agent ID] [--tail N] [--stderr] [-f]`: last lines of one instance's
 * stdout (or stderr); TARGET is `web`, `web#1`, `web@edge-1` or `web#1@edge-1`. The target set must match
 * exactly one instance: `web` alone does when web runs once; when it matches several the master refuses,
 * listing them (exit 2).
 * `-f` polls TailLogs every second and prints the lines that are new, until interrupted.
 */
import { Option } from 'commander';
import { EXIT_OK, UsageError, type CliIO } from '../../shared/cli-io.js';
import type { AdminApi } from './admin-client.js';
import { adminCommand } from './admin-command.js';
import { agentsOption, positiveInt, readTargets, requireTargets, selectorOption } from './command-kit.js';
import { parseTargetName, type TargetSet } from '../../shared/targets.js';
import { instanceKey } from '../../shared/spec.js';
import { connectAdmin, type AdminConnector } from './connect.js';

export const DEFAULT_TAIL = 50;
const ONE = 'one instance (web, web@edge-1, web#1@edge-1)';
/** Lines fetched per poll while following (more than arrive in one poll interval, normally). */
export const FOLLOW_WINDOW = 500;
export const FOLLOW_POLL_MS = 1000;

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
  req: { targets: TargetSet; stream: 'stdout' | 'stderr' },
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

export function logsCommand(connect: AdminConnector = connectAdmin, opts: LogsOptions = {}) {
  return adminCommand(connect, {
    name: 'logs',
    summary: "last lines of an instance's stdout or stderr; -f follows",
    args: [
      [
        '[TARGET]',
        'one instance: web (when it runs once), web@edge-1, web#1@edge-1 (index N of a handler with count > 1)',
      ],
    ],
    options: [
      new Option('--all', 'every handler (when that is one instance)'),
      selectorOption(),
      agentsOption('only the instance on agent ID'),
      new Option('--tail <N>', `last N lines (default ${DEFAULT_TAIL})`),
      new Option('--stderr', 'stderr instead of stdout'),
      new Option('-f, --follow', 'keep printing new lines until interrupted (Ctrl-C)'),
    ],
    check: ([target], o) => {
      const targets = requireTargets(readTargets(target === undefined ? [] : [target], o), 'gov logs', ONE);
      const name = target === undefined ? null : parseTargetName(target);
      const agents = targets.agents;
      const agent = name?.agent ?? (agents.length === 1 ? agents[0] : undefined);
      const tail = positiveInt(o.tail, '--tail', 100_000) ?? DEFAULT_TAIL;
      if (o.follow && o.json) throw new UsageError('--json prints one document; it cannot be used with -f');
      const stream = o.stderr ? ('stderr' as const) : ('stdout' as const);
      return {
        req: { targets, stream },
        // What the JSON document says of the instance when the master does not (an older one).
        named: {
          handler: name?.handler ?? '',
          ...(name?.index ? { instance: instanceKey(name.handler, name.index) } : {}),
          ...(agent !== undefined ? { agent } : {}),
        },
        tail,
        follow: o.follow === true,
      };
    },
    call: async (api, { req, named, tail, follow: following }, out) => {
      // Following fetches the same window every poll so consecutive answers can be aligned.
      const window = following ? Math.max(tail, FOLLOW_WINDOW) : tail;
      const { lines, handler, agent, instance } = await api.tailLogs({ ...req, tail: window });
      if (out.json) {
        const which = handler ? { handler, instance, agent } : named;
        out.print({ ...which, stream: req.stream, lines }, '');
        return EXIT_OK;
      }
      for (const l of lines.slice(-tail)) out.io.out(`${l}\n`);
      if (following) await follow(api, req, window, lines, out.io, opts.pollMs ?? FOLLOW_POLL_MS);
      return EXIT_OK;
    },
  });
}
