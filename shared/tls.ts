/**
 * mTLS plumbing for every connection (DESIGN §4, §6): where the master and the certificate files are
 * (flags > env > defaults, resolved once), loading them with errors that say what to do, gRPC
 * credentials (the server requires and verifies a client certificate — there is no plaintext mode) and
 * channel options with keepalive on both ends so a hung peer is noticed within ~10 s.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { GovError, errorMessage } from './errors.js';
import { MAX_MESSAGE_BYTES } from './proto.js';

export const DEFAULT_MASTER = '127.0.0.1:7070';
export const DEFAULT_CERTS_DIR = 'certs';
/** The pair the admin commands use when none is given (`gov certs init` always makes it). */
export const DEFAULT_ADMIN_CERT = 'admin-admin';

/** Client keepalive: a PING every 5 s, the connection is dropped 5 s after an unanswered one. */
export const CLIENT_KEEPALIVE_TIME_MS = 5_000;
export const CLIENT_KEEPALIVE_TIMEOUT_MS = 5_000;
/** Server keepalive: the same budget from the master's side (finds agents that hung without closing). */
export const SERVER_KEEPALIVE_TIME_MS = 5_000;
export const SERVER_KEEPALIVE_TIMEOUT_MS = 5_000;
/** Below the client's ping interval, so peers that enforce it (C-core) never answer too_many_pings. */
export const SERVER_MIN_PING_INTERVAL_MS = 4_000;

/** Certificates or keys cannot be read or do not fit together. */
export class TlsConfigError extends GovError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

export interface ConnectionFlags {
  master?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

export interface ConnectionDefaults {
  /** Base name of the default pair under `certsDir`: `admin-admin` for admin commands, `agent-<ID>` for an agent. */
  certName: string;
  /** Default `certs` (relative to cwd). */
  certsDir?: string;
  /** Default `127.0.0.1:7070`. */
  master?: string;
}

/** Fully resolved connection settings; paths are absolute. */
export interface ConnectionSettings {
  master: string;
  caPath: string;
  certPath: string;
  keyPath: string;
  /** The directory relative paths were resolved against (used to print short paths in errors). */
  cwd: string;
}

/**
 * Resolves where to connect and with which files: flags, then `GOV_MASTER GOV_CA GOV_CERT GOV_KEY`, then
 * defaults. Only entry points pass `env` (process.env or the CLI io's env); nothing below reads it.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Record<string, string | undefined>,
  defaults: ConnectionDefaults,
  cwd: string,
): ConnectionSettings {
  const pick = (flag: string | undefined, envName: string): string | undefined =>
    nonEmpty(flag) ?? nonEmpty(env[envName]);
  const dir = defaults.certsDir ?? DEFAULT_CERTS_DIR;
  return {
    master: pick(flags.master, 'GOV_MASTER') ?? defaults.master ?? DEFAULT_MASTER,
    caPath: path.resolve(cwd, pick(flags.ca, 'GOV_CA') ?? path.join(dir, 'ca.crt')),
    certPath: path.resolve(cwd, pick(flags.cert, 'GOV_CERT') ?? path.join(dir, `${defaults.certName}.crt`)),
    keyPath: path.resolve(cwd, pick(flags.key, 'GOV_KEY') ?? path.join(dir, `${defaults.certName}.key`)),
    cwd,
  };
}

/** PEM contents of the CA, own certificate and own key. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads and checks the three files: each readable and PEM, the key belonging to the certificate, the
 * certificate within its validity. Every failure names the file and the flag that overrides it.
 */
export function loadTlsMaterial(
  s: Pick<ConnectionSettings, 'caPath' | 'certPath' | 'keyPath' | 'cwd'>,
): TlsMaterial {
  const ca = readPem(s.caPath, 'CA certificate', '--ca', s.cwd, 'CERTIFICATE');
  const cert = readPem(s.certPath, 'certificate', '--cert', s.cwd, 'CERTIFICATE');
  const key = readPem(s.keyPath, 'private key', '--key', s.cwd, 'PRIVATE KEY');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new TlsConfigError(
      `cannot parse certificate ${shortPath(s.certPath, s.cwd)}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new TlsConfigError(
      `cannot parse private key ${shortPath(s.keyPath, s.cwd)}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  if (!matches) {
    throw new TlsConfigError(
      `private key ${shortPath(s.keyPath, s.cwd)} does not belong to certificate ${shortPath(s.certPath, s.cwd)} ` +
        '— pass the matching --key',
    );
  }
  const now = Date.now();
  if (Date.parse(x509.validTo) < now || Date.parse(x509.validFrom) > now) {
    throw new TlsConfigError(
      `certificate ${shortPath(s.certPath, s.cwd)} is not valid now (valid ${x509.validFrom} to ${x509.validTo}) ` +
        '— issue a new one with `gov certs issue`',
    );
  }
  return { ca, cert, key };
}

/**
 * Client side of mTLS: trusts only `ca`, presents `cert`/`key`, checks the server's name against its SANs.
 * Prefer `clientConnection`, which also handles masters addressed by IP.
 */
export function clientCredentials(m: TlsMaterial, verify?: grpc.VerifyOptions): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(m.ca, m.key, m.cert, verify);
}

/** SNI name sent when the master is addressed by IP (SNI may not carry an IP; the master ignores SNI). */
export const SNI_FOR_IP_TARGETS = 'governor-master';

export interface ClientConnection {
  target: string;
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

/**
 * Everything a client constructor needs: `new Ctor(c.target, c.credentials, c.options)`.
 *
 * For an IP target (the default `127.0.0.1:7070`) grpc-js would put the IP in TLS SNI, which Node
 * deprecates with a warning printed by every CLI run (DEP0123). Then a DNS-style SNI name is sent
 * instead and the server certificate is still checked against the real IP (its IP SANs).
 */
export function clientConnection(
  master: string,
  m: TlsMaterial,
  opts: ClientChannelOptions = {},
): ClientConnection {
  const host = hostOf(master);
  const options = clientChannelOptions(opts);
  if (isIP(host) === 0 || opts.serverNameOverride) {
    return { target: master, credentials: clientCredentials(m), options };
  }
  options['grpc.ssl_target_name_override'] = SNI_FOR_IP_TARGETS;
  const verify: grpc.VerifyOptions = {
    checkServerIdentity: (_sni: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
  };
  return { target: master, credentials: clientCredentials(m, verify), options };
}

/** Host part of `HOST:PORT`, `[V6]:PORT`, a bare host or a bare IPv6 address. */
export function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1]) return bracketed[1];
  if (isIP(address) === 6) return address;
  const colon = address.lastIndexOf(':');
  return colon >= 0 ? address.slice(0, colon) : address;
}

