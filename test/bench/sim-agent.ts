/**
 * The load tool: N simulated agents in one process, each a real `MasterLink` with its own mTLS connection
 * (`separateConnection`) and its own certificate, backed by an in-memory `LinkHost` (no processes).
 *
 *   node dist/test/bench/sim-agent.js --master 127.0.0.1:7070 --pki DIR --count 500 [--prefix sim-] [--instances 2]
 *
 * prints one JSON line `{"ready":true,"connected":N,"ms":…}` once every link is connected (or
 * `{"error":…}` and exits 1), then runs until SIGTERM/SIGINT or until its stdin closes.
 */
import { constants, generateKeyPair, privateEncrypt, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify, parseArgs } from 'node:util';
import forge from 'node-forge';
import type { AgentCommand__Output } from '../../proto/generated/governor/v1/AgentCommand.js';
import type { CommandResult } from '../../proto/generated/governor/v1/CommandResult.js';
import type { InstanceStatus } from '../../proto/generated/governor/v1/InstanceStatus.js';
import type { MetricsReport } from '../../proto/generated/governor/v1/MetricsReport.js';
import { MasterLink, type LinkHost } from '../../agent/link/master-link.js';
import { silentLogger } from '../../shared/logger.js';
import { caPaths, clientPaths, initPki } from '../../shared/pki.js';
import { clientConnection, loadTlsMaterial } from '../../shared/tls.js';

