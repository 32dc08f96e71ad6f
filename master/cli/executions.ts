/**
 * `gov executions [--handler H] [--agent A] [--kind K] [--status S] [--since DUR|ISO] [--limit N]` queries
 * the execution log (filters combine and apply before the limit, newest first); `gov executions clear`
 * empties the ring buffer (admin; the lifetime counter stays).
 */
import { EXIT_OK, UsageError, parseFlags, type CliIO, type Command } from '../../shared/cli-io.js';
import { sinceMs } from '../../shared/durations.js';
import type { ExecutionQuery } from './admin-client.js';
import {
  COMMON_FLAGS,
  checkAgentId,
  checkHandlerName,
  expectPositionals,
  helpText,
  positiveInt,
  printedHelp,
  runGuarded,
} from './command-kit.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { executionJson, executionsTable, printJson } from './format.js';

export const EXECUTIONS_USAGE =
  'gov executions [--handler H] [--agent A] [--kind K] [--status S] [--since DUR|ISO] [--limit N] [--json] ' +
  '| gov executions clear';

export { EXECUTION_KINDS, EXECUTION_STATUSES } from '../state/execution-stats.js';
import { EXECUTION_KINDS, EXECUTION_STATUSES } from '../state/execution-stats.js';

const FLAGS = {
  ...COMMON_FLAGS,
  handler: { type: 'string' },
  agent: { type: 'string' },
  kind: { type: 'string' },
  status: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
} as const;

const HELP = `  --handler H      only executions of handler H
  --agent A        only executions on agent A
  --kind K         ${EXECUTION_KINDS.join(' | ')}
  --status S       ${EXECUTION_STATUSES.join(' | ')}
  --since DUR|ISO  newer than a duration ago (10m, 2h) or an ISO-8601 time
  --limit N        at most N records (default 50), applied after the filters
  clear            empty the execution log (admin)`;

function oneOf(value: string | undefined, allowed: readonly string[], flag: string): string | undefined {
  if (value !== undefined && !allowed.includes(value))
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value;
}

/** `10m` / `1h30m` or an ISO-8601 time; sent as written (the master resolves durations on its clock). */
export function checkSince(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (sinceMs(text, Date.now()) !== null) return text;
  throw new UsageError(
    `--since ${JSON.stringify(text)} is neither a duration (10m, 2h) nor an ISO-8601 time`,
  );
}

export function parseExecutionQuery(values: {
  handler?: string | undefined;
  agent?: string | undefined;
  kind?: string | undefined;
  status?: string | undefined;
  since?: string | undefined;
  limit?: string | undefined;
}): ExecutionQuery {
  const q: ExecutionQuery = {};
  if (values.handler !== undefined) q.handler = checkHandlerName(values.handler, '--handler');
  const agent = checkAgentId(values.agent);
  if (agent !== undefined) q.agent = agent;
  const kind = oneOf(values.kind, EXECUTION_KINDS, '--kind');
  if (kind !== undefined) q.kind = kind;
  const status = oneOf(values.status, EXECUTION_STATUSES, '--status');
  if (status !== undefined) q.status = status;
  const since = checkSince(values.since);
  if (since !== undefined) q.since = since;
  const limit = positiveInt(values.limit, '--limit');
  if (limit !== undefined) q.limit = limit;
  return q;
}

async function clear(
  values: { json?: boolean | undefined } & Parameters<typeof resolveAdminConnection>[0],
  io: CliIO,
  connect: AdminConnector,
): Promise<number> {
  const conn = resolveAdminConnection(values, io);
  const res = await withAdmin(connect, conn, (api) => api.clearExecutions());
  if (values.json) printJson(io, { cleared: res.cleared });
  else
    io.out(
      `cleared ${res.cleared} execution record${res.cleared === 1 ? '' : 's'} (lifetime counter kept)\n`,
    );
  return EXIT_OK;
}

export function executionsCommand(
  connect: AdminConnector = connectAdmin,
  now: () => number = Date.now,
): Command {
  const cmd: Command = {
    name: 'executions',
    summary: 'query the execution log (newest first), or clear it',
    usage: EXECUTIONS_USAGE,
    run: (args, io) =>
      runGuarded(io, EXECUTIONS_USAGE, async () => {
        const { values, positionals } = parseFlags(args, FLAGS);
        if (printedHelp(values, io, helpText(cmd, HELP))) return EXIT_OK;
        if (positionals[0] === 'clear') {
          expectPositionals(positionals.slice(1), []);
          const filters = (['handler', 'agent', 'kind', 'status', 'since', 'limit'] as const).filter(
            (f) => values[f] !== undefined,
          );
          if (filters.length > 0) throw new UsageError(`clear takes no filters (got --${filters[0]})`);
          return clear(values, io, connect);
        }
        if (positionals.length > 0)
          throw new UsageError(`unknown subcommand ${JSON.stringify(positionals[0])}`);
        const query = parseExecutionQuery(values);
        const conn = resolveAdminConnection(values, io);
        const res = await withAdmin(connect, conn, (api) => api.listExecutions(query));
        if (values.json) printJson(io, { count: res.count, records: res.records.map(executionJson) });
        else io.out(executionsTable(res.records, now()));
        return EXIT_OK;
      }),
  };
  return cmd;
}
