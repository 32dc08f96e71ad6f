/** `gov stats`: execution statistics (DESIGN §4). */
import { EXIT_OK, parseFlags, type Command } from '../../shared/cli-io.js';
import { COMMON_FLAGS, expectPositionals, helpText, printedHelp, runGuarded } from './command-kit.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { printJson, statsJson, statsText } from './format.js';

export const STATS_USAGE = 'gov stats [--json]';

export function statsCommand(connect: AdminConnector = connectAdmin): Command {
  const cmd: Command = {
    name: 'stats',
    summary: 'execution statistics: counts, success rate, durations, by handler and agent',
    usage: STATS_USAGE,
    run: (args, io) =>
      runGuarded(io, STATS_USAGE, async () => {
        const { values, positionals } = parseFlags(args, COMMON_FLAGS);
        if (printedHelp(values, io, helpText(cmd))) return EXIT_OK;
        expectPositionals(positionals, []);
        const conn = resolveAdminConnection(values, io);
        const stats = await withAdmin(connect, conn, (api) => api.getStats());
        if (values.json) printJson(io, statsJson(stats));
        else io.out(statsText(stats));
        return EXIT_OK;
      }),
  };
  return cmd;
}
