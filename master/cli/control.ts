/** `gov start|stop|restart|ensure HANDLER [--agent ID]`: one execution per agent concerned. */
import { EXIT_FAILED, EXIT_OK, parseFlags, type Command } from '../../shared/cli-io.js';
import type { ControlAction } from './admin-client.js';
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
import { describeExecution, executionJson, instanceJson, printJson, reportFailures } from './format.js';

export const CONTROL_ACTIONS: readonly ControlAction[] = ['start', 'stop', 'restart', 'ensure'];

const SUMMARY: Record<ControlAction, string> = {
  start: 'start a handler on its agents (or one, --agent ID)',
  stop: 'stop a handler on its agents (or one, --agent ID)',
  restart: 'restart a handler on its agents (or one); prints the new PIDs',
  ensure: 'make sure a handler runs (wakes an on-demand handler)',
};

export function controlCommand(action: ControlAction, connect: AdminConnector = connectAdmin): Command {
  const usage = `gov ${action} HANDLER [--agent ID] [--json]`;
  const cmd: Command = {
    name: action,
    summary: SUMMARY[action],
    usage,
    run: (args, io) =>
      runGuarded(io, usage, async () => {
        const { values, positionals } = parseFlags(args, { ...COMMON_FLAGS, agent: { type: 'string' } });
        if (printedHelp(values, io, helpText(cmd, '  --agent ID  only the instance on agent ID')))
          return EXIT_OK;
        const [handler] = expectPositionals(positionals, ['HANDLER']) as [string];
        checkHandlerName(handler);
        const agent = checkAgentId(values.agent);
        const conn = resolveAdminConnection(values, io);
        const res = await withAdmin(connect, conn, (api) => api.control(action, handler, agent));
        const instances = res.instances.map(instanceJson);
        if (values.json) {
          printJson(io, { action, handler, executions: res.executions.map(executionJson), instances });
        } else {
          for (const r of res.executions) io.out(`${describeExecution(r)}\n`);
          for (const i of instances) {
            const pid = i.pid ? `pid ${i.pid}` : 'no process';
            io.out(
              `${i.handler}@${i.agent}: ${i.state}${i.temperature ? ` (${i.temperature})` : ''}, ${pid}\n`,
            );
          }
          if (res.executions.length === 0) io.out(`no instances of ${handler} to ${action}\n`);
        }
        return reportFailures(io, res.executions) ? EXIT_FAILED : EXIT_OK;
      }),
  };
  return cmd;
}
