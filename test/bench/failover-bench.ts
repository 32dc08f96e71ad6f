/**
 * HA failover benchmarks (issue 16), on a real etcd (Debian's etcd-server) and three `gov master --store
 * etcd` processes:
 * - `failover`: 500 simulated agents (sim-agent.ts, in its own process, each link given the three addresses)
 *   and the CLI's leader-following admin client. Each run kills the leader (kill -9) and times until (a) an
 *   admin call (GetStats through the address list) is answered by the new leader, (b) every agent is
 *   connected again (from the load tool's own count). p50 of 5 runs; goal ≤ lease TTL + 3 s. The killed
 *   master is started again before the next run.
 * - `follower-reads`: admin read latency through a follower (refused, then asked of the leader it names) vs
 *   straight at the leader — a new client per call, as each `gov` command is — and ListMasters, which every
 *   master answers itself, on kept connections to a follower and to the leader.
 * Env: BENCH_AGENTS (500), BENCH_RUNS (5), BENCH_LEASE_TTL (5s), BENCH_READS (100).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGrpcAdminApi, type AdminApi } from '../../master/cli/admin-client.js';
import { caPaths, clientPaths, masterPaths } from '../../shared/pki.js';
import { clientConnection, loadTlsMaterial, type TlsMaterial } from '../../shared/tls.js';
import { Proc } from '../helpers/cluster.js';
import { GOV_BIN } from '../helpers/common.js';
import { etcdBinary, freePort, startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { pct } from './bench-kit.js';
import { simAgentIds, simAgentPki, spawnSimAgents } from './sim-agent.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Three HA masters on one etcd, with the PKI of `pkiDir` (sim-agent.ts `simAgentPki`). */
class BenchMasters {
  readonly procs: Array<Proc | null> = [null, null, null];
  readonly ports: number[] = [];
  private constructor(
    readonly etcd: EtcdServer,
    readonly pkiDir: string,
    readonly dir: string,
    readonly leaseTtl: string,
  ) {}

  static async start(pkiDir: string, leaseTtl: string): Promise<BenchMasters> {
    const m = new BenchMasters(
      await startEtcd(),
      pkiDir,
      mkdtempSync(path.join(os.tmpdir(), 'gov-bench-ha-')),
      leaseTtl,
    );
    for (let i = 0; i < 3; i++) m.ports.push(await freePort());
    await Promise.all([0, 1, 2].map((i) => m.startMaster(i)));
    return m;
  }

  address(i: number): string {
    return `127.0.0.1:${this.ports[i]}`;
  }

  get addresses(): string[] {
    return this.ports.map((_, i) => this.address(i));
  }

