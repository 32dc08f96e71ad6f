/**
 * Watch fan-out benchmark (`npm run bench -- watch`): a master (in this process) with 500 simulated agents
 * (the load tool, its own process) each pushing a status change every BENCH_PUSH_MS; then 100 watchers
 * (another process, one connection each) follow Admin.Watch. Figures: delivery latency from the agent's push
 * (the time it stamps in the status) to a watcher's receipt, p50/p99/max over every delivery; the master's
 * CPU (process.cpuUsage over a window) and RSS (after a forced GC) with 0 and with 100 watchers, and the
 * difference per watcher. Printed, never asserted: the machine is shared.
 * Env: BENCH_AGENTS (500), BENCH_WATCHERS (100), BENCH_PUSH_MS (1000), BENCH_WINDOW_SECONDS (10).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGrpcAdminApi, type AdminApi } from '../../master/cli/admin-client.js';
import { caPaths, clientPaths } from '../../shared/pki.js';
import { parseHandlersFile } from '../../shared/spec.js';
import { clientConnection, loadTlsMaterial } from '../../shared/tls.js';
import { pct } from './bench-kit.js';
import { loadLine, startBenchMaster, until } from './control-plane-bench.js';
import { simAgentIds, simAgentPki, spawnSimAgents } from './sim-agent.js';

const MiB = 1024 * 1024;
const KiB = 1024;
const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

/** Runs in a fresh node process (RSS means little after other benchmarks in the same one). */
export async function runWatchBench(): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`watch benchmark failed (exit code ${code})`);
}

interface Window {
  cpuPercent: number;
  rssMiB: number;
}

/** The master's CPU over `seconds` (% of one core) and its RSS after a GC. */
async function measure(seconds: number, gc: () => void): Promise<Window> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c = process.cpuUsage(c0);
  const cpuPercent = ((c.user + c.system) / 1000 / (performance.now() - t0)) * 100;
  gc();
  return { cpuPercent, rssMiB: process.memoryUsage.rss() / MiB };
}

