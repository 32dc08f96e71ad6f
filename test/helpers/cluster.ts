/**
 * A real Governor cluster for integration tests: a `gov master` child process and `gov agent` child
 * processes (the built binary, each agent with its own data dir), an in-process admin client, and a
 * runner for the `gov` CLI. Everything binds 127.0.0.1:0; every PID is tracked and cleaned up by PID
 * (handler process groups too, once seen); no fixed sleeps — waits poll with a deadline.
 *
 * ```ts
 * const c = await Cluster.start({ agents: ['edge-1', 'edge-2'] });
 * try {
 *   const file = c.writeHandlers([{ name: 'web', agents: ['edge-1', 'edge-2'], command: [process.execPath, fixture('ticker.mjs')] }]);
 *   await c.govJson(['apply', '-f', file]);
 *   const web = await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
 *   await c.killMaster(); await c.startMaster();            // same port, same data dir
 *   await c.waitAgentConnected('edge-1');
 * } finally {
 *   await c.stop();
 * }
 * ```
 * The master runs with a short heartbeat (`200ms`, grace `1s`) so disconnections show within a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createGrpcAdminApi, type AdminApi } from '../../master/cli/admin-client.js';
import { isAlive } from '../../shared/proc.js';
import { clientConnection } from '../../shared/tls.js';
import { GOV_BIN, fixture, tempDir, trackPid, waitFor } from './common.js';
import { testPki, type PairName, type TestPki } from './pki.js';

/** One instance as `gov ps --json` prints it (the fields tests use). */
export interface PsInstance {
  handler: string;
  agent: string;
  state: string;
  pid: number | null;
  pgid: number | null;
  restarts: number;
  stale: boolean;
  [key: string]: unknown;
}

/** One instance as the agent writes it to `<data-dir>/status.json` (independent of the master). */
export interface LocalInstance {
  handler: string;
  instance: string;
  state: string;
  pid: number | null;
  pgid: number | null;
  restarts: number;
  [key: string]: unknown;
}

export interface GovResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClusterOptions {
  /** Agents started (and waited for) by `Cluster.start` (default none). Ids must have a cert in the test PKI. */
  agents?: string[];
  /** Master `--heartbeat-interval` (default `200ms`) and `--heartbeat-grace` (default `1s`). */
  heartbeatInterval?: string;
  heartbeatGrace?: string;
  /** More `gov master` flags (e.g. `['--execution-log-size', '50']`). `--http off` unless given here. */
  masterArgs?: string[];
  /** More `gov agent` flags for every agent. */
  agentArgs?: string[];
  /** Node flags for the master and agent processes (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /**
   * Each agent leads a session of its own, as under systemd: its CPU share against its handlers is then its
   * own (agent/cpu-share.ts). Default: the test runner's session, which the agent leaves as it is.
   */
  agentsOwnSession?: boolean;
}

