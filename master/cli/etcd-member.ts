/**
 * One local etcd member (Debian's etcd-server) as `gov dev --ha` runs it, and the tests' etcd
 * (test/helpers/etcd.ts) too: where the binary is, and the flags of a single-member cluster on loopback URLs.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The etcd binary on `pathEnv` (a PATH value), or null. */
export function findEtcd(pathEnv: string): string | null {
  for (const dir of pathEnv.split(path.delimiter).filter(Boolean)) {
    const f = path.join(dir, 'etcd');
    try {
      accessSync(f, constants.X_OK);
      return f;
    } catch {
      /* next */
    }
  }
  return null;
}

/** The flags of a one-member etcd named `name`: data in `dataDir`, clients on `clientUrl`, its peer on `peerUrl`. */
export function etcdMemberArgs(m: {
  name: string;
  dataDir: string;
  clientUrl: string;
  peerUrl: string;
}): string[] {
  return [
    `--name=${m.name}`,
    `--data-dir=${m.dataDir}`,
    `--listen-client-urls=${m.clientUrl}`,
    `--advertise-client-urls=${m.clientUrl}`,
    `--listen-peer-urls=${m.peerUrl}`,
    `--initial-advertise-peer-urls=${m.peerUrl}`,
    `--initial-cluster=${m.name}=${m.peerUrl}`,
  ];
}
