/**
 * Why a connection to the master failed in its TLS handshake, in words that name the files used. grpc-js
 * reports a client certificate the master refused as a bare "Failed to connect" (in TLS 1.3 the master
 * judges the client's certificate after the client's side of the handshake is done and just closes the
 * connection), which reads like a master that is not running. So after a failed connection one handshake
 * is made again here with the same files, the same name checks and no gRPC, and what it shows is told:
 * - this client refused the master's certificate (not issued by the CA file, or not naming the address);
 * - the master closed the connection right after the handshake, before any HTTP/2 byte: it did not accept
 *   the client certificate; whether the CA file issued that certificate says which side to fix.
 * Anything else (nothing listening, a master that accepts the certificate) is not a TLS problem: null.
 * Used by the CLI (master/cli/admin-channels.ts) and the agent's master link; it never changes anything.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { GovError, errorMessage } from './errors.js';
import { SNI_FOR_IP_TARGETS, hostOf, shortPath, type ConnectionSettings, type TlsMaterial } from './tls.js';

/** How long the probe waits for the master's first HTTP/2 bytes (or its close) after the handshake. */
export const PROBE_TIMEOUT_MS = 3_000;

/** The files a connection used (absolute paths; `cwd` to print them short). */
export type TlsFiles = Pick<ConnectionSettings, 'caPath' | 'certPath' | 'keyPath' | 'cwd'>;

/** A TLS handshake with the master was refused, by the master or by this client: retrying cannot fix it. */
export class TlsHandshakeError extends GovError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
  }
}

type Outcome =
  | { kind: 'accepted' }
  | { kind: 'no-connection' }
  | { kind: 'master-refused' }
  | { kind: 'client-refused'; reason: string };

/** Transport errors that are no TLS verdict (nothing listening, no route, …). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/** One handshake with `address` as the channel makes it (same CA, pair, SNI and name check); no request sent. */
function handshake(address: string, m: TlsMaterial, timeoutMs: number): Promise<Outcome> {
  const host = hostOf(address);
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  const byIp = isIP(host) !== 0;
  return new Promise<Outcome>((resolve) => {
    let secured = false;
    const socket = tls.connect({
      host,
      port,
      ca: m.ca,
      cert: m.cert,
      key: m.key,
      ALPNProtocols: ['h2'],
      servername: byIp ? SNI_FOR_IP_TARGETS : host,
      checkServerIdentity: (_sni, cert) => tls.checkServerIdentity(host, cert),
    });
    const done = (o: Outcome): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {}); // late errors of a socket given up
      socket.destroy();
      resolve(o);
    };
    // Not answering at all is a hung master, not a TLS verdict.
    const timer = setTimeout(
      () => done(secured ? { kind: 'accepted' } : { kind: 'no-connection' }),
      timeoutMs,
    );
    timer.unref();
    socket.once('secureConnect', () => (secured = true));
    socket.once('data', () => done({ kind: 'accepted' })); // the master's HTTP/2 SETTINGS: it took the certificate
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (secured || /alert/i.test(err.message)) done({ kind: 'master-refused' });
      else if (err.code && NETWORK_CODES.has(err.code)) done({ kind: 'no-connection' });
      else done({ kind: 'client-refused', reason: err.message });
    });
    socket.once('close', () => done(secured ? { kind: 'master-refused' } : { kind: 'no-connection' }));
  });
}

/** `CN=Governor dev CA` of a certificate's issuer or subject, as openssl prints it on one line. */
function dn(text: string): string {
  return text.split('\n').filter(Boolean).join(', ');
}

/** Whether the CA file issued the certificate, and the certificate's issuer. */
function issuedBy(m: TlsMaterial): { byCa: boolean; issuer: string } {
  try {
    const cert = new X509Certificate(m.cert);
    const ca = new X509Certificate(m.ca);
    return { byCa: cert.checkIssued(ca) && cert.verify(ca.publicKey), issuer: dn(cert.issuer) };
  } catch (err) {
    return { byCa: false, issuer: `unreadable (${errorMessage(err)})` };
  }
}

/**
 * Makes one handshake with the master at `address` using `m` (read from `files`) and, when it shows that
 * one side refused the other's certificate, the error saying which, why and which files; null otherwise.
 */
export async function tlsHandshakeProblem(
  address: string,
  m: TlsMaterial,
  files: TlsFiles,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<TlsHandshakeError | null> {
  const outcome = await handshake(address, m, timeoutMs);
  const ca = shortPath(files.caPath, files.cwd);
  const cert = shortPath(files.certPath, files.cwd);
  const key = shortPath(files.keyPath, files.cwd);
  if (outcome.kind === 'client-refused')
    return new TlsHandshakeError(
      `TLS handshake with master at ${address} failed: this client does not trust the master's certificate ` +
        `(${outcome.reason}): it must be issued by the CA in ${ca} and name ${hostOf(address)} — check --ca ` +
        "(GOV_CA), or the master's certificate (gov certs init --host)",
    );
  if (outcome.kind !== 'master-refused') return null;
  const { byCa, issuer } = issuedBy(m);
  const why = byCa
    ? `the master does not trust the CA in ${ca} that issued it (does the master use another CA?)`
    : `it was not issued by the CA in ${ca} (which issued the master's certificate) but by another one ` +
      `(${issuer}); use a certificate of the cluster CA (gov certs issue)`;
  return new TlsHandshakeError(
    `TLS handshake with master at ${address} failed: the master refused the client certificate ${cert} ` +
      `(key ${key}): ${why} — check --cert/--key (GOV_CERT, GOV_KEY)`,
  );
}
