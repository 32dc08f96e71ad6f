/**
 * `gov metrics [TARGET...] [--all] [--selector K=V] [--agent ID]...`: CPU, memory, uptime per instance, host
 * figures, fleet telemetry. No target: every instance.
 */
import { adminCommand } from './admin-command.js';
import { readTargets, TARGET_ARGS, targetOptions } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { metricsJson, metricsText } from './format.js';

export function metricsCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'metrics',
    summary: 'CPU, memory and uptime per instance, host figures per agent, fleet telemetry',
    args: [TARGET_ARGS],
    options: targetOptions(),
    check: (names, o) => readTargets(names, o),
    call: async (api, targets, out) => {
      const res = await api.getMetrics({ targets });
      out.print(metricsJson(res), () => metricsText(res));
    },
  });
}
