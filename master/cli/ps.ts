/**
 * `gov ps [TARGET...] [--all] [--selector K=V] [--agent ID]...`: instances' last reported status (stale ones
 * marked), sorted by handler, agent, instance index. No target: every instance.
 */
import { adminCommand } from './admin-command.js';
import { readTargets, TARGET_ARGS, targetOptions } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { instancesTable, sortedInstances } from './format.js';

export function psCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now) {
  return adminCommand(connect, {
    name: 'ps',
    summary:
      'list instances: state, PID, restarts, uptime, last exit, health, sd_notify STATUS (stale ones marked *)',
    args: [TARGET_ARGS],
    options: targetOptions(),
    check: (names, o) => readTargets(names, o),
    call: async (api, targets, out) => {
      const res = await api.listInstances({ targets });
      out.print({ instances: sortedInstances(res.instances) }, () => instancesTable(res.instances, now()));
    },
  });
}
