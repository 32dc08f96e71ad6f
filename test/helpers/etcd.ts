/**
 * A real etcd for tests (Debian's etcd-server): one member on random free 127.0.0.1 ports with a temp data
 * dir, waited on until healthy, stopped by its PID. `pause()`/`resume()` (SIGSTOP/SIGCONT) and `kill()`
 * (SIGKILL) let HA tests lose etcd; `start()` again brings it back on the same ports and data.
 *
 * Without the binary, `useEtcd()` skips its block, printing why — but only when `CI` is unset: in CI a
 * missing etcd fails (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { etcdMemberArgs, findEtcd } from '../../master/cli/etcd-member.js';
import { freePort } from '../agent/health-helpers.js';

export { freePort };
import { tempDir, trackPid, waitFor } from './common.js';

export interface EtcdServer {
  /** `http://127.0.0.1:PORT` (the client URL). */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** PID of the running etcd (0 when stopped). */
  readonly pid: number;
  /** SIGSTOP / SIGCONT (resolve once it is stopped / running): etcd stops answering but keeps its ports. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** SIGKILL, waits until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s), waits until it is gone. Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data dir (after kill/stop); waits until healthy. */
  start(): Promise<void>;
}

/** The etcd binary on PATH, or null (found as `gov dev --ha` finds it). */
export function etcdBinary(): string | null {
  return findEtcd(process.env.PATH ?? '');
}

/** Why etcd tests cannot run here (the binary is missing and CI is unset), or null when they must run. */
export function etcdSkipReason(): string | null {
  if (etcdBinary()) return null;
  if (process.env.CI) return null; // in CI a missing etcd is a failure, not a skip
  return 'etcd is not installed (apt-get install etcd-server); CI is unset';
}

/** The state letter of a process (`T` when stopped), '' when gone. */
function procState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

/** PEM files for etcd's client URL over mTLS: its server pair and the CA its clients' certificates come from. */
export interface EtcdTls {
  cert: string;
  key: string;
  ca: string;
}

class EtcdProcess implements EtcdServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';
  constructor(
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
    private readonly tls?: EtcdTls & { client: { cert: string; key: string } },
  ) {}

  get endpoint(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
  }

  /** etcd's /health: `{"health":"true"}` once it serves (over mTLS with the client pair when TLS is on). */
  private healthy(): Promise<boolean> {
    const tls = this.tls;
    if (!tls)
      return fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(2000) }).then(
        async (res) => res.ok && ((await res.json()) as { health?: string }).health === 'true',
      );
    return new Promise((resolve, reject) => {
      const req = https.get(
        `${this.endpoint}/health`,
        {
          ca: readFileSync(tls.ca),
          cert: readFileSync(tls.client.cert),
          key: readFileSync(tls.client.key),
          timeout: 2000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer')));
      req.on('error', reject);
    });
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const bin = etcdBinary();
    if (!bin) throw new Error('etcd is not installed (apt-get install etcd-server)');
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      bin,
      [
        ...etcdMemberArgs({
          name: 'gov-test',
          dataDir: this.dataDir,
          clientUrl: this.endpoint,
          peerUrl: peer,
        }),
        '--logger',
        'zap',
        '--log-level',
        'error',
        ...(this.tls
          ? [
              '--cert-file',
              this.tls.cert,
              '--key-file',
              this.tls.key,
              '--trusted-ca-file',
              this.tls.ca,
              '--client-cert-auth',
            ]
          : []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    trackPid(child.pid);
    this.child = child;
    this.stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    let gone = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        gone = true;
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    try {
      await waitFor(
        async () => {
          if (gone) throw new Error(`etcd exited at start: ${this.stderr.trim() || '(no output)'}`);
          return this.healthy();
        },
        { timeoutMs: 30_000, intervalMs: 50, what: `etcd on ${this.endpoint} to be healthy` },
      );
      if (gone) throw new Error(`etcd exited at start: ${this.stderr.trim() || '(no output)'}`);
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  async pause(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    process.kill(pid, 'SIGSTOP');
    await waitFor(() => procState(pid) === 'T', { intervalMs: 10, what: `etcd ${pid} to stop` });
  }

  async resume(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    process.kill(pid, 'SIGCONT');
    await waitFor(() => procState(pid) !== 'T', { intervalMs: 10, what: `etcd ${pid} to continue` });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    process.kill(child.pid, 'SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const pid = child.pid;
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGTERM');
    const t = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await this.exited;
    clearTimeout(t);
  }
}

/**
 * Starts one etcd member on free ports (tried again on other ports if a port was taken meanwhile). With
 * `tls`, its client URL is https and asks for a client certificate from `tls.ca` (`tls.client`: the pair its
 * health check uses).
 */
export async function startEtcd(
  opts: { tls?: EtcdTls & { client: { cert: string; key: string } } } = {},
): Promise<EtcdServer> {
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    const e = new EtcdProcess(
      await freePort(),
      await freePort(),
      path.join(tempDir('gov-etcd-'), 'data'),
      opts.tls,
    );
    try {
      await e.start();
      return e;
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/**
 * One etcd for a describe block: started in `before` (the block is skipped, printing why, when etcd is
 * missing and CI is unset) and stopped in `after`. The returned getter throws before it started.
 */
export function useEtcd(): () => EtcdServer {
  let server: EtcdServer | undefined;
  before(async function () {
    const skip = etcdSkipReason();
    if (skip) {
      console.log(`      (skipped: ${skip})`);
      return this.skip();
    }
    this.timeout(60_000);
    server = await startEtcd();
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('etcd is not started');
    return server;
  };
}
