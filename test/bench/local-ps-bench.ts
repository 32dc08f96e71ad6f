/**
 * `gov --local ps` (the agent's own socket, no master, no certificates) against `gov ps` through the master
 * (mTLS), both whole commands from exec to exit including Node's start, on the same agent holding 50
 * running instances (cli-start-bench's cluster), interleaved so that load weighs on both alike. Prints the
 * medians of BENCH_CLI_RUNS (20) runs each, `node -e 0` as the floor, and the local/master ratio.
 */
import path from 'node:path';
import { GOV_BIN, cleanupPids, cleanupTempDirs } from '../helpers/common.js';
import { median } from './bench-kit.js';
import { clusterWith50, timeRun, type Case } from './cli-start-bench.js';

export async function runLocalPsBench(): Promise<void> {
  const runs = Number(process.env.BENCH_CLI_RUNS ?? 20);
  const node = process.execPath;
  const c = await clusterWith50();
  try {
    const sock = path.join(c.agentDataDir('edge-1'), 'gov.sock');
    const cases: Case[] = [
      { name: 'node -e 0', argv: [node, '-e', '0'] },
      { name: 'gov ps (master, mTLS)', argv: [node, GOV_BIN, 'ps', ...c.connectionArgs()], cwd: c.dir },
      {
        name: 'gov --local ps (agent socket)',
        argv: [node, GOV_BIN, '--local', '--socket', sock, 'ps'],
        cwd: c.dir,
      },
    ];
    for (const k of cases) timeRun(k); // warm the file cache (and check each exits 0)
    const samples = new Map(cases.map((k) => [k.name, [] as number[]]));
    for (let i = 0; i < runs; i++) for (const k of cases) samples.get(k.name)!.push(timeRun(k));
    const m = (name: string) => median(samples.get(name)!);
    console.log(`median of ${runs} runs each (interleaved), 50 instances on one agent:`);
    for (const k of cases) console.log(`  ${k.name.padEnd(34)} ${m(k.name).toFixed(0).padStart(5)} ms`);
    const local = m(cases[2]!.name);
    const master = m(cases[1]!.name);
    console.log(`  local / master: ×${(local / master).toFixed(2)} (${(master - local).toFixed(0)} ms less)`);
  } finally {
    await c.stop();
    await cleanupPids();
    cleanupTempDirs();
  }
}
