/**
 * HA masters seen one by one, for the election tests: N `gov master --store etcd` child processes on one etcd (test/helpers/
 * etcd.ts) under a prefix of their own, each on 127.0.0.1:0 (the bound port is kept for its life), agents
 * dialing the list of every master, and per-master admin clients (one address each: no leader following, so
 * a test sees exactly what that master answers, refusals and their metadata included; test/helpers/
 * ha-cluster.ts is the users' view instead, through the leader-following client). Every PID is tracked and
 * killed by PID.
 *
 * ```ts
 * const etcd = useEtcd();                      // in the describe block
 * const ha = await HaMasters.start(etcd(), { masters: 3 });
 * const leader = await ha.waitLeader();        // index of the master that leads
 * ```
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createGrpcAdminApi, type AdminApi } from '../../master/cli/admin-client.js';
import type { ListMastersResponse__Output } from '../../proto/generated/governor/v1/ListMastersResponse.js';
import { loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import { Proc } from './cluster.js';
import { GOV_BIN, tempDir, waitFor } from './common.js';
import type { EtcdServer } from './etcd.js';
import { testPki, type PairName, type TestPki } from './pki.js';

export interface HaMastersOptions {
  masters?: number;
  /** `--lease-ttl` (default `2s`). */
  leaseTtl?: string;
  /** More `gov master` flags for every master. */
  masterArgs?: string[];
}

export class HaMasters {
  readonly dir: string;
  readonly prefix: string;
  readonly masters: Array<Proc | null> = [];
  /** Bound port of each master (kept for its life). */
  readonly ports: number[] = [];
  readonly agents = new Map<string, Proc>();
  private readonly admins = new Map<string, AdminApi>();
  private fileSeq = 0;

  private constructor(
    readonly etcd: EtcdServer,
    readonly pki: TestPki,
    readonly opts: HaMastersOptions,
  ) {
    this.dir = tempDir('gov-ha-');
    this.prefix = `/gov-test-${path.basename(this.dir)}/`;
  }

  static async start(etcd: EtcdServer, opts: HaMastersOptions = {}): Promise<HaMasters> {
    const c = new HaMasters(etcd, await testPki(), opts);
    try {
      await Promise.all(Array.from({ length: opts.masters ?? 3 }, (_, i) => c.startMaster(i)));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  address(i: number): string {
    return `127.0.0.1:${this.ports[i]}`;
  }

  /** Every master's address, comma-separated (for --master / GOV_MASTER). */
  get addressList(): string {
    return this.ports.map((_, i) => this.address(i)).join(',');
  }

  /** The `gov master` arguments of master `i` (id `m-i`). */
  masterArgs(i: number, extra: string[] = []): string[] {
    const p = this.pki.paths('master');
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
      '--listen',
      '127.0.0.1:0',
      '--http',
      'off',
      '--lease-ttl',
      this.opts.leaseTtl ?? '2s',
      '--ca',
      p.ca,
      '--cert',
      p.cert,
      '--key',
      p.key,
      '--heartbeat-interval',
      '200ms',
      '--heartbeat-grace',
      '1s',
      ...(this.opts.masterArgs ?? []),
      ...extra,
    ];
  }

  async startMaster(i: number): Promise<Proc> {
    // A restarted master listens on a new port: the admin clients of its old one go.
    for (const [key, api] of this.admins)
      if (key.startsWith(`${i}/`)) {
        api.close();
        this.admins.delete(key);
      }
    const proc = new Proc(
      `gov master m-${i}`,
      spawn(process.execPath, this.masterArgs(i), { cwd: this.dir, stdio: 'pipe' }),
    );
    this.masters[i] = proc;
    const port = await waitFor(
      () => {
        if (!proc.running) throw new Error(`gov master m-${i} exited:\n${proc.tail()}`);
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(proc.stdout);
        return m ? Number(m[1]) : null;
      },
      { timeoutMs: 20_000, what: `gov master m-${i} to listen` },
    );
    this.ports[i] = port;
    return proc;
  }

  master(i: number): Proc {
    const p = this.masters[i];
    if (!p) throw new Error(`no master ${i}`);
    return p;
  }

  /** An admin client bound to master `i` alone (it never follows a leader hint). */
  admin(i: number, pair: PairName = 'admin-admin', timeoutMs = 5000): AdminApi {
    const key = `${i}/${pair}`;
    let api = this.admins.get(key);
    if (!api) {
      const conn = clientConnection(this.address(i), this.pki.material(pair), { separateConnection: true });
      api = createGrpcAdminApi({
        target: conn.target,
        credentials: conn.credentials,
        channelOptions: conn.options,
        timeoutMs,
      });
      this.admins.set(key, api);
    }
    return api;
  }

  /** A raw unary Admin call to master `i`: the status and metadata exactly as they came over the wire. */
  rawCall(
    i: number,
    method: string,
    request: object = {},
    pair: PairName = 'admin-admin',
    deadlineMs = 5000,
  ): Promise<
    { ok: true; response: unknown } | { ok: false; code: number; details: string; leader: string | null }
  > {
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

  /** ListMasters as master `i` answers it. */
  listMasters(i: number): Promise<ListMastersResponse__Output> {
    return this.admin(i).listMasters();
  }

  /** Waits until the live masters agree on one leader (among `among`, default all live); its index. */
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
        const ok = await this.admin(index)
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
      { timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 50, what: 'one leader all masters agree on' },
    ).catch((err: unknown) => {
      const logs = live().map((i) => `--- m-${i}:\n${this.masters[i]?.tail(15) ?? ''}`);
      throw new Error(`${String(err)} (last: ${last})\n${logs.join('\n')}`);
    });
    return found.index;
  }

  /** Starts `gov agent --id ID --master <every master>`; waits until the leader `leader` lists it connected. */
  async startAgent(id: string, leader: number): Promise<Proc> {
    const dataDir = path.join(this.dir, 'agents', id);
    mkdirSync(dataDir, { recursive: true });
    const p = this.pki.paths(`agent-${id}`);
    const proc = new Proc(
      `gov agent ${id}`,
      spawn(
        process.execPath,
        [
          GOV_BIN,
          'agent',
          '--id',
          id,
          '--master',
          this.addressList,
          '--data-dir',
          dataDir,
          '--ca',
          p.ca,
          '--cert',
          p.cert,
          '--key',
          p.key,
        ],
        { cwd: this.dir, stdio: 'pipe', env: { ...process.env, GOV_LOG_FORMAT: 'json' } },
      ),
    );
    this.agents.set(id, proc);
    await this.waitAgentConnected(leader, id);
    return proc;
  }

  async waitAgentConnected(leader: number, id: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const { agents } = await this.admin(leader).listAgents();
        return agents.some((a) => a.id === id && a.connected);
      },
      { timeoutMs, intervalMs: 50, what: `agent ${id} connected to m-${leader}` },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nagent stderr:\n${this.agents.get(id)?.tail() ?? ''}`);
    });
  }

  writeFile(name: string, text: string): string {
    const f = path.join(this.dir, `${++this.fileSeq}-${name}`);
    writeFileSync(f, text);
    return f;
  }

  /** Kills every master and agent by PID (etcd is the caller's). */
  async stop(): Promise<void> {
    for (const a of this.admins.values()) a.close();
    this.admins.clear();
    for (const p of [...this.agents.values(), ...this.masters]) {
      if (!p) continue;
      try {
        process.kill(p.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
      await p.kill('SIGKILL').catch(() => {});
    }
  }
}