  async startMaster(i: number): Promise<void> {
    const p = masterPaths(this.pkiDir);
    const args = [GOV_BIN, 'master', '--store', 'etcd', '--etcd-endpoints', this.etcd.endpoint];
    args.push('--lease-ttl', this.leaseTtl, '--listen', this.address(i), '--advertise', this.address(i));
    args.push('--data-dir', path.join(this.dir, `master-${i}`), '--http', 'off', '--log-level', 'warn');
    args.push('--ca', caPaths(this.pkiDir).cert, '--cert', p.cert, '--key', p.key);
    const proc = new Proc(`master ${i}`, spawn(process.execPath, args, { stdio: 'pipe' }));
    this.procs[i] = proc;
    const deadline = Date.now() + 30_000;
    while (!/listening on/.test(proc.stdout)) {
      if (!proc.running || Date.now() > deadline)
        throw new Error(`master ${i} did not start:\n${proc.tail()}`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p?.kill('SIGKILL')));
    await this.etcd.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function adminMaterial(pkiDir: string): TlsMaterial {
  const p = clientPaths(pkiDir, 'admin', 'admin');
  return loadTlsMaterial({
    caPath: caPaths(pkiDir).cert,
    certPath: p.cert,
    keyPath: p.key,
    cwd: process.cwd(),
  });
}

/** The CLI's client over `masters` (tried in that order), its own connections. */
function adminClient(material: TlsMaterial, masters: string[], timeoutMs = 30_000): AdminApi {
  const c = clientConnection(masters[0]!, material, { separateConnection: true });
  return createGrpcAdminApi({
    target: c.target,
    credentials: c.credentials,
    channelOptions: c.options,
    masters,
    timeoutMs,
    channelFor: (a) => {
      const m = clientConnection(a, material, { separateConnection: true });
      return { target: m.target, credentials: m.credentials, options: m.options };
    },
  });
}

async function leaderIndex(api: AdminApi, m: BenchMasters, not = -1): Promise<number> {
  for (;;) {
    const res = await api.listMasters().catch(() => null);
    const lead = res?.masters.find((x) => x.leader);
    const i = lead ? m.addresses.indexOf(lead.address) : -1;
    if (i >= 0 && i !== not && m.procs[i]?.running) return i;
    await sleep(50);
  }
}

/** Waits until the masters list the restarted master `i` as a follower: the next run starts with three. */
async function followerListed(material: TlsMaterial, m: BenchMasters, i: number): Promise<void> {
  const api = adminClient(material, m.addresses);
  try {
    for (;;) {
      const res = await api.listMasters().catch(() => null);
      if (res?.masters.some((x) => x.address === m.address(i) && !x.leader)) return;
      await sleep(50);
    }
  } finally {
    api.close();
  }
}

function skipReason(): string | null {
  return etcdBinary() ? null : 'etcd is not installed (apt-get install etcd-server)';
}

export async function runFailoverBench(): Promise<void> {
  const skip = skipReason();
  if (skip) return void console.log(`skipped: ${skip}`);
  const count = Number(process.env.BENCH_AGENTS ?? 500);
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const leaseTtl = process.env.BENCH_LEASE_TTL ?? '5s';
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-pki-'));
  const ids = simAgentIds(count);
  await simAgentPki(pkiDir, ids);
  const m = await BenchMasters.start(pkiDir, leaseTtl);
  const material = adminMaterial(pkiDir);
  let sim: Awaited<ReturnType<typeof spawnSimAgents>> | null = null;
  try {
    sim = await spawnSimAgents({
      master: m.addresses.join(','),
      pkiDir,
      count,
      instances: 2,
      readyTimeoutMs: 300_000,
    });
    console.log(
      `${count} simulated agents connected in ${sim.connectMs} ms; lease TTL ${leaseTtl}, ${runs} runs`,
    );
    let connected = count;
    sim.lines.on('line', (line) => {
      const msg = JSON.parse(line) as { connected?: number };
      if (typeof msg.connected === 'number') connected = msg.connected;
    });
    const admin: number[] = [];
    const agents: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const probe = adminClient(material, m.addresses);
      const old = await leaderIndex(probe, m);
      probe.close();
      const api = adminClient(material, m.addresses, 60_000);
      await api.getStats(); // connected to the leader before the kill, as a running CLI would be
      const t0 = Date.now();
      await m.procs[old]!.kill('SIGKILL');
      let agentsAt = 0;
      let down = false;
      const watchAgents = (async () => {
        while (!agentsAt) {
          if (connected < count) down = true;
          if (down && connected === count) agentsAt = Date.now();
          await sleep(10);
        }
      })();
      await api.getStats();
      const adminAt = Date.now();
      await watchAgents;
      api.close();
      admin.push(adminAt - t0);
      agents.push(agentsAt - t0);
      console.log(
        `run ${run}: leader ${old} killed → admin answered by the new leader in ${adminAt - t0} ms, all ${count} agents reconnected in ${agentsAt - t0} ms`,
      );
      await m.startMaster(old);
      await followerListed(material, m, old);
    }
    const p50 = (xs: number[]) =>
      pct(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const goal = Number.parseInt(leaseTtl, 10) * 1000 + 3000;
    console.log(
      `p50 of ${runs}: new leader answering admin calls ${p50(admin)} ms, all ${count} agents reconnected ` +
        `${p50(agents)} ms (goal ≤ lease TTL + 3 s = ${goal} ms)`,
    );
  } finally {
    await sim?.stop();
    await m.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}

export async function runFollowerReadsBench(): Promise<void> {
  const skip = skipReason();
  if (skip) return void console.log(`skipped: ${skip}`);
  const reads = Number(process.env.BENCH_READS ?? 100);
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-pki-'));
  await simAgentPki(pkiDir, []);
  const m = await BenchMasters.start(pkiDir, '5s');
  const material = adminMaterial(pkiDir);
  try {
    const probe = adminClient(material, m.addresses);
    const leader = await leaderIndex(probe, m);
    probe.close();
    const follower = (leader + 1) % 3;
    const L = m.address(leader);
    const F = m.address(follower);
    const time = async (fn: () => Promise<unknown>): Promise<number> => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const series = async (name: string, one: () => Promise<number>) => {
      for (let i = 0; i < 5; i++) await one(); // warm-up
      const xs: number[] = [];
      for (let i = 0; i < reads; i++) xs.push(await one());
      xs.sort((a, b) => a - b);
      console.log(
        `${name}: p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms (${reads} reads)`,
      );
    };
    // A new client per call, as each gov command: connection, TLS handshake, the call (and the redirect).
    const fresh = (masters: string[]) => async () => {
      const api = adminClient(material, masters);
      try {
        return await time(() => api.listInstances());
      } finally {
        api.close();
      }
    };
    await series(`ListInstances, new client, leader first (${L})`, fresh([L, F]));
    await series(`ListInstances, new client, follower first (${F} → redirected to ${L})`, fresh([F, L]));
    // Kept connections: what the masters themselves add.
    const atLeader = adminClient(material, [L]);
    const atFollower = adminClient(material, [F]);
    await series('ListMasters on a kept connection to the leader', () => time(() => atLeader.listMasters()));
    await series('ListMasters on a kept connection to a follower (answered there)', () =>
      time(() => atFollower.listMasters()),
    );
    atLeader.close();
    atFollower.close();
  } finally {
    await m.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
