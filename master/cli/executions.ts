/**
 * `gov executions [--handler H] [--agent A] [--kind K] [--status S] [--since DUR|ISO] [--limit N]` queries
 * the execution log (filters combine and apply before the limit, newest first); `gov executions clear`
 * empties the ring buffer (admin; the lifetime counter stays).
 */
import { Option } from 'commander';
import { UsageError } from '../../shared/cli-io.js';
import { sinceMs } from '../../shared/durations.js';
import type { ExecutionQuery } from './admin-client.js';
import { adminCommand } from './admin-command.js';
import { checkAgentId, checkHandlerName, positiveInt } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { executionJson, executionsTable } from './format.js';

export { EXECUTION_KINDS, EXECUTION_STATUSES } from '../state/execution-stats.js';
import { EXECUTION_KINDS, EXECUTION_STATUSES } from '../state/execution-stats.js';

const FILTERS = ['handler', 'agent', 'kind', 'status', 'since', 'limit'] as const;

const FILTER_OPTIONS = () => [
  new Option('--handler <H>', 'only executions of handler H'),
  new Option('--agent <A>', 'only executions on agent A'),
  new Option('--kind <K>', EXECUTION_KINDS.join(' | ')),
  new Option('--status <S>', EXECUTION_STATUSES.join(' | ')),
  new Option('--since <DUR|ISO>', 'newer than a duration ago (10m, 2h) or an ISO-8601 time'),
  new Option('--limit <N>', 'at most N records (default 50), applied after the filters'),
];

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

export function executionsCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now) {
  const executions = adminCommand(connect, {
    name: 'executions',
    summary: 'query the execution log (newest first), or clear it',
    options: FILTER_OPTIONS(),
    check: (_args, o) => parseExecutionQuery(o),
    call: async (api, query, out) => {
      const res = await api.listExecutions(query);
      out.print({ count: res.count, records: res.records.map(executionJson) }, () =>
        executionsTable(res.records, now()),
      );
    },
  });
  executions.addCommand(
    adminCommand(connect, {
      name: 'clear',
      summary: 'empty the execution log (admin; the lifetime counter stays)',
      check: (_args, o) => {
        // Filters given before `clear` reach it through its parent: it takes none.
        const given = FILTERS.find((f) => o[f] !== undefined);
        if (given) throw new UsageError(`clear takes no filters (got --${given})`);
      },
      call: async (api, _req, out) => {
        const { cleared } = await api.clearExecutions();
        out.print(
          { cleared },
          `cleared ${cleared} execution record${cleared === 1 ? '' : 's'} (lifetime counter kept)\n`,
        );
      },
    }),
  );
  return executions;
}
