/** `gov metrics [HANDLER] [--agent ID]`: CPU, memory, uptime per instance, host figures, fleet telemetry. */
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
import { metricsJson, metricsText, printJson } from './format.js';

export const METRICS_USAGE = 'gov metrics [HANDLER] [--agent ID] [--json]';

export function metricsCommand(connect: AdminConnector = connectAdmin): Command {
  const cmd: Command = {
    name: 'metrics',
    summary: 'CPU, memory and uptime per instance, host figures per agent, fleet telemetry',
    usage: METRICS_USAGE,
    run: (args, io) =>
      runGuarded(io, METRICS_USAGE, async () => {
        const { values, positionals } = parseFlags(args, { ...COMMON_FLAGS, agent: { type: 'string' } });
        if (printedHelp(values, io, helpText(cmd, '  --agent ID  only agent ID'))) return EXIT_OK;
        const [handler] = expectPositionals(positionals, ['HANDLER'], 0);
        if (handler !== undefined) checkHandlerName(handler);
        const agent = checkAgentId(values.agent);
        const conn = resolveAdminConnection(values, io);
        const res = await withAdmin(connect, conn, (api) => api.getMetrics({ handler, agent }));
        if (values.json) printJson(io, metricsJson(res));
        else io.out(metricsText(res));
        return EXIT_OK;
      }),
  };
  return cmd;
}
