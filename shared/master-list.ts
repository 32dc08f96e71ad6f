/**
 * The masters a client dials (DESIGN §6, §9 "HA"): `--master`, `GOV_MASTER` and the agent's `master:` config
 * key take one `HOST:PORT` or a comma-separated list of them (the masters of an HA cluster, in the order
 * they are tried first). The one rule for the CLI and the agent; the refusal names where the list came from.
 */
import { isHostPort } from './host-port.js';

/** More addresses than any HA cluster has (3 or 5 masters): a list longer than this is a mistake. */
export const MAX_MASTERS = 16;

/**
 * `a:1,b:2` → `['a:1', 'b:2']` (spaces around commas allowed, a repeated address kept once). `source` names
 * where the text came from (`--master`, `GOV_MASTER`, `agent.yaml: master`); `fail` makes the error thrown
 * (a usage error for flags, a validation error for files).
 */
export function parseMasterList(text: string, source: string, fail: (message: string) => Error): string[] {
  const parts = text.split(',').map((p) => p.trim());
  const out: string[] = [];
  for (const part of parts) {
    if (part === '')
      throw fail(
        `${source} ${JSON.stringify(text)}: an empty address in the list — give HOST:PORT[,HOST:PORT…]`,
      );
    if (!isHostPort(part))
      throw fail(
        `${source}: ${JSON.stringify(part)} is not HOST:PORT (e.g. 127.0.0.1:7070; several masters: ` +
          'm1:7070,m2:7070,m3:7070)',
      );
    if (!out.includes(part)) out.push(part);
  }
  if (out.length > MAX_MASTERS)
    throw fail(`${source}: ${out.length} addresses; at most ${MAX_MASTERS} masters can be listed`);
  return out;
}
