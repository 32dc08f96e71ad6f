/** `gov stats`: execution statistics (DESIGN §4). */
import { adminCommand } from './admin-command.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { statsJson, statsText } from './format.js';

export function statsCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'stats',
    summary: 'execution statistics: counts, success rate, durations, by handler and agent',
    check: () => undefined,
    call: async (api, _req, out) => {
      const stats = await api.getStats();
      out.print(statsJson(stats), () => statsText(stats));
    },
  });
}
