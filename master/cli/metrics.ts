/** `gov metrics [HANDLER] [--agent ID]`: CPU, memory, uptime per instance, host figures, fleet telemetry. */
import { Option } from 'commander';
import { adminCommand } from './admin-command.js';
import { handlerFilter } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { metricsJson, metricsText } from './format.js';

export function metricsCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'metrics',
    summary: 'CPU, memory and uptime per instance, host figures per agent, fleet telemetry',
    args: ['[HANDLER]'],
    options: [new Option('--agent <ID>', 'only agent ID')],
    check: handlerFilter,
    call: async (api, q, out) => {
      const res = await api.getMetrics(q);
      out.print(metricsJson(res), () => metricsText(res));
    },
  });
}