/** Server side of mTLS: requires a client certificate and verifies it against `ca` (no plaintext mode). */
export function serverCredentials(m: TlsMaterial): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(m.ca, [{ cert_chain: m.cert, private_key: m.key }], true);
}

/**
 * HTTP/2 receive window of a client's connection and of each of its streams (bytes). HTTP/2's default,
 * 64 KiB, is one exec output frame: the server had to wait for each WINDOW_UPDATE before the next frame, a
 * round trip per 64 KiB. Memory stays bounded by this per connection (and by the exec credit per session).
 */
export const CLIENT_FLOW_CONTROL_WINDOW = 1024 * 1024;

export interface ClientChannelOptions {
  /**
   * Give this client its own connection. grpc-js shares one connection between all channels of a process
   * with the same target and options; load tools and tests that stand for separate machines need this.
   */
  separateConnection?: boolean;
  /** Connect to an address whose name is not in the server certificate, checking this name instead. */
  serverNameOverride?: string;
}

export function clientChannelOptions(opts: ClientChannelOptions = {}): grpc.ChannelOptions {
  const o: grpc.ChannelOptions = {
    'grpc.keepalive_time_ms': CLIENT_KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': CLIENT_KEEPALIVE_TIMEOUT_MS,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc-node.flow_control_window': CLIENT_FLOW_CONTROL_WINDOW,
  };
  if (opts.separateConnection) o['grpc.use_local_subchannel_pool'] = 1;
  if (opts.serverNameOverride) o['grpc.ssl_target_name_override'] = opts.serverNameOverride;
  return o;
}

/** Server options: keepalive, ping policy, message size limits, plus the given interceptors. */
export function serverOptions(interceptors: grpc.ServerInterceptor[] = []): grpc.ServerOptions {
  return {
    'grpc.keepalive_time_ms': SERVER_KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': SERVER_KEEPALIVE_TIMEOUT_MS,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': SERVER_MIN_PING_INTERVAL_MS,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    interceptors,
  };
}

// ---------------------------------------------------------------------------------------------------

function readPem(file: string, what: string, flag: string, cwd: string, label: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : errorMessage(err);
    throw new TlsConfigError(
      `cannot read ${what} ${shortPath(file, cwd)}: ${why} — run \`gov certs init\` or pass ${flag}`,
      { cause: err },
    );
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(data.toString('latin1'))) {
    throw new TlsConfigError(
      `${what} ${shortPath(file, cwd)} is not a PEM ${label.toLowerCase()} — check ${flag}`,
    );
  }
  return data;
}

/** `./certs/ca.crt` for files under cwd, the absolute path otherwise (as every error names a file). */
export function shortPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? `./${rel}` : file;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
