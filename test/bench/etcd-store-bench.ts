/**
 * Execution-log ingest through the etcd store (HA) beside the durable file, in the same run: durable
 * records per second (begin + complete, `complete()` resolving once the record is committed: etcd fsyncs
 * every transaction) with many executions in flight, coalesced into fenced transactions.
 * Target (issue 16): ≥ 2,000 durable records/s through etcd. Needs the etcd binary (Debian etcd-server).
 */
import { pathToFileURL } from 'node:url';
import { connectEtcd } from '../../master/state/etcd-client.js';
import { openEtcdStore } from '../../master/state/etcd-store.js';
import { cleanupTempDirs } from '../helpers/common.js';
import { etcdBinary, startEtcd } from '../helpers/etcd.js';
import { measureExecutionLog, type ExecutionLogBenchResult } from './execution-log-bench.js';

export async function runEtcdStoreBench(opts: { records?: number; inFlight?: number } = {}): Promise<void> {
  if (!etcdBinary()) {
    console.log('etcd store: skipped — etcd is not installed (apt-get install etcd-server)');
    return;
  }
  const records = opts.records ?? 20_000;
  const inFlight = opts.inFlight ?? 100;
  const file = await measureExecutionLog({ records, inFlight });
  const etcd = await startEtcd();
  try {
    const conn = await connectEtcd({ endpoints: [etcd.endpoint] });
    try {
      const fenceKey = '/governor-bench/leader';
      await conn.client.put(fenceKey).value('bench');
      const created = (await conn.client.get(fenceKey).exec()).kvs[0]?.create_revision;
      const fence = { key: fenceKey, createRevision: String(created) };
      const r = await measureExecutionLog({
        records,
        inFlight,
        open: async () => {
          const store = await openEtcdStore({ etcd: conn, prefix: '/governor-bench/', fence });
          return { store, dispose: () => store.close() };
        },
      });
      const status = await conn.client.maintenance.status();
      const revision = Number(status.header.revision);
      print('file', file);
      print('etcd', r);
      console.log(
        `etcd store: ${r.writes} fenced transactions for ${r.records} records ` +
          `(etcd at revision ${revision} after the run) — target ≥ 2,000 records/s: ` +
          `${r.recordsPerSecond >= 2000 ? 'PASS' : 'FAIL'}`,
      );
    } finally {
      conn.close();
    }
  } finally {
    await etcd.stop();
    cleanupTempDirs();
  }
}

function print(name: string, r: ExecutionLogBenchResult): void {
  console.log(
    `${name.padEnd(4)}: ${String(Math.round(r.recordsPerSecond)).padStart(6)} durable records/s ` +
      `(${r.records} records, ${r.inFlight} in flight, ${r.seconds.toFixed(2)} s; ${r.writes} writes, ` +
      `${r.recordsPerWrite.toFixed(1)} records/write)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runEtcdStoreBench();
}
