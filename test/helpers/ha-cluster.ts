/**
 * A real HA Governor cluster for integration tests: one etcd (test/helpers/etcd.ts), N `gov master --store
 * etcd` child processes on fixed 127.0.0.1 ports (each advertising its own address, so a killed master can
 * be started again where clients look for it) and `gov agent` children given the whole address list. Admin
 * calls go through the CLI's own leader-following client (the list), so tests see what users see.
 * Everything is cleaned up by PID (handler process groups too, once seen).
 *
 * ```ts
 * const etcd = useEtcd();                         // in the describe block (skips without etcd, CI unset)
 * const c = await HaCluster.start(etcd(), { agents: ['edge-1'] });
 * const leader = await c.leader();                 // index of the leading master
 * await c.killMaster(leader);                      // kill -9
 * ```
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createGrpcAdminApi, type AdminApi } from '../../master/cli/admin-client.js';
import { isAlive } from '../../shared/proc.js';
import { clientConnection } from '../../shared/tls.js';
import { Proc, type GovResult, type LocalInstance, type PsInstance } from './cluster.js';
import { GOV_BIN, tempDir, trackPid, waitFor } from './common.js';
import { freePort, type EtcdServer } from './etcd.js';
import { testPki, type PairName, type TestPki } from './pki.js';

export interface HaClusterOptions {
  /** Masters (default 3). */
  masters?: number;
  /** Agents started and waited for (ids with a cert in the test PKI). */
  agents?: string[];
  /** `--lease-ttl` (default `2s`, etcd's minimum). */
  leaseTtl?: string;
  /** More `gov master` flags for every master. */
  masterArgs?: string[];
}

export class HaCluster {
  readonly dir: string;
  readonly masters: Array<Proc | null>;
  readonly ports: number[] = [];
  readonly agents = new Map<string, Proc>();
  private readonly prefix: string;
  private admins = new Map<string, AdminApi>();
  private readonly groups = new Set<number>();
  private fileSeq = 0;

  private constructor(
    readonly etcd: EtcdServer,
    readonly pki: TestPki,
    readonly opts: HaClusterOptions,
  ) {
    this.dir = tempDir('gov-ha-');
    this.masters = new Array<Proc | null>(opts.masters ?? 3).fill(null);
    // Several clusters may share the block's etcd: each its own prefix.
    this.prefix = `/gov-test-${path.basename(this.dir)}/`;
  }

  static async start(etcd: EtcdServer, opts: HaClusterOptions = {}): Promise<HaCluster> {
    const c = new HaCluster(etcd, await testPki(), opts);
    try {
      for (let i = 0; i < c.masters.length; i++) c.ports.push(await freePort());
      await Promise.all(c.masters.map((_, i) => c.startMaster(i)));
      await c.leader();
      await Promise.all((opts.agents ?? []).map((id) => c.startAgent(id)));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  address(i: number): string {
    return `127.0.0.1:${this.ports[i]}`;
  }

  /** Every master's address, comma-separated: what `--master` / GOV_MASTER get. */
  get list(): string {
    return this.ports.map((_, i) => this.address(i)).join(',');
  }

  /** Starts master `i` on its port and resolves once it listens. */
  async startMaster(i: number): Promise<Proc> {
    if (this.masters[i]?.running) throw new Error(`master ${i} already running`);
    const p = this.pki.paths('master');
    const dataDir = path.join(this.dir, `master-${i}`);
    const args = [
      GOV_BIN,
      'master',
      '--store',
      'etcd',
      '--etcd-endpoints',
      this.etcd.endpoint,
      '--etcd-prefix',
      this.prefix,
      '--lease-ttl',
      this.opts.leaseTtl ?? '2s',
      '--listen',
      this.address(i),
      '--advertise',
      this.address(i),
      '--data-dir',
      dataDir,
      '--ca',
      p.ca,
      '--cert',
      p.cert,
      '--key',
      p.key,
      // Lenient for a busy test machine (HA tests run several masters, agents and etcd on 2 cores).
      '--heartbeat-interval',
      '500ms',
      '--heartbeat-grace',
      '5s',
      '--http',
      'off',
      ...(this.opts.masterArgs ?? []),
    ];
    const proc = new Proc(`gov master ${i}`, spawn(process.execPath, args, { cwd: this.dir, stdio: 'pipe' }));
    this.masters[i] = proc;
    await waitFor(
      () => {
        if (!proc.running) throw new Error(`gov master ${i} exited:\n${proc.tail()}`);
        return /listening on/.test(proc.stdout);
      },
      { timeoutMs: 20_000, what: `gov master ${i} to listen` },
    );
    return proc;
  }

  /** Kills master `i` (default `kill -9`) and waits until it is gone. */
  async killMaster(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.masters[i]?.kill(signal);
  }

  /**
   * Index of the leading master (waits until a running master says it leads, as `gov masters` shows it);
   * `not`: wait for a leader other than that index (after it was killed).
   */
  async leader(not?: number, timeoutMs = 20_000): Promise<number> {
    return waitFor(
      async () => {
        const res = await this.admin().listMasters();
        const lead = res.masters.find((m) => m.leader);
        const i = lead ? this.ports.findIndex((_, k) => this.address(k) === lead.address) : -1;
        return i >= 0 && i !== not && this.masters[i]?.running ? i + 1 : 0;
      },
      {
        timeoutMs,
        intervalMs: 100,
        what: not === undefined ? 'a leader' : `a leader other than master ${not}`,
      },
    ).then((n) => n - 1);
  }

  agentDataDir(id: string): string {
    return path.join(this.dir, 'agents', id);
  }

  /** Starts `gov agent --id ID --master LIST` and waits until the leader lists it connected. */
  async startAgent(id: string): Promise<Proc> {
    const dataDir = this.agentDataDir(id);
    mkdirSync(dataDir, { recursive: true });
    const p = this.pki.paths(`agent-${id}`);
    const args = [GOV_BIN, 'agent', '--id', id, '--master', this.list, '--data-dir', dataDir];
    args.push('--ca', p.ca, '--cert', p.cert, '--key', p.key);
    const proc = new Proc(`gov agent ${id}`, spawn(process.execPath, args, { cwd: this.dir, stdio: 'pipe' }));
    this.agents.set(id, proc);
    await this.waitAgentsConnected([id]).catch((err: unknown) => {
      throw new Error(`${String(err)}\nagent ${id} stderr:\n${proc.tail()}`);
    });
    return proc;
  }

  /** Waits until the leader lists every agent of `ids` as connected. */
  async waitAgentsConnected(ids: string[], timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const { agents } = await this.admin().listAgents();
        return ids.every((id) => agents.some((a) => a.id === id && a.connected));
      },
      { timeoutMs, intervalMs: 100, what: `agents ${ids.join(', ')} connected to the leader` },
    );
  }

