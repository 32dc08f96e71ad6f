/** `gov delete HANDLER`: stops the handler's instances and deletes its spec. */
import { EXIT_FAILED, EXIT_OK } from '../../shared/cli-io.js';
import { adminCommand } from './admin-command.js';
import { checkHandlerName } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { describeExecution, executionJson, instanceJson, reportFailures } from './format.js';

export function deleteCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'delete',
    summary: 'stop a handler everywhere and delete its spec',
    args: ['<HANDLER>'],
    check: ([handler]) => checkHandlerName(handler!),
    call: async (api, handler, out) => {
      const res = await api.deleteHandler(handler);
      out.print(
        {
          handler,
          executions: res.executions.map(executionJson),
          instances: res.instances.map(instanceJson),
        },
        () =>
          `${res.executions.map((r) => `${describeExecution(r)}\n`).join('')}handler ${handler} deleted\n`,
      );
      return reportFailures(out.io, res.executions) ? EXIT_FAILED : EXIT_OK;
    },
  });
}
