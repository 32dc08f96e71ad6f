/**
 * The master's connection to etcd (HA, DESIGN §9): one `etcd3` client for the store and the election, with
 * mTLS optional. `connectEtcd` proves etcd answers before it returns, so a master started against an
 * unreachable etcd fails at once with an error naming the endpoints instead of hanging.
 */
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { UnavailableError, ValidationError } from '../../shared/errors.js';

export interface EtcdConnectOptions {
  /** `http://host:port` or `https://host:port` (or bare `host:port`), at least one. */
  endpoints: readonly string[];
  /** PEM files for mTLS to etcd: the CA that signed etcd's certificate, and our client certificate + key. */
  ca?: string;
  cert?: string;
  key?: string;
  /** How long to wait for etcd at start (and per dial afterwards). Default 5,000 ms. */
  dialTimeoutMs?: number;
}

export interface EtcdConnection {
  readonly client: Etcd3;
  readonly endpoints: readonly string[];
  /** The endpoints for messages: `127.0.0.1:2379,127.0.0.1:22379`. */
  readonly describe: string;
  /** Closes the client (the store and election built on it stop working). Idempotent. */
  close(): void;
}

export const DEFAULT_ETCD_DIAL_TIMEOUT_MS = 5_000;

/**
 * Connects and checks that etcd answers (a status call on the first endpoint that does). Bad options are a
 * ValidationError naming the option; an etcd that does not answer within `dialTimeoutMs` an UnavailableError
 * naming every endpoint.
 */
export async function connectEtcd(opts: EtcdConnectOptions): Promise<EtcdConnection> {
  const endpoints = opts.endpoints.map((e) => e.trim()).filter((e) => e !== '');
  if (endpoints.length === 0) throw new ValidationError('etcd endpoints: none given (expected URL[,URL…])');
  for (const e of endpoints) {
    if (!/^(https?:\/\/)?[^\s/]+:\d+\/?$/.test(e))
      throw new ValidationError(`etcd endpoint ${JSON.stringify(e)}: expected http(s)://HOST:PORT`);
  }
  const dialTimeoutMs = opts.dialTimeoutMs ?? DEFAULT_ETCD_DIAL_TIMEOUT_MS;
  if (!Number.isInteger(dialTimeoutMs) || dialTimeoutMs <= 0)
    throw new ValidationError(`etcd dial timeout must be a positive integer (ms), got ${dialTimeoutMs}`);
  const tls = opts.ca !== undefined || opts.cert !== undefined || opts.key !== undefined;
  if ((opts.cert === undefined) !== (opts.key === undefined))
    throw new ValidationError('etcd client certificate and key must be given together');
  if (tls && opts.ca === undefined)
    throw new ValidationError('etcd TLS needs the CA that signed etcd’s certificate (etcd ca)');
  const credentials = tls
    ? {
        rootCertificate: readPem('etcd CA', opts.ca as string),
        ...(opts.cert !== undefined
          ? {
              certChain: readPem('etcd client certificate', opts.cert),
              privateKey: readPem('etcd client key', opts.key as string),
            }
          : {}),
      }
    : undefined;
  // etcd3 picks the scheme from `credentials`: hosts are given without one.
  const hosts = endpoints.map((e) => e.replace(/^https?:\/\//, '').replace(/\/$/, ''));
  const describe = hosts.join(',');
  const client = new Etcd3({
    hosts,
    dialTimeout: dialTimeoutMs,
    // The store reads its whole prefix in one range (one revision): allow more than gRPC's 4 MiB default.
    grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    ...(credentials ? { credentials } : {}),
  });
  try {
    await withDeadline(client.maintenance.status(), dialTimeoutMs);
  } catch (err) {
    client.close();
    throw new UnavailableError(
      `etcd at ${describe} cannot be reached: ${(err as Error).message || String(err)}`,
      { cause: err },
    );
  }
  let closed = false;
  return {
    client,
    endpoints: hosts,
    describe,
    close() {
      if (closed) return;
      closed = true;
      client.close();
    },
  };
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ValidationError(
      `${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Rejects after `ms` with a plain timeout message (the call itself may go on; its result is dropped). */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
