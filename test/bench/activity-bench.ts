/**
 * On-demand activity check (issue 12): what one look at a handler's connections costs — its process tree
 * walked (/proc children lists), the socket inodes of its fds (/proc/PID/fd), and /proc/PID/net/tcp and tcp6
 * parsed — for an HTTP handler holding 0, 100 and 1000 open client connections (the clients are this
 * process's sockets, so the host's socket table holds twice as many entries plus whatever else runs).
 * The idle check does this once when the idle action is due, and the metrics sampling once per interval
 * per hot on-demand instance. Prints p50/p99 in µs and the connections found.
 * Env: BENCH_ACTIVITY_LOOKS (200).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SocketTables, establishedConnections } from '../../agent/on-demand/tcp-connections.js';
import { processTree } from '../../agent/process/process-tree.js';
import { pct } from './bench-kit.js';
import { fixture } from '../helpers/common.js';

const FIXTURE = fixture('http-server.mjs');

const tableRows = (): number =>
  ['tcp', 'tcp6']
    .map((t) => {
      try {
        return readFileSync(`/proc/net/${t}`, 'utf8').split('\n').length - 2;
      } catch {
        return 0;
      }
    })
    .reduce((a, b) => a + b, 0);

export async function runActivityBench(): Promise<void> {
  const looks = Number(process.env.BENCH_ACTIVITY_LOOKS ?? 200);
  const ready = path.join(mkdtempSync(path.join(os.tmpdir(), 'gov-activity-')), 'ready.log');
  const child = spawn(process.execPath, [FIXTURE], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: '0', READY_LOG: ready },
    stdio: 'ignore',
  });
  const clients: net.Socket[] = [];
  try {
    let port = 0;
    const deadline = Date.now() + 10_000;
    while (!port) {
      if (Date.now() > deadline) throw new Error('the HTTP handler did not listen within 10s');
      if (existsSync(ready)) port = (JSON.parse(readFileSync(ready, 'utf8')) as { port: number }).port;
      else await new Promise((r) => setTimeout(r, 20));
    }
    const pid = child.pid!;
    console.log(`host: ${os.cpus().length} cpus; handler pid ${pid} on :${port}`);
    for (const want of [0, 100, 1000]) {
      while (clients.length < want) {
        const c = net.connect(port, '127.0.0.1');
        await new Promise<void>((r, j) => c.once('connect', r).once('error', j));
        clients.push(c);
      }
      let found = 0;
      const time = (tables: SocketTables): string => {
        const ms: number[] = [];
        for (let i = 0; i < looks; i++) {
          const t0 = performance.now();
          const conns = establishedConnections(
            processTree(pid).map((p) => p.pid),
            tables,
          );
          ms.push(performance.now() - t0);
          found = [...conns.values()].reduce((a, b) => a + b, 0);
        }
        ms.sort((a, b) => a - b);
        return `p50 ${(pct(ms, 50) * 1000).toFixed(0)} µs, p99 ${(pct(ms, 99) * 1000).toFixed(0)} µs`;
      };
      const alone = time(new SocketTables(0)); // every look reads the tables
      const shared = time(new SocketTables(60_000)); // looks of one round share one read
      console.log(
        `${String(want).padStart(4)} clients (${tableRows()} rows in /proc/net/tcp*): ` +
          `reading the tables ${alone}; sharing a read ${shared}; found ${found}`,
      );
    }
  } finally {
    for (const c of clients) c.destroy();
    if (child.pid) process.kill(child.pid, 'SIGTERM');
    rmSync(path.dirname(ready), { recursive: true, force: true });
  }
}
