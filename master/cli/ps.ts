/** `gov ps [HANDLER] [--agent ID]`: instances' last reported status (stale ones marked). */
import { EXIT_OK, parseFlags, type Command } from '../../shared/cli-io.js';
import {
  COMMON_FLAGS,
  checkAgentId,
  checkHandlerName,
  expectPositionals,
  helpText,
  printedHelp,
  runGuarded,
} from './command-kit.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { instanceJson, instancesTable, printJson } from './format.js';

export const PS_USAGE = 'gov ps [HANDLER] [--agent ID] [--json]';

export function psCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now): Command {
  const cmd: Command = {
    name: 'ps',
    summary: 'list instances: state, PID, restarts, uptime, last exit (stale ones marked *)',
    usage: PS_USAGE,
    run: (args, io) =>
      runGuarded(io, PS_USAGE, async () => {
        const { values, positionals } = parseFlags(args, { ...COMMON_FLAGS, agent: { type: 'string' } });
        if (printedHelp(values, io, helpText(cmd, '  --agent ID  only instances on agent ID')))
          return EXIT_OK;
        const [handler] = expectPositionals(positionals, ['HANDLER'], 0);
        if (handler !== undefined) checkHandlerName(handler);
        const agent = checkAgentId(values.agent);
        const conn = resolveAdminConnection(values, io);
        const res = await withAdmin(connect, conn, (api) => api.listInstances({ handler, agent }));
        if (values.json) printJson(io, { instances: res.instances.map(instanceJson) });
        else io.out(instancesTable(res.instances, now()));
        return EXIT_OK;
      }),
  };
  return cmd;
}