async function benchHere(): Promise<void> {
  const agents = Number(process.env.BENCH_AGENTS ?? 500);
  const watchers = Number(process.env.BENCH_WATCHERS ?? 100);
  const pushMs = Number(process.env.BENCH_PUSH_MS ?? 1000);
  const windowS = Number(process.env.BENCH_WINDOW_SECONDS ?? 10);
  const gc = forceGc();
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-pki-'));
  await simAgentPki(pkiDir, simAgentIds(agents));
  const master = await startBenchMaster(pkiDir);
  const { fleet } = master.governor;
  // The simulated agents' instances (web-0, web-1 on every agent): their statuses are kept.
  await master.governor.registry.applySpecs(
    parseHandlersFile(
      JSON.stringify({
        handlers: ['web-0', 'web-1'].map((name) => ({
          name,
          agents: simAgentIds(agents),
          command: ['true'],
        })),
      }),
      'watch-bench.yaml',
    ),
  );
  const keepAlive = setInterval(() => {}, 1 << 30);
  let sim: Awaited<ReturnType<typeof spawnSimAgents>> | null = null;
  let clients: ReturnType<typeof spawn> | null = null;
  try {
    sim = await spawnSimAgents({
      master: master.address,
      pkiDir,
      count: agents,
      pushEveryMs: pushMs,
      readyTimeoutMs: 300_000,
    });
    await until(() => fleet.hub.ids().length >= agents, 300_000, `${agents} agents connected`);
    await sleep(3000);
    const kept0 = master.governor.watch.hub.ring.newest;
    if (process.env.BENCH_DEBUG)
      console.log(
        'debug',
        kept0,
        fleet.registry.listInstances().length,
        JSON.stringify(fleet.registry.listInstances()[0]),
      );
    const w0 = await measure(windowS, gc);
    const rate = (master.governor.watch.hub.ring.newest - kept0) / windowS;
    console.log(
      `watch: ${agents} agents, ${rate.toFixed(0)} kept events/s; 0 watchers: master CPU ` +
        `${w0.cpuPercent.toFixed(1)} %, RSS ${w0.rssMiB.toFixed(1)} MiB; ${loadLine()}`,
    );

    clients = spawn(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--clients',
        String(watchers),
        '--master',
        master.address,
        '--pki',
        pkiDir,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: clients.stdout! });
    const next = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
    const ready = await next();
    if (!ready.startsWith('ready')) throw new Error(`watch clients: ${ready}`);
    await until(
      () => master.governor.watch.hub.stats().watchers >= watchers,
      180_000,
      `${watchers} watchers`,
    );
    await sleep(3000);
    clients.stdin!.write('reset\n');
    const w1 = await measure(windowS, gc);
    clients.stdin!.write('report\n');
    const got = JSON.parse(await next()) as Record<'deliveries' | 'p50' | 'p99' | 'max', number | null>;
    const r = {
      deliveries: got.deliveries ?? 0,
      p50: got.p50 ?? NaN,
      p99: got.p99 ?? NaN,
      max: got.max ?? NaN,
    };
    const stats = master.governor.watch.hub.stats();
    const maxBuffered = Math.max(0, ...stats.each.map((w) => w.buffered));
    console.log(
      `watch: ${watchers} watchers: delivery from agent push to watcher p50 ${r.p50.toFixed(1)} ms, ` +
        `p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms over ${r.deliveries} deliveries ` +
        `(${(r.deliveries / windowS).toFixed(0)}/s; watchers still connected ${stats.watchers}, ` +
        `most buffered ${maxBuffered})`,
    );
    console.log(
      `watch: ${watchers} watchers: master CPU ${w1.cpuPercent.toFixed(1)} %, RSS ${w1.rssMiB.toFixed(1)} MiB → ` +
        `per watcher ${((w1.cpuPercent - w0.cpuPercent) / watchers).toFixed(3)} % CPU, ` +
        `${(((w1.rssMiB - w0.rssMiB) * MiB) / watchers / KiB).toFixed(1)} KiB RSS; ${loadLine()}`,
    );
  } finally {
    clearInterval(keepAlive);
    clients?.kill('SIGTERM');
    await sim?.stop();
    await master.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}

/** The watchers' process: N watches, latency of each instance event stamped by a simulated agent. */
async function clientsHere(count: number, address: string, pkiDir: string): Promise<void> {
  const p = clientPaths(pkiDir, 'admin', 'admin');
  const tls = loadTlsMaterial({
    caPath: caPaths(pkiDir).cert,
    certPath: p.cert,
    keyPath: p.key,
    cwd: process.cwd(),
  });
  let samples: number[] = [];
  const apis: AdminApi[] = [];
  for (let i = 0; i < count; i++) {
    const c = clientConnection(address, tls, { separateConnection: true });
    const api = createGrpcAdminApi({
      target: c.target,
      credentials: c.credentials,
      channelOptions: c.options,
    });
    apis.push(api);
    api.watch({ follow: true, kinds: ['instance'], handlers: [], agents: [] }, (e) => {
      const m = /^pushed (\d+(\.\d+)?)$/.exec(e.instance?.instance?.status?.notify_status ?? '');
      if (m) samples.push(performance.timeOrigin + performance.now() - Number(m[1]));
    });
  }
  console.log('ready');
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    if (line === 'reset') samples = [];
    if (line === 'report') {
      const s = [...samples].sort((a, b) => a - b);
      console.log(
        JSON.stringify({ deliveries: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s.at(-1) ?? NaN }),
      );
    }
  });
  const stop = (): void => {
    for (const a of apis) a.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  input.on('close', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { clients: { type: 'string' }, master: { type: 'string' }, pki: { type: 'string' } },
  });
  if (values.clients) await clientsHere(Number(values.clients), values.master!, values.pki!);
  else await benchHere();
}
