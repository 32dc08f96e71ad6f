/**
 * A real HA Governor cluster for integration tests: one etcd (test/helpers/etcd.ts), N `gov master --store
 * etcd` child processes (id `m-i`) under a prefix of their own, on fixed 127.0.0.1 ports (each advertising
 * its own address, so a killed master can be started again where clients look for it), and `gov agent`
 * children given the whole address list. Two views of the admin side:
 * - `admin()`, `gov()`, `govJson()`, `waitInstances()`: what users see, through the CLI's leader-following
 *   client given the list (the shared parts of test/helpers/cluster.ts `GovCluster`);
 * - `adminOf(i)`, `rawCall(i, …)`, `listMasters(i)`: exactly what master `i` answers (no leader following),
 *   refusals and their metadata included.
 * Everything is cleaned up by PID (handler process groups too, once seen).
 *
 * ```ts
 * const etcd = useEtcd();                          // in the describe block (skips without etcd, CI unset)
 * const c = await HaCluster.start(etcd(), { agents: ['edge-1'] });
 * const leader = await c.waitLeader();             // index of the master all live masters follow
 * await c.killMaster(leader);                      // kill -9
 * await c.waitLeader({ not: leader });
 * ```
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createGrpcAdminApi, type AdminApi } from '../../master/cli/admin-client.js';
import type { ListMastersResponse__Output } from '../../proto/generated/governor/v1/ListMastersResponse.js';
import { loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import { GovCluster, Proc } from './cluster.js';
import { GOV_BIN, waitFor } from './common.js';
import { freePort, type EtcdServer } from './etcd.js';
import { testPki, type PairName, type TestPki } from './pki.js';

export interface HaClusterOptions {
  /** Masters (default 3). */
  masters?: number;
  /** Agents started once a leader is elected, and waited for (ids with a cert in the test PKI). */
  agents?: string[];
  /** `--lease-ttl` (default `2s`, etcd's minimum). */
  leaseTtl?: string;
  /**
   * `--heartbeat-interval` (default `500ms`) and `--heartbeat-grace` (default `5s`): lenient for a busy
   * test machine (several masters, agents and etcd on 2 cores).
   */
  heartbeatInterval?: string;
  heartbeatGrace?: string;
  /** More `gov master` flags for every master. */
  masterArgs?: string[];
}

/** A unary Admin call as it came over the wire. */
export type RawResult =
  { ok: true; response: unknown } | { ok: false; code: number; details: string; leader: string | null };

export class HaCluster extends GovCluster {
  readonly masters: Array<Proc | null>;
  /** Port of each master (fixed for the cluster's life: a restart binds the same one). */
  readonly ports: number[] = [];
  readonly prefix: string;
  private readonly admins = new Map<string, AdminApi>();

  private constructor(
    readonly etcd: EtcdServer,
    pki: TestPki,
    readonly opts: HaClusterOptions,
  ) {
    super(pki, 'gov-ha-', { govMs: 60_000, instancesMs: 30_000, intervalMs: 100 });
    this.masters = new Array<Proc | null>(opts.masters ?? 3).fill(null);
    // Several clusters may share the block's etcd: each its own prefix.
    this.prefix = `/gov-test-${path.basename(this.dir)}/`;
  }