/** Simulated agent ids: `sim-000`, `sim-001`, … */
export function simAgentIds(count: number, prefix = 'sim-'): string[] {
  const width = String(Math.max(0, count - 1)).length;
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(width, '0')}`);
}

// --- PKI ------------------------------------------------------------------------------------------

/** DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256; the 32-byte hash follows. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * A dev PKI (`initPki`: CA, master, admin) plus one `OU=agent` certificate per simulated agent. The agent
 * certificates share one key pair and are signed through node:crypto rather than forge's JavaScript RSA:
 * 500 agents take about a second instead of a minute of key generation. Each agent still presents its
 * own certificate (CN = its id) in its own TLS handshake, which is what the master pays for.
 */
export async function simAgentPki(dir: string, agentIds: string[]): Promise<void> {
  await initPki({ dir, admins: ['admin'] });
  const ca = caPaths(dir);
  const caCert = forge.pki.certificateFromPem(readFileSync(ca.cert, 'utf8'));
  const caKey = readFileSync(ca.key);
  const signer = {
    sign: (md: forge.md.MessageDigest): string =>
      privateEncrypt(
        { key: caKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')]),
      ).toString('binary'),
  } as unknown as forge.pki.rsa.PrivateKey;
  const pair = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const publicKey = forge.pki.publicKeyFromPem(pair.publicKey);
  const now = Date.now();
  for (const id of agentIds) {
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKey;
    const serial = randomBytes(16);
    // Positive and minimal: a leading 0x00 byte is DER's "illegal padding" (one certificate in 256 failed to parse).
    serial[0] = (serial[0] ?? 0) & 0x7f || 0x01;
    cert.serialNumber = serial.toString('hex');
    cert.validity.notBefore = new Date(now - 5 * 60_000);
    cert.validity.notAfter = new Date(now + 7 * 86_400_000);
    cert.setSubject([
      { name: 'commonName', value: id },
      { name: 'organizationName', value: 'Governor' },
      { name: 'organizationalUnitName', value: 'agent' },
    ]);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ]);
    cert.sign(signer, forge.md.sha256.create());
    const p = clientPaths(dir, 'agent', id);
    writeFileSync(p.key, pair.privateKey, { mode: 0o600 });
    writeFileSync(p.cert, forge.pki.certificateToPem(cert));
  }
}

// --- the simulated agent ----------------------------------------------------------------------------

/** An agent with `instances` fake always-on instances, answering every command from memory. */
export class SimAgentHost implements LinkHost {
  private readonly statuses: InstanceStatus[];

  constructor(
    readonly agentId: string,
    instances = 2,
  ) {
    this.statuses = Array.from({ length: instances }, (_, i) => ({
      handler: `web-${i}`,
      state: 'running',
      pid: 10_000 + i,
      pgid: 10_000 + i,
      restarts: 0,
      mode: 'always-on',
      started_at: new Date().toISOString(),
      spec_hash: 'sim',
      health: 'none',
      index: 0,
      instance: `web-${i}`,
    }));
  }

  inventory(): ReturnType<LinkHost['inventory']> {
    return {
      hostname: `${this.agentId}.sim`,
      version: 'sim',
      labels: { sim: 'true' },
      instances: this.statuses,
      specs_hash: '',
    };
  }

  execute(cmd: AgentCommand__Output): Promise<Omit<CommandResult, 'command_id' | 'ok'>> {
    switch (cmd.kind) {
      case 'METRICS':
        return this.metrics().then((metrics) => ({ metrics }));
      case 'APPLY':
        return Promise.resolve({ summary: 'applied (simulated)' });
      default:
        return Promise.resolve({
          instances: this.statuses.filter((s) => !cmd.handler || s.handler === cmd.handler),
          summary: 'ok',
        });
    }
  }

  metrics(): Promise<MetricsReport> {
    return Promise.resolve({
      instances: this.statuses.map((s) => ({
        handler: s.handler,
        pid: s.pid,
        cpu_percent: 0.5,
        memory_bytes: 30 * 1024 * 1024,
        cpu_seconds: 12.5,
        uptime_ms: 60_000,
        restarts: 0,
        state: 'running',
        mode: 'always-on',
        index: 0,
        instance: s.instance,
      })),
      host: { load1: 0.1, load5: 0.1, load15: 0.1, mem_total_bytes: 8e9, mem_free_bytes: 4e9, cpus: 2 },
    });
  }
}

export interface SimFleetOptions {
  /** `HOST:PORT`, or the masters of an HA cluster comma-separated (each link follows the leader). */
  master: string;
  pkiDir: string;
  agentIds: string[];
  /** Fake instances per agent (handlers `web-0`, `web-1`, …). Default 2. */
  instances?: number;
  /** Links dialling at once (TLS handshakes in flight). Default 50. */
  concurrency?: number;
  /** Give up when a link is not connected after this long. Default 30 s. */
  connectTimeoutMs?: number;
}

/** Starts one link per agent id, `concurrency` at a time; resolves when all are connected. */
export async function startSimFleet(opts: SimFleetOptions): Promise<MasterLink[]> {
  const links: MasterLink[] = [];
  const concurrency = opts.concurrency ?? 50;
  const timeoutMs = opts.connectTimeoutMs ?? 30_000;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.agentIds.length) {
      const id = opts.agentIds[next++]!;
      const p = clientPaths(opts.pkiDir, 'agent', id);
      const tls = loadTlsMaterial({
        caPath: caPaths(opts.pkiDir).cert,
        certPath: p.cert,
        keyPath: p.key,
        cwd: process.cwd(),
      });
      const masters = opts.master.split(',');
      const c = clientConnection(masters[0]!, tls, { separateConnection: true });
      const link = new MasterLink(new SimAgentHost(id, opts.instances), {
        agentId: id,
        address: c.target,
        credentials: c.credentials,
        channelOptions: c.options,
        masters,
        channelFor: (address) => {
          const m = clientConnection(address, tls, { separateConnection: true });
          return { credentials: m.credentials, options: m.options };
        },
        logger: silentLogger,
      });
      links.push(link);
      link.start();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        link.whenConnected(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${id}: not connected within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } catch (err) {
    for (const l of links) l.close();
    throw err;
  }
  return links;
}

/** A load-tool child process, as started by `spawnSimAgents`. */
export interface SimAgentsProcess {
  child: ChildProcess;
  connected: number;
  /** Time the load tool took to connect every link, ms. */
  connectMs: number;
  /** Stops the load tool (closes every link) and waits for it to exit. */
  stop(): Promise<void>;
  /** Its later output lines: `{"connected":N,"at":epoch ms}` whenever the number of connected links changes. */
  lines: import('node:readline').Interface;
}

/** Runs the load tool in its own process (so its memory and CPU are not the master's) and waits for `ready`. */
export async function spawnSimAgents(opts: {
  master: string;
  pkiDir: string;
  count: number;
  prefix?: string;
  /** Fake instances per agent (default 2). */
  instances?: number;
  readyTimeoutMs?: number;
  /** Each agent pushes a status change every this many ms (see startStatusPushes; 0: never). */
  pushEveryMs?: number;
}): Promise<SimAgentsProcess> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [
      script,
      '--master',
      opts.master,
      '--pki',
      opts.pkiDir,
      '--count',
      String(opts.count),
      '--prefix',
      opts.prefix ?? 'sim-',
      '--push-every',
      String(opts.pushEveryMs ?? 0),
      '--instances',
      String(opts.instances ?? 2),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const lines = createInterface({ input: child.stdout! });
  const timeoutMs = opts.readyTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = await Promise.race([
      new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) =>
          reject(new Error(`load tool exited (code ${code}) before it was ready`)),
        );
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`load tool not ready within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const msg = JSON.parse(first) as { ready?: boolean; connected?: number; ms?: number; error?: string };
    if (!msg.ready) throw new Error(`load tool failed: ${msg.error ?? first}`);
    return { child, connected: msg.connected ?? 0, connectMs: msg.ms ?? 0, stop, lines };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every `everyMs`, each link (`links[i]` is agent `ids[i]`) pushes its first instance's status with
 * `notify_status: pushed <epoch ms>`; the agents' pushes are spread over the interval.
 */
