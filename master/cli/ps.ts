/** `gov ps [HANDLER] [--agent ID]`: instances' last reported status (stale ones marked). */
import { Option } from 'commander';
import { adminCommand } from './admin-command.js';
import { handlerFilter } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { instanceJson, instancesTable } from './format.js';

export function psCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now) {
  return adminCommand(connect, {
    name: 'ps',
    summary: 'list instances: state, PID, restarts, uptime, last exit (stale ones marked *)',
    args: ['[HANDLER]'],
    options: [new Option('--agent <ID>', 'only instances on agent ID')],
    check: handlerFilter,
    call: async (api, q, out) => {
      const res = await api.listInstances(q);
      out.print({ instances: res.instances.map(instanceJson) }, () => instancesTable(res.instances, now()));
    },
  });
}
