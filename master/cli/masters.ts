/**
 * `gov masters`: the masters of the cluster — id, address, which one leads and since when, and each one's
 * lease age (time since its lease was last renewed, as the answering master sees it: whole seconds for
 * another master's lease, from etcd). Any master answers, a follower included. A single master on the file
 * store lists itself (store `embedded`).
 */
import type { ListMastersResponse__Output } from '../../proto/generated/governor/v1/ListMastersResponse.js';
import { table } from '../../shared/cli-io.js';
import { formatDuration } from '../../shared/durations.js';
import { adminCommand } from './admin-command.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { ago } from './format.js';

export function mastersTable(res: ListMastersResponse__Output, now: number): string {
  const rows = res.masters.map((m) => [
    m.id,
    m.address,
    m.leader ? 'yes' : 'no',
    m.leader ? ago(m.leader_since, now) : null,
    res.store === 'embedded' || m.lease_age_ms < 0 ? null : formatDuration(m.lease_age_ms),
    m.lease_ttl_ms > 0 ? formatDuration(m.lease_ttl_ms) : null,
  ]);
  const head = `store ${res.store}, answered by ${res.answered_by}\n`;
  if (rows.length === 0) return `${head}no masters registered\n`;
  return head + table(['ID', 'ADDRESS', 'LEADER', 'LEADER SINCE', 'LEASE AGE', 'LEASE TTL'], rows);
}

export function mastersCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now) {
  return adminCommand(connect, {
    name: 'masters',
    summary: 'list the masters: which one leads, since when, and their lease age (any master answers)',
    jsonHelp:
      'print one JSON document: {store, answered_by, masters: [{id, address, leader, leader_since, lease_ttl_ms, lease_age_ms, version}]}',
    check: () => undefined,
    call: async (api, _req, out) => {
      const res = await api.listMasters();
      out.print(res, () => mastersTable(res, now()));
    },
  });
}