  /** Ports, every master listening, and with `opts.agents`: a leader, then the agents connected to it. */
  static async start(etcd: EtcdServer, opts: HaClusterOptions = {}): Promise<HaCluster> {
    const c = new HaCluster(etcd, await testPki(), opts);
    try {
      for (let i = 0; i < c.masters.length; i++) c.ports.push(await freePort());
      await Promise.all(c.masters.map((_, i) => c.startMaster(i)));
      if (opts.agents?.length) {
        await c.waitLeader();
        await Promise.all(opts.agents.map((id) => c.startAgent(id)));
      }
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

  connectionArgs(pair: PairName = 'admin-admin'): string[] {
    return ['--master', this.list, ...this.pki.tlsArgs(pair)];
  }

  // ---- masters ----

  /** The `gov master` arguments of master `i` (id `m-i`). */
  masterArgs(i: number): string[] {
    return [
      GOV_BIN,
      'master',
      '--store',
      'etcd',
      '--etcd-endpoints',
      this.etcd.endpoint,
      '--etcd-prefix',
      this.prefix,
      '--master-id',
      `m-${i}`,
      '--lease-ttl',
      this.opts.leaseTtl ?? '2s',
      '--listen',
      this.address(i),
      '--advertise',
      this.address(i),
      '--data-dir',
      path.join(this.dir, `master-${i}`),
      ...this.pki.tlsArgs('master'),
      '--heartbeat-interval',
      this.opts.heartbeatInterval ?? '500ms',
      '--heartbeat-grace',
      this.opts.heartbeatGrace ?? '5s',
      '--http',
      'off',
      ...(this.opts.masterArgs ?? []),
    ];
  }

  /** Starts master `i` on its port and resolves once it listens. */
  async startMaster(i: number): Promise<Proc> {
    if (this.masters[i]?.running) throw new Error(`master m-${i} already running`);
    const proc = new Proc(
      `gov master m-${i}`,
      spawn(process.execPath, this.masterArgs(i), { cwd: this.dir, stdio: 'pipe' }),
    );
    this.masters[i] = proc;
    await waitFor(
      () => {
        if (!proc.running) throw new Error(`gov master m-${i} exited:\n${proc.tail()}`);
        return /listening on/.test(proc.stdout);
      },
      { timeoutMs: 20_000, what: `gov master m-${i} to listen` },
    );
    return proc;
  }

  master(i: number): Proc {
    const p = this.masters[i];
    if (!p) throw new Error(`no master ${i}`);
    return p;
  }

  /** Kills master `i` (default `kill -9`) and waits until it is gone. */
  async killMaster(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.masters[i]?.kill(signal);
  }

  /**
   * Waits until the live masters (among `among`, default all; never `not`) agree on one leader and it
   * answers an Admin read; its index.
   */
  async waitLeader(opts: { among?: number[]; not?: number; timeoutMs?: number } = {}): Promise<number> {
    const live = () =>
      (opts.among ?? this.masters.map((_, i) => i)).filter((i) => this.masters[i]?.running && i !== opts.not);
    let last = '';
    const found = await waitFor(
      async () => {
        const views = await Promise.all(
          live().map((i) =>
            this.listMasters(i).then(
              (r) => r.masters.find((m) => m.leader)?.id ?? null,
              (err: unknown) => {
                last = `m-${i}: ListMasters: ${String(err)}`;
                return null;
              },
            ),
          ),
        );
        const ids = new Set(views);
        if (ids.size !== 1 || views[0] === null || views[0] === undefined) return null;
        const index = Number(views[0].replace(/^m-/, ''));
        if (!live().includes(index)) return null;
        // The leader serves: an Admin read answers there.
        const ok = await this.adminOf(index)
          .listAgents()
          .then(
            () => true,
            (err: unknown) => {
              last = `m-${index}: ListAgents: ${String(err)}`;
              return false;
            },
          );
        return ok ? { index } : null; // (index 0 is falsy: waitFor needs an object)
      },
      {
        timeoutMs: opts.timeoutMs ?? 20_000,
        intervalMs: 50,
        what:
          opts.not === undefined ? 'one leader all masters agree on' : `a leader other than m-${opts.not}`,
      },
    ).catch((err: unknown) => {
      const logs = live().map((i) => `--- m-${i}:\n${this.masters[i]?.tail(15) ?? ''}`);
      throw new Error(`${String(err)} (last: ${last})\n${logs.join('\n')}`);
    });
    return found.index;
  }

  // ---- agents ----

  /**
   * Starts `gov agent --id ID --master LIST` (JSON logs) and waits until it is listed connected: by master
   * `on` alone when given, else through the leader-following client.
   */
  async startAgent(id: string, on?: number): Promise<Proc> {
    const dataDir = this.agentDataDir(id);
    mkdirSync(dataDir, { recursive: true });
    const args = [GOV_BIN, 'agent', '--id', id, '--master', this.list, '--data-dir', dataDir];
    args.push(...this.pki.tlsArgs(`agent-${id}`));
    const proc = new Proc(
      `gov agent ${id}`,
      spawn(process.execPath, args, {
        cwd: this.dir,
        stdio: 'pipe',
        env: { ...process.env, GOV_LOG_FORMAT: 'json' },
      }),
    );
    this.agents.set(id, proc);
    await this.waitAgentsConnected([id], { on });
    return proc;
  }

  /**
   * Waits until every agent of `ids` is listed connected: by master `on` alone when given, else through
   * the leader-following client.
   */
  async waitAgentsConnected(ids: string[], opts: { on?: number; timeoutMs?: number } = {}): Promise<void> {
    const admin = opts.on === undefined ? this.admin() : this.adminOf(opts.on);
    const by = opts.on === undefined ? 'the leader' : `m-${opts.on}`;
    await waitFor(
      async () => {
        const { agents } = await admin.listAgents();
        return ids.every((id) => agents.some((a) => a.id === id && a.connected));
      },
      {
        timeoutMs: opts.timeoutMs ?? 20_000,
        intervalMs: 50,
        what: `agents ${ids.join(', ')} connected to ${by}`,
      },
    ).catch((err: unknown) => {
      const tails = ids.map((id) => `agent ${id} stderr:\n${this.agents.get(id)?.tail() ?? ''}`);
      throw new Error(`${String(err)}\n${tails.join('\n')}`);
    });
  }

  // ---- the admin side ----

  /** The users' view: an in-process admin client over the whole list (the CLI's leader-following client). */
  admin(pair: PairName = 'admin-admin', timeoutMs = 20_000): AdminApi {
    return this.cachedAdmin(`list/${pair}`, () => {
      const material = this.pki.material(pair);
      const conn = clientConnection(this.address(0), material, { separateConnection: true });
      return createGrpcAdminApi({
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
    });
  }

  /** An admin client bound to master `i` alone (it never follows a leader hint). */
  adminOf(i: number, pair: PairName = 'admin-admin', timeoutMs = 5000): AdminApi {
    return this.cachedAdmin(`${i}/${pair}`, () => {
      const conn = clientConnection(this.address(i), this.pki.material(pair), { separateConnection: true });
      return createGrpcAdminApi({
        target: conn.target,
        credentials: conn.credentials,
        channelOptions: conn.options,
        timeoutMs,
      });
    });
  }

  private cachedAdmin(key: string, create: () => AdminApi): AdminApi {
    let api = this.admins.get(key);
    if (!api) {
      api = create();
      this.admins.set(key, api);
    }
    return api;
  }

  /** ListMasters as master `i` answers it. */
  listMasters(i: number): Promise<ListMastersResponse__Output> {
    return this.adminOf(i).listMasters();
  }

  /** A raw unary Admin call to master `i`: the status and metadata exactly as they came over the wire. */
  rawCall(
    i: number,
    method: string,
    request: object = {},
    pair: PairName = 'admin-admin',
    deadlineMs = 5000,
  ): Promise<RawResult> {
    const conn = clientConnection(this.address(i), this.pki.material(pair), { separateConnection: true });
    const Admin = loadProtos().admin.governor.v1.Admin;
    const client = new Admin(conn.target, conn.credentials, conn.options) as unknown as grpc.Client &
      Record<
        string,
        (
          req: object,
          opts: grpc.CallOptions,
          cb: (err: grpc.ServiceError | null, res: unknown) => void,
        ) => void
      >;
    return new Promise((resolve) => {
      const fn = client[method];
      if (!fn) throw new Error(`no Admin method ${method}`);
      fn.call(client, request, { deadline: Date.now() + deadlineMs }, (err, res) => {
        client.close();
        if (!err) return resolve({ ok: true, response: res });
        const leader = err.metadata?.get('governor-leader')[0];
        resolve({
          ok: false,
          code: err.code,
          details: err.details,
          leader: typeof leader === 'string' ? leader : null,
        });
      });
    });
  }

  /** Stops everything by PID: agents, masters (paused ones woken first), handler groups (etcd is the caller's). */
  async stop(): Promise<void> {
    for (const a of this.admins.values()) a.close();
    this.admins.clear();
    for (const p of [...this.agents.values(), ...this.masters]) {
      if (!p?.running) continue;
      try {
        process.kill(p.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    await Promise.all([...this.agents.values()].map((a) => a.kill('SIGKILL')));
    await Promise.all(this.masters.map((m) => m?.kill('SIGKILL')));
    await this.killGroups();
  }
}
