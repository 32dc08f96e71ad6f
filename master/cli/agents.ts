/** `gov agents` lists agents; `gov agents revoke ID` refuses and disconnects an agent from then on. */
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
import { agentJson, agentsTable, printJson } from './format.js';

export const AGENTS_USAGE = 'gov agents [--json] | gov agents revoke ID [--json]';

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

export function agentsCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now): Command {
  const cmd: Command = {
    name: 'agents',
    summary: 'list agents, or refuse and disconnect one (agents revoke ID)',
    usage: AGENTS_USAGE,
    run: (args, io) =>
      runGuarded(io, AGENTS_USAGE, async () => {
        const { values, positionals } = parseFlags(args, COMMON_FLAGS);
        if (
          printedHelp(values, io, helpText(cmd, '  revoke ID  refuse and disconnect agent ID from then on'))
        )
          return EXIT_OK;
        if (positionals[0] === 'revoke') return revoke(values, positionals.slice(1), io, connect);
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
