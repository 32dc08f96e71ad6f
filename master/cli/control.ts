/** `gov start|stop|restart|ensure HANDLER [--agent ID]`: one execution per agent concerned. */
import { Option } from 'commander';
import { EXIT_FAILED, EXIT_OK } from '../../shared/cli-io.js';
import type { ControlAction } from './admin-client.js';
import { adminCommand } from './admin-command.js';
import { checkAgentId, checkHandlerName } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { describeExecution, executionJson, instanceJson, reportFailures } from './format.js';

export const CONTROL_ACTIONS: readonly ControlAction[] = ['start', 'stop', 'restart', 'ensure'];

const SUMMARY: Record<ControlAction, string> = {
  start: 'start a handler on its agents (or one, --agent ID)',
  stop: 'stop a handler on its agents (or one, --agent ID)',
  restart: 'restart a handler on its agents (or one); prints the new PIDs',
  ensure: 'make sure a handler runs (wakes an on-demand handler)',
};

export function controlCommand(action: ControlAction, connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: action,
    summary: SUMMARY[action],
    args: ['<HANDLER>'],
    options: [new Option('--agent <ID>', 'only the instance on agent ID')],
    check: ([handler], o) => ({ handler: checkHandlerName(handler!), agent: checkAgentId(o.agent) }),
    call: async (api, { handler, agent }, out) => {
      const res = await api.control(action, handler, agent);
      const instances = res.instances.map(instanceJson);
      out.print({ action, handler, executions: res.executions.map(executionJson), instances }, () => {
        const lines = res.executions.map((r) => `${describeExecution(r)}\n`);
        for (const i of instances) {
          const pid = i.pid ? `pid ${i.pid}` : 'no process';
          lines.push(
            `${i.handler}@${i.agent}: ${i.state}${i.temperature ? ` (${i.temperature})` : ''}, ${pid}\n`,
          );
        }
        if (res.executions.length === 0) lines.push(`no instances of ${handler} to ${action}\n`);
        return lines.join('');
      });
      return reportFailures(out.io, res.executions) ? EXIT_FAILED : EXIT_OK;
    },
  });
}
