/**
 * `gov agents` lists agents; `gov agents revoke ID` refuses and disconnects an agent from then on;
 * `gov agents label ID k=v[,k=v…] [k-]` sets or removes the labels handler selectors match (an agent's
 * own `--labels` are only reported).
 */
import { EXIT_OK, UsageError, parseFlags, type CliIO, type Command } from '../../shared/cli-io.js';
import {
  COMMON_FLAGS,
  checkAgentId,
  expectPositionals,
  helpText,
  printedHelp,
  runGuarded,
} from './command-kit.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { agentJson, agentsTable, labelList, printJson } from './format.js';

export const AGENTS_USAGE =
  'gov agents [--json] | gov agents revoke ID [--json] | gov agents label ID k=v[,k=v...] [k-...] [--json]';

type Flags = ReturnType<typeof parseFlags<typeof COMMON_FLAGS>>['values'];

async function revoke(
  values: Flags,
  positionals: string[],
  io: CliIO,
  connect: AdminConnector,
): Promise<number> {
  const [id] = expectPositionals(positionals, ['agent ID']) as [string];
  checkAgentId(id, 'agent ID');
  const conn = resolveAdminConnection(values, io);
  const agent = await withAdmin(connect, conn, (api) => api.revokeAgent(id));
  if (values.json) printJson(io, { agent: agentJson(agent) });
  else io.out(`agent ${agent.id} revoked: its certificate is refused and it is disconnected\n`);
  return EXIT_OK;
}

/** `region=west,role=web tier-` → set {region, role}, remove [tier]. */
export function parseLabelArgs(args: string[]): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const part of args.flatMap((a) => a.split(','))) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq > 0) set[part.slice(0, eq)] = part.slice(eq + 1);
    else if (eq < 0 && part.endsWith('-') && part.length > 1) remove.push(part.slice(0, -1));
    else throw new UsageError(`label ${JSON.stringify(part)}: expected KEY=VALUE to set or KEY- to remove`);
  }
  if (Object.keys(set).length === 0 && remove.length === 0)
    throw new UsageError('gov agents label needs at least one KEY=VALUE or KEY-');
  return { set, remove };
}

async function label(
  values: Flags,
  positionals: string[],
  io: CliIO,
  connect: AdminConnector,
): Promise<number> {
  const [id, ...rest] = positionals;
  if (id === undefined) throw new UsageError('missing agent ID');
  checkAgentId(id, 'agent ID');
  const { set, remove } = parseLabelArgs(rest);
  const conn = resolveAdminConnection(values, io);
  const agent = await withAdmin(connect, conn, (api) => api.labelAgent(id, set, remove));
  if (values.json) printJson(io, { agent: agentJson(agent) });
  else io.out(`agent ${agent.id} labels: ${labelList(agent.labels) || '(none)'}\n`);
  return EXIT_OK;
}

export function agentsCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now): Command {
  const cmd: Command = {
    name: 'agents',
    summary:
      'list agents, refuse and disconnect one (agents revoke), or set the labels selectors match (agents label)',
    usage: AGENTS_USAGE,
    run: (args, io) =>
      runGuarded(io, AGENTS_USAGE, async () => {
        const { values, positionals } = parseFlags(args, COMMON_FLAGS);
        const help = helpText(
          cmd,
          '  revoke ID               refuse and disconnect agent ID from then on\n' +
            '  label ID k=v,... k-     set (k=v) or remove (k-) labels that handler selectors match;\n' +
            "                          an agent's own --labels are only reported, never matched",
        );
        if (printedHelp(values, io, help)) return EXIT_OK;
        if (positionals[0] === 'revoke') return revoke(values, positionals.slice(1), io, connect);
        if (positionals[0] === 'label') return label(values, positionals.slice(1), io, connect);
        if (positionals.length > 0)
          throw new UsageError(`unknown subcommand ${JSON.stringify(positionals[0])}`);
        const conn = resolveAdminConnection(values, io);
        const res = await withAdmin(connect, conn, (api) => api.listAgents());
        if (values.json) printJson(io, { agents: res.agents.map(agentJson) });
        else io.out(agentsTable(res.agents, now()));
        return EXIT_OK;
      }),
  };
  return cmd;
}
