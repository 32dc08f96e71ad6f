/** `gov delete HANDLER`: stops the handler's instances and deletes its spec. */
import { EXIT_FAILED, EXIT_OK, parseFlags, type Command } from '../../shared/cli-io.js';
import {
  COMMON_FLAGS,
  checkHandlerName,
  expectPositionals,
  helpText,
  printedHelp,
  runGuarded,
} from './command-kit.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { describeExecution, executionJson, instanceJson, printJson, reportFailures } from './format.js';

export const DELETE_USAGE = 'gov delete HANDLER [--json]';

export function deleteCommand(connect: AdminConnector = connectAdmin): Command {
  const cmd: Command = {
    name: 'delete',
    summary: 'stop a handler everywhere and delete its spec',
    usage: DELETE_USAGE,
    run: (args, io) =>
      runGuarded(io, DELETE_USAGE, async () => {
        const { values, positionals } = parseFlags(args, COMMON_FLAGS);
        if (printedHelp(values, io, helpText(cmd))) return EXIT_OK;
        const [handler] = expectPositionals(positionals, ['HANDLER']) as [string];
        checkHandlerName(handler);
        const conn = resolveAdminConnection(values, io);
        const res = await withAdmin(connect, conn, (api) => api.deleteHandler(handler));
        if (values.json) {
          printJson(io, {
            handler,
            executions: res.executions.map(executionJson),
            instances: res.instances.map(instanceJson),
          });
        } else {
          for (const r of res.executions) io.out(`${describeExecution(r)}\n`);
          io.out(`handler ${handler} deleted\n`);
        }
        return reportFailures(io, res.executions) ? EXIT_FAILED : EXIT_OK;
      }),
  };
  return cmd;
}
