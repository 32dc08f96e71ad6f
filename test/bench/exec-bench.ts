/**
 * `gov exec` benchmark (issue 14), against a real `gov master` and `gov agent` on loopback, driven in-process
 * through the admin client (CLI start excluded):
 * - round trip of `gov exec web -- true` (start frame → exit frame), p50/p90 of BENCH_EXEC_RUNS (50);
 * - throughput of a remote `head -c 100000000 /dev/zero` read to nowhere, MB/s, BENCH_EXEC_TPUT_RUNS (3) times,
 *   with the CPU each process (agent, master, this client) spent per MB, the frames it came in and the
 *   page faults per MB of each process;
 * - keystroke echo latency in a `-t` session running `cat` (byte sent → its echo back), p50/p90 of 200.
 * BENCH_EXEC_NODE_ARGS: node flags for the master and agent (`--cpu-prof --cpu-prof-dir=DIR`: they are
 * stopped with SIGTERM so the profiles are written).
 * Targets from the issue: p50 ≤ 20 ms, ≥ 100 MB/s, echo p50 ≤ 5 ms. Printed, never asserted.
 */
import { fixture, cleanupPids, cleanupTempDirs } from '../helpers/common.js';
import { Cluster } from '../helpers/cluster.js';
import type { AdminApi } from '../../master/cli/admin-client.js';
import type { ExecServerFrame__Output } from '../../proto/generated/governor/v1/ExecServerFrame.js';
import type { ExecStart } from '../../proto/generated/governor/v1/ExecStart.js';
import { readFileSync } from 'node:fs';
import { CLOCK_TICKS, cpuTicks, loadNote, pct } from './bench-kit.js';

/**
 * Minor page faults of `pid` so far (/proc/PID/stat field 10): memory touched for the first time, e.g. a new
 * Buffer of a frame's size (a MB is 244 pages of 4 KiB: that many a MB, and every byte went through fresh memory).
 */
function minorFaults(pid: number | 'self'): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[7]);
}

const target = { names: ['web'], all: false, selector: {}, agents: [] };

async function once(
  api: AdminApi,
  start: Partial<ExecStart>,
  onFrame: (f: ExecServerFrame__Output) => void = () => {},
): Promise<void> {
  const ch = api.exec(onFrame);
  ch.write({ start: { targets: target, command: ['true'], ...start } });
  await ch.done;
}

export async function runExecBench(): Promise<void> {
  // e.g. `--cpu-prof --cpu-prof-dir=DIR` or `--trace-gc` for the master and the agent.
  const nodeArgs = (process.env.BENCH_EXEC_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const c = await Cluster.start({ agents: ['edge-1'], nodeArgs });
  try {
    await c.govJson([
      'apply',
      '-f',
      c.writeHandlers([
        { name: 'web', agents: ['edge-1'], command: [process.execPath, fixture('ticker.mjs')] },
      ]),
    ]);
    await c.waitInstances('web', 1, (i) => i.state === 'running');
    const api = c.admin();
    const runs = Number(process.env.BENCH_EXEC_RUNS ?? 50);
    await once(api, {}); // warm the channel
    const rtt: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await once(api, {});
      rtt.push(performance.now() - t0);
    }
    rtt.sort((a, b) => a - b);
    console.log(
      `exec true round trip: p50 ${pct(rtt, 50).toFixed(1)} ms, p90 ${pct(rtt, 90).toFixed(1)} ms (${runs} runs; target p50 ≤ 20 ms)`,
    );

    const total = 100_000_000;
    const mb = total / 1e6;
    const tputRuns = Number(process.env.BENCH_EXEC_TPUT_RUNS ?? 3);
    const procs = { agent: c.agents.get('edge-1')!.pid, master: c.master!.pid };
    for (let i = 0; i < tputRuns; i++) {
      let got = 0;
      let frames = 0;
      const ticks0 = { agent: cpuTicks(procs.agent), master: cpuTicks(procs.master) };
      const faults0 = {
        agent: minorFaults(procs.agent),
        master: minorFaults(procs.master),
        client: minorFaults('self'),
      };
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      await once(api, { command: ['head', '-c', String(total), '/dev/zero'] }, (f) => {
        if (f.body !== 'stdout') return;
        got += (f.stdout as Buffer).length;
        frames++;
      });
      const s = (performance.now() - t0) / 1000;
      const client = process.cpuUsage(client0);
      const msPerMb = (ticks: number): string => ((ticks / CLOCK_TICKS / mb) * 1000).toFixed(2);
      console.log(
        `exec throughput: ${(got / 1e6 / s).toFixed(0)} MB/s (${(got / 1e6).toFixed(0)} MB in ${s.toFixed(2)} s, ${frames} frames; target ≥ 100 MB/s); ` +
          `CPU per MB: agent ${msPerMb(cpuTicks(procs.agent) - ticks0.agent)} ms, ` +
          `master ${msPerMb(cpuTicks(procs.master) - ticks0.master)} ms, ` +
          `client ${((client.user + client.system) / 1000 / mb).toFixed(2)} ms; ` +
          `page faults per MB: agent ${((minorFaults(procs.agent) - faults0.agent) / mb).toFixed(0)}, ` +
          `master ${((minorFaults(procs.master) - faults0.master) / mb).toFixed(0)}, ` +
          `client ${((minorFaults('self') - faults0.client) / mb).toFixed(0)}; ${loadNote()}`,
      );
    }

    const echo: number[] = [];
    let waiting: { byte: string; t0: number; done: () => void } | null = null;
    let seen = '';
    const ch = api.exec((f) => {
      if (f.body !== 'stdout' || !waiting) return;
      seen += (f.stdout as Buffer).toString('latin1');
      if (seen.includes(waiting.byte)) {
        echo.push(performance.now() - waiting.t0);
        const w = waiting;
        waiting = null;
        w.done();
      }
    });
    ch.write({ start: { targets: target, command: ['cat'], tty: true, stdin: true, rows: 24, cols: 80 } });
    await new Promise((r) => setTimeout(r, 500)); // the session opens
    for (let i = 0; i < 200; i++) {
      const byte = String.fromCharCode(97 + (i % 26));
      seen = '';
      await new Promise<void>((done) => {
        waiting = { byte, t0: performance.now(), done };
        ch.write({ stdin: Buffer.from(byte) });
      });
    }
    ch.cancel();
    await ch.done.catch(() => {});
    echo.sort((a, b) => a - b);
    console.log(
      `exec -t keystroke echo: p50 ${pct(echo, 50).toFixed(2)} ms, p90 ${pct(echo, 90).toFixed(2)} ms (200 keys; target p50 ≤ 5 ms)`,
    );
  } finally {
    if (nodeArgs.length > 0) {
      // A graceful exit writes a .cpuprofile (the agent leaves its handlers running: stopped below by group).
      await c.agents.get('edge-1')?.kill('SIGTERM', 30_000);
      await c.master?.kill('SIGTERM', 30_000);
    }
    await c.stop();
    await cleanupPids();
    cleanupTempDirs();
  }
}
