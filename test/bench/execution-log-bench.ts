/**
 * Execution-log benchmark: durable records per second (begin + complete, `complete()` resolving only once
 * the record is on disk) with many executions in flight, and how many physical writes that took.
 * Target (issue 3): ≥ 2,000 durable records/s with coalesced writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';

/** A store to measure, and how to dispose of it afterwards. */
export interface BenchStore {
  store: MasterStore;
  dispose(): Promise<void>;
}

export interface ExecutionLogBenchOptions {
  records?: number;
  inFlight?: number;
  capacity?: number;
  /** The store to write through (default: the durable file in a temp dir). */
  open?: () => Promise<BenchStore>;
  /** Where to print (default console.log). */
  print?: (line: string) => void;
}

export interface ExecutionLogBenchResult {
  records: number;
  inFlight: number;
  seconds: number;
  recordsPerSecond: number;
  writes: number;
  recordsPerWrite: number;
  serialiseMs: number;
  fileBytes: number;
}

export async function measureExecutionLog(
  opts: ExecutionLogBenchOptions = {},
): Promise<ExecutionLogBenchResult> {
  const total = opts.records ?? 20_000;
  const inFlight = opts.inFlight ?? 100;
  const { store, dispose } = await (opts.open ?? openFileBenchStore)();
  try {
    const log = new ExecutionLog(store, { capacity: opts.capacity ?? 1000 });
    // Fill the ring first so every write serialises a full buffer (the steady state).
    await Promise.all(
      Array.from({ length: log.capacity }, (_, i) => {
        const r = log.begin({
          kind: 'start',
          handler: `h${i % 20}`,
          agent: `edge-${i % 50}`,
          issued_by: 'bench',
        });
        return log.complete(r.id, { status: 'success', result: 'ok' });
      }),
    );
    const writesBefore = store.writes;
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < total) {
        const i = started++;
        const rec = log.begin({
          kind: i % 2 ? 'restart' : 'start',
          handler: `handler-${i % 20}`,
          agent: `edge-${i % 50}`,
          issued_by: 'admin',
          params_summary: `handler-${i % 20} on edge-${i % 50}`,
        });
        await log.complete(rec.id, {
          status: i % 10 === 0 ? 'error' : 'success',
          result: `pid ${10_000 + i}`,
        });
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const writes = store.writes - writesBefore;

    const s0 = performance.now();
    const text = JSON.stringify(store.data);
    const serialiseMs = performance.now() - s0;
    return {
      records: total,
      inFlight,
      seconds,
      recordsPerSecond: total / seconds,
      writes,
      recordsPerWrite: total / Math.max(1, writes),
      serialiseMs,
      fileBytes: Buffer.byteLength(text),
    };
  } finally {
    await dispose();
  }
}

export async function openFileBenchStore(): Promise<BenchStore> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-exec-'));
  const store = await openMasterStore(dir, { owner: 'execution-log bench' });
  return {
    store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function runExecutionLogBench(opts: ExecutionLogBenchOptions = {}): Promise<void> {
  const print = opts.print ?? ((line: string) => console.log(line));
  const r = await measureExecutionLog(opts);
  const pass = r.recordsPerSecond >= 2000;
  print(
    `execution log: ${Math.round(r.recordsPerSecond)} durable records/s ` +
      `(${r.records} records, ${r.inFlight} in flight, ${r.seconds.toFixed(2)} s) — target ≥ 2,000: ${pass ? 'PASS' : 'FAIL'}`,
  );
  print(
    `execution log: ${r.writes} physical writes (${r.recordsPerWrite.toFixed(1)} records/write); ` +
      `state file ${(r.fileBytes / 1024).toFixed(0)} KiB, serialised in ${r.serialiseMs.toFixed(2)} ms`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runExecutionLogBench();
}