/** A child process with its output collected (for error messages). */
export class Proc {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private out = '';
  private err = '';

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    if (!child.pid) throw new Error(`${name}: spawn failed`);
    this.pid = child.pid;
    trackPid(child.pid);
    child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.err = (this.err + d.toString()).slice(-64_000)));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` (by PID) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await waitFor(() => !this.running || !isAlive(this.pid), { timeoutMs, what: `${this.name} to exit` });
    await this.exited;
  }

  /** Last lines of stderr, for assertion messages. */
  tail(lines = 30): string {
    return this.err.trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** How long the shared waits of a cluster wait by default (a busy HA cluster gets longer). */
export interface ClusterWaits {
  /** A `gov` CLI run. */
  govMs: number;
  /** `waitInstances`. */
  instancesMs: number;
  /** Poll interval of `waitInstances`. */
  intervalMs: number;
}

/**
 * What every test cluster shares, whatever its masters (one master: `Cluster`; N masters on etcd:
 * test/helpers/ha-cluster.ts): the temp dir, the agents' data dirs and local status, instances through the
 * admin API, the `gov` CLI runner, handler files and the handler process groups killed by PID at the end.
 */
export abstract class GovCluster {
  /** Root temp dir: master data dir(s), `agents/<id>/`, handler files. */
  readonly dir: string;
  readonly agents = new Map<string, Proc>();
  /** Handler process groups seen through this cluster; killed by `stop()`. */
  protected readonly groups = new Set<number>();
  protected fileSeq = 0;

  protected constructor(
    readonly pki: TestPki,
    dirPrefix: string,
    private readonly waits: ClusterWaits,
  ) {
    this.dir = tempDir(dirPrefix);
  }

  /** An in-process admin client (cached per pair) as users reach the cluster. */
  abstract admin(pair?: PairName): AdminApi;

  /** `--master --ca --cert --key` for a party of the test PKI (default the admin). */
  abstract connectionArgs(pair?: PairName): string[];

  agentDataDir(id: string): string {
    return path.join(this.dir, 'agents', id);
  }

  /** The agent's own view (`<data-dir>/status.json`): works while the master is down. */
  localStatus(id: string): LocalInstance[] {
    const file = path.join(this.agentDataDir(id), 'status.json');
    if (!existsSync(file)) return [];
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { instances: LocalInstance[] }).instances;
    } catch {
      return []; // being replaced
    }
  }

  /** Waits for the agent's local view of `handler` to satisfy `pred`; tracks its process group. */
  async waitLocal(
    id: string,
    handler: string,
    pred: (s: LocalInstance) => boolean,
    what = `${handler} on ${id} (local status)`,
    timeoutMs = 10_000,
  ): Promise<LocalInstance> {
    const s = await waitFor(
      () => this.localStatus(id).find((i) => i.handler === handler && pred(i)) ?? null,
      { timeoutMs, what },
    ).catch((err: unknown) => {
      const last = this.localStatus(id).filter((i) => i.handler === handler);
      throw new Error(`${String(err)}\nlast local status: ${JSON.stringify(last)}`);
    });
    this.trackGroup(s.pgid);
    return s;
  }

  /** `gov ps --json`-shaped instances through the admin API, optionally filtered. */
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

  /**
   * Waits until the master lists exactly `count` instances of `handler`, all matching `pred`; tracks
   * their process groups for cleanup.
   */
  async waitInstances(
    handler: string,
    count: number,
    pred: (i: PsInstance) => boolean,
    what = `${count} instance(s) of ${handler}`,
    timeoutMs = this.waits.instancesMs,
  ): Promise<PsInstance[]> {
    const list = await waitFor(
      async () => {
        const all = await this.instances(handler);
        return all.length === count && all.every(pred) ? all : null;
      },
      { timeoutMs, intervalMs: this.waits.intervalMs, what },
    ).catch(async (err: unknown) => {
      const last = await this.instances(handler).catch(() => 'master unreachable');
      throw new Error(`${String(err)}\nlast instances: ${JSON.stringify(last)}`);
    });
    for (const i of list) this.trackGroup(i.pgid);
    return list;
  }

  /**
   * Runs the built `gov` binary as an operator does (by its `#!` line, which gives node its flags) with the
   * admin connection flags (or `pair`'s); never rejects on exit != 0.
   */
  gov(args: string[], opts: { pair?: PairName; timeoutMs?: number; cwd?: string } = {}): Promise<GovResult> {
    const child = spawn(GOV_BIN, [...args, ...this.connectionArgs(opts.pair)], {
      cwd: opts.cwd ?? this.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timeoutMs = opts.timeoutMs ?? this.waits.govMs;
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

  /** Runs `gov ARGS --json`, expects exit 0 (unless `expectCode`), and parses the one JSON document. */
  async govJson<T = Record<string, unknown>>(
    args: string[],
    opts: { pair?: PairName; expectCode?: number } = {},
  ): Promise<T> {
    const r = await this.gov([...args, '--json'], opts);
    const expected = opts.expectCode ?? 0;
    if (r.code !== expected) {
      throw new Error(
        `gov ${args.join(' ')} --json exited ${r.code} (expected ${expected})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
      );
    }
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`gov ${args.join(' ')} --json did not print one JSON document:\n${r.stdout}`);
    }
  }

  /** Writes a handlers file (one flow-map per handler, JSON being valid YAML); returns its path. */
  writeHandlers(specs: Array<Record<string, unknown>>, name = `handlers-${++this.fileSeq}.yaml`): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, `handlers:\n${specs.map((s) => `  - ${JSON.stringify(s)}\n`).join('')}`);
    return file;
  }

  /** Records a handler process group for `stop()` (and the root hook). */
  trackGroup(pgid: number | null | undefined): void {
    if (!pgid) return;
    this.groups.add(pgid);
    trackPid(pgid, true);
  }

  /** Kills every handler process group seen (by PID) and waits until they are gone. */
  protected async killGroups(): Promise<void> {
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

export class Cluster extends GovCluster {
  /** `dir`: `master/` (data dir), `agents/<id>/`, handler files. */
  readonly masterDataDir: string;
  master: Proc | null = null;
  /** Bound gRPC port; kept across master restarts (a restart binds the same port). */
  port = 0;
  private admins = new Map<string, AdminApi>();

  private constructor(
    pki: TestPki,
    readonly opts: ClusterOptions,
  ) {
    super(pki, 'gov-cluster-', { govMs: 30_000, instancesMs: 15_000, intervalMs: 50 });
    this.masterDataDir = path.join(this.dir, 'master');
  }

  /** PKI (cached per run), a master on 127.0.0.1:0, and `opts.agents` connected. */
  static async start(opts: ClusterOptions = {}): Promise<Cluster> {
    const c = new Cluster(await testPki(), opts);
    try {
      await c.startMaster();
      await Promise.all((opts.agents ?? []).map((id) => c.startAgent(id)));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** `127.0.0.1:PORT` of the master. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** `--master --ca --cert --key` for a party of the test PKI (default the admin). */
  connectionArgs(pair: PairName = 'admin-admin'): string[] {
    return ['--master', this.address, ...this.pki.tlsArgs(pair)];
  }

  // ---- master ----

  /**
   * Starts `gov master` (on the port used before, if any, so agents find it again) and resolves once it
   * prints its address.
   */
  async startMaster(extraArgs: string[] = []): Promise<Proc> {
    if (this.master?.running) throw new Error('master already running');
    const args = [
      ...(this.opts.nodeArgs ?? []),
      GOV_BIN,
      'master',
      '--listen',
      `127.0.0.1:${this.port}`,
      '--data-dir',
      this.masterDataDir,
      ...this.pki.tlsArgs('master'),
      '--heartbeat-interval',
      this.opts.heartbeatInterval ?? '200ms',
      '--heartbeat-grace',
      this.opts.heartbeatGrace ?? '1s',
      ...(this.opts.masterArgs ?? []),
      ...extraArgs,
    ];
    if (!args.includes('--http')) args.push('--http', 'off');
    const proc = new Proc('gov master', spawn(process.execPath, args, { cwd: this.dir, stdio: 'pipe' }));
    this.master = proc;
    const port = await waitFor(
      () => {
        if (!proc.running) throw new Error(`gov master exited:\n${proc.tail()}`);
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(proc.stdout);
        return m ? Number(m[1]) : null;
      },
      { timeoutMs: 15_000, what: 'gov master to listen' },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${proc.tail()}`);
    });
    this.port = port;
    return proc;
  }

  /** Kills the master (default `kill -9`) and waits for it to be gone. Admin clients are dropped. */
  async killMaster(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.closeAdmins();
    await this.master?.kill(signal);
  }

  // ---- agents ----

  /**
   * Starts `gov agent --id ID` (cert `agent-ID` of the test PKI, data dir `agents/ID`) and, unless
   * `waitConnected: false`, waits until the master lists it as connected.
   */
  async startAgent(
    id: string,
    opts: { labels?: Record<string, string>; args?: string[]; waitConnected?: boolean } = {},
  ): Promise<Proc> {
    if (this.agents.get(id)?.running) throw new Error(`agent ${id} already running`);
    const dataDir = this.agentDataDir(id);
    mkdirSync(dataDir, { recursive: true });
    const args = [
      ...(this.opts.nodeArgs ?? []),
      GOV_BIN,
      'agent',
      '--id',
      id,
      '--master',
      this.address,
      '--data-dir',
      dataDir,
      ...this.pki.tlsArgs(`agent-${id}`),
      ...(opts.labels
        ? [
            '--labels',
            Object.entries(opts.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          ]
        : []),
      ...(this.opts.agentArgs ?? []),
      ...(opts.args ?? []),
    ];
    const proc = new Proc(
      `gov agent ${id}`,
      spawn(process.execPath, args, {
        cwd: this.dir,
        stdio: 'pipe',
        detached: this.opts.agentsOwnSession === true,
      }),
    );
    this.agents.set(id, proc);
    if (opts.waitConnected !== false) {
      await this.waitAgentConnected(id, true, 15_000).catch((err: unknown) => {
        throw new Error(`${String(err)}\nagent ${id} stderr:\n${proc.tail()}`);
      });
    }
    return proc;
  }

  /** Kills an agent process (default `kill -9`); its handlers keep running. */
  async killAgent(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.agents.get(id)?.kill(signal);
  }

  /** Waits until `gov agents` (through the admin API) shows the agent (dis)connected. */
  async waitAgentConnected(id: string, connected = true, timeoutMs = 10_000): Promise<void> {
    await waitFor(
      async () => {
        const { agents } = await this.admin().listAgents();
        return agents.some((a) => a.id === id && a.connected === connected);
      },
      { timeoutMs, intervalMs: 50, what: `agent ${id} ${connected ? 'connected' : 'disconnected'}` },
    );
  }

  // ---- the admin side ----

  /**
   * An in-process admin client (cached per pair) for the current master. `killMaster` drops them, so a
   * restarted master gets fresh channels (no stale reconnect backoff).
   */
  admin(pair: PairName = 'admin-admin', timeoutMs = 10_000): AdminApi {
    let api = this.admins.get(pair);
    if (!api) {
      const conn = clientConnection(this.address, this.pki.material(pair), { separateConnection: true });
      api = createGrpcAdminApi({
        target: conn.target,
        credentials: conn.credentials,
        channelOptions: conn.options,
        timeoutMs,
      });
      this.admins.set(pair, api);
    }
    return api;
  }

  private closeAdmins(): void {
    for (const a of this.admins.values()) a.close();
    this.admins.clear();
  }

  /**
   * Applies handler `web` running test/fixtures/ticker.mjs (always-on, one instance per agent) on `agents`
   * and waits until every instance runs; returns them.
   */
  async startTicker(agents: string[]): Promise<PsInstance[]> {
    const file = this.writeHandlers([
      { name: 'web', agents, command: [process.execPath, fixture('ticker.mjs')], start_seconds: 0 },
    ]);
    await this.govJson(['apply', '-f', file]);
    return this.waitInstances('web', agents.length, (i) => i.state === 'running' && !!i.pid);
  }

  /**
   * Current spec versions of the handlers in `yaml`, read by applying the same text again — a no-op when
   * the master holds exactly these specs (no new version, no execution). Throws if anything changed.
   */
  async specVersions(yaml: string): Promise<Record<string, number>> {
    const res = await this.admin().apply(yaml, 'probe.yaml');
    const changed = res.handlers.filter((h) => h.change !== 'unchanged');
    if (changed.length > 0 || res.executions.length > 0)
      throw new Error(`specVersions: the master did not hold these specs: ${JSON.stringify(res.handlers)}`);
    return Object.fromEntries(res.handlers.map((h) => [h.name, h.version]));
  }

  /**
   * Stops everything this cluster started, by PID: agents, master, and every handler process group it saw
   * (through waits or the agents' status files).
   */
  async stop(): Promise<void> {
    this.closeAdmins();
    await Promise.all([...this.agents.values()].map((a) => a.kill('SIGKILL')));
    await this.master?.kill('SIGKILL');
    await this.killGroups();
  }
}
