/**
 * Several clusters may share one etcd, each under its own `--etcd-prefix` (issue 16) — but only prefixes
 * that do not NEST into another cluster's keys. A cluster at PREFIX keeps its state under `PREFIX state/`
 * (always with `PREFIX state/meta` once it ran) and its election at `PREFIX leader`, `PREFIX masters/`.
 * A second cluster whose prefix lies inside the first one's (e.g. `/gov/state/` inside `/gov/`) would put its
 * leader key, registry entries and state among the first one's records: nothing breaks at once, but the
 * first cluster's next leader finds foreign keys in its store and refuses to lead — the whole cluster down.
 * So a master refuses to start when an enclosing prefix holds a cluster (the other way round, the enclosing
 * cluster's store load already refuses the foreign keys, naming them).
 */
import type { Etcd3 } from 'etcd3';
import { UnavailableError, ValidationError, errorMessage } from '../../shared/errors.js';
import { withDeadline } from '../state/etcd-client.js';

/** The key every cluster that ran once holds, below its prefix. */
export const CLUSTER_MARK = 'state/meta';

/** The prefixes strictly enclosing `prefix` (`/a/b/` → `/`, `/a/`), each ending in '/'. */
export function enclosingPrefixes(prefix: string): string[] {
  const out: string[] = [];
  for (let i = prefix.indexOf('/'); i >= 0 && i < prefix.length - 1; i = prefix.indexOf('/', i + 1))
    out.push(prefix.slice(0, i + 1));
  return out;
}

/**
 * Rejects with a ValidationError naming both prefixes when `prefix` lies inside another cluster's keys;
 * with an UnavailableError when etcd does not answer within `timeoutMs`.
 */
export async function checkClusterPrefix(
  client: Etcd3,
  prefix: string,
  where: string,
  timeoutMs: number,
): Promise<void> {
  const outer = enclosingPrefixes(prefix);
  const found = await withDeadline(
    Promise.all(outer.map((p) => client.get(`${p}${CLUSTER_MARK}`).exists())),
    timeoutMs,
  ).catch((err: unknown) => {
    throw new UnavailableError(`etcd did not answer the check of ${where} ${prefix}: ${errorMessage(err)}`, {
      cause: err,
    });
  });
  const at = found.findIndex(Boolean);
  if (at < 0) return;
  const other = outer[at] as string;
  throw new ValidationError(
    `${where} ${prefix}: lies inside the keys of the Governor cluster at prefix ${other} (it holds ` +
      `${other}${CLUSTER_MARK}): its next leader would refuse the foreign keys and stop leading. Clusters ` +
      `sharing one etcd need prefixes that do not nest: choose one outside ${other}`,
  );
}