  /** An in-process admin client over the whole list (the CLI's leader-following client). */
  admin(pair: PairName = 'admin-admin', timeoutMs = 20_000): AdminApi {
    let api = this.admins.get(pair);
    if (!api) {
      const material = this.pki.material(pair);
      const conn = clientConnection(this.address(0), material, { separateConnection: true });
      api = createGrpcAdminApi({
        target: conn.target,
        credentials: conn.credentials,
        channelOptions: conn.options,
        timeoutMs,
        masters: this.ports.map((_, i) => this.address(i)),
        channelFor: (address) => {
          const c = clientConnection(address, material, { separateConnection: true });
          return { target: c.target, credentials: c.credentials, options: c.options };
        },
      });
      this.admins.set(pair, api);
    }
    return api;
  }

  /** `gov ps --json`-shaped instances of `handler` (through the leader). */
  async instances(handler?: string): Promise<PsInstance[]> {
    const res = await this.admin().listInstances(handler ? { handler } : {});
    return res.instances.map((i) => ({
      ...i.status,
      handler: i.status?.handler ?? '',
      agent: i.agent,
      state: i.status?.state ?? 'unknown',
      pid: i.status?.pid || null,
      pgid: i.status?.pgid || null,
      restarts: i.status?.restarts ?? 0,
      stale: i.stale,
    }));
  }

  /** Waits until exactly `count` instances of `handler` match `pred`; tracks their process groups. */
  async waitInstances(
    handler: string,
    count: number,
    pred: (i: PsInstance) => boolean,
    timeoutMs = 30_000,
  ): Promise<PsInstance[]> {
    const list = await waitFor(
      async () => {
        const all = await this.instances(handler);
        return all.length === count && all.every(pred) ? all : null;
      },
      { timeoutMs, intervalMs: 100, what: `${count} instance(s) of ${handler}` },
    );
    for (const i of list) this.trackGroup(i.pgid);
    return list;
  }

  /** Runs the built `gov` binary with `--master LIST` and the admin pair; never rejects on exit != 0. */
  gov(args: string[], timeoutMs = 60_000): Promise<GovResult> {
    const p = this.pki.paths('admin-admin');
    const child = spawn(
      process.execPath,
      [GOV_BIN, ...args, '--master', this.list, '--ca', p.ca, '--cert', p.cert, '--key', p.key],
      {
        cwd: this.dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`gov ${args.join(' ')} took more than ${timeoutMs} ms\n${stderr}`));
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  /** `gov ARGS --json`, exit 0 expected, the one document parsed. */
  async govJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
    const r = await this.gov([...args, '--json']);
    if (r.code !== 0) throw new Error(`gov ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Writes a handlers file; returns its path. */
  writeHandlers(specs: Array<Record<string, unknown>>): string {
    const file = path.join(this.dir, `handlers-${++this.fileSeq}.yaml`);
    writeFileSync(file, `handlers:\n${specs.map((s) => `  - ${JSON.stringify(s)}\n`).join('')}`);
    return file;
  }

  trackGroup(pgid: number | null | undefined): void {
    if (!pgid) return;
    this.groups.add(pgid);
    trackPid(pgid, true);
  }

  private localStatus(id: string): LocalInstance[] {
    const file = path.join(this.agentDataDir(id), 'status.json');
    if (!existsSync(file)) return [];
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { instances: LocalInstance[] }).instances;
    } catch {
      return [];
    }
  }

  /** Stops everything by PID: agents, masters, handler groups (etcd belongs to the caller). */
  async stop(): Promise<void> {
    for (const a of this.admins.values()) a.close();
    this.admins.clear();
    await Promise.all([...this.agents.values()].map((a) => a.kill('SIGKILL')));
    await Promise.all(this.masters.map((m) => m?.kill('SIGKILL')));
    for (const id of this.agents.keys()) for (const s of this.localStatus(id)) this.trackGroup(s.pgid);
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    const groups = [...this.groups];
    await waitFor(() => groups.every((g) => !isAlive(g)), {
      timeoutMs: 5000,
      what: 'handler groups to exit',
    });
  }
}