function startStatusPushes(links: MasterLink[], ids: string[], everyMs: number): void {
  links.forEach((link, i) => {
    const status = new SimAgentHost(ids[i]!).inventory().instances?.[0] ?? {};
    setTimeout(
      () =>
        setInterval(() => {
          const at = performance.timeOrigin + performance.now();
          link.push({ status: { ...status, notify_status: `pushed ${at.toFixed(3)}` } });
        }, everyMs),
      (everyMs * i) / links.length,
    );
  });
}

// --- entry point ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      master: { type: 'string' },
      pki: { type: 'string' },
      count: { type: 'string', default: '500' },
      prefix: { type: 'string', default: 'sim-' },
      concurrency: { type: 'string', default: '50' },
      // Each agent pushes a status change of its first instance every this many ms (0: never), its
      // notify_status `pushed <epoch ms>` (the watch benchmark measures delivery from it).
      'push-every': { type: 'string', default: '0' },
      instances: { type: 'string', default: '2' },
    },
  });
  if (!values.master || !values.pki) {
    console.error(
      'usage: sim-agent --master ADDR --pki DIR [--count N] [--prefix P] [--concurrency C] [--instances I]',
    );
    process.exit(2);
  }
  const t0 = performance.now();
  let links: MasterLink[] = [];
  try {
    links = await startSimFleet({
      master: values.master,
      pkiDir: values.pki,
      agentIds: simAgentIds(Number(values.count), values.prefix),
      concurrency: Number(values.concurrency),
      instances: Number(values.instances),
    });
  } catch (err) {
    console.log(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
    process.exit(1);
  }
  console.log(
    JSON.stringify({
      ready: true,
      connected: links.length,
      ms: Math.round(performance.now() - t0),
      rss: process.memoryUsage.rss(),
    }),
  );
  // How many links are connected, whenever that changes (sampled every 20 ms): failover benchmarks time
  // the fleet's reconnection from it.
  let lastConnected = links.length;
  setInterval(() => {
    const n = links.filter((l) => l.state === 'connected').length;
    if (n === lastConnected) return;
    lastConnected = n;
    console.log(JSON.stringify({ connected: n, at: Date.now() }));
  }, 20);
  const pushEvery = Number(values['push-every']);
  if (pushEvery > 0) startStatusPushes(links, simAgentIds(Number(values.count), values.prefix), pushEvery);
  const stop = (): void => {
    for (const l of links) l.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
