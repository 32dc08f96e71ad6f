/**
 * The dev PKI (DESIGN §6): a CA, the master's server certificate and role-carrying client certificates
 * (`OU=agent|admin|viewer`), made in pure JavaScript (node-forge; RSA keys from node:crypto) — no openssl.
 * This file owns the PKI directory (paths, names, reuse or re-issue, atomic writes); building and signing
 * the certificates themselves is pki-certs.ts.
 * Users may bring their own PKI instead; nothing else in Governor depends on how these files were made.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import forge from 'node-forge';
import { GovError, ValidationError, errorMessage } from './errors.js';
import { isName, NAME_RE, NAME_RULE } from './names.js';
import {
  CA_CN,
  certCoversHost,
  createCaCert,
  createLeafCert,
  identityOf,
  type LeafSpec,
} from './pki-certs.js';

export type Role = 'agent' | 'admin' | 'viewer';
export const ROLES: readonly Role[] = ['agent', 'admin', 'viewer'];

const DNS_NAME =
  /^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?$/;

export const MASTER_CN = 'governor-master';

/** The PKI cannot be created or used as asked (existing CA half missing, no CA for issue, file exists). */
export class PkiError extends GovError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

export interface CertPaths {
  cert: string;
  key: string;
}
/** What happened to one certificate: `kept` = an existing valid file was reused. */
export type FileAction = 'created' | 'kept' | 'replaced';
export interface WrittenCert extends CertPaths {
  name: string;
  action: FileAction;
}

export interface InitPkiOptions {
  dir: string;
  agents?: string[];
  /** Default: `['admin']` (the pair the admin commands use by default). */
  admins?: string[];
  viewers?: string[];
  /** Extra DNS names or IPs of the master (localhost, 127.0.0.1 and ::1 are always included). */
  hosts?: string[];
}

export interface InitPkiResult {
  ca: WrittenCert;
  master: WrittenCert;
  clients: WrittenCert[];
}

export interface IssueCertOptions {
  dir: string;
  role: Role;
  name: string;
  /** Replace an existing certificate of that name (default: refuse). */
  force?: boolean;
}

/** File names inside a PKI dir. */
export function caPaths(dir: string): CertPaths {
  return { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
}
export function masterPaths(dir: string): CertPaths {
  return { cert: path.join(dir, 'master.crt'), key: path.join(dir, 'master.key') };
}
export function clientPaths(dir: string, role: Role, name: string): CertPaths {
  return { cert: path.join(dir, `${role}-${name}.crt`), key: path.join(dir, `${role}-${name}.key`) };
}

export function validateName(role: Role, name: string): void {
  if (!isName(name)) {
    throw new ValidationError(
      `invalid ${role} name ${JSON.stringify(name)}: must match ${NAME_RE.source} (${NAME_RULE})`,
    );
  }
}

export function validateHost(host: string): void {
  if (isIP(host) === 0 && !DNS_NAME.test(host)) {
    throw new ValidationError(`invalid --host ${JSON.stringify(host)}: expected a DNS name or an IP address`);
  }
}

/**
 * Creates (or completes) a PKI in `dir`. An existing CA is reused — never replaced; a half-present CA is an
 * error. Existing leaf certificates are kept when signed by this CA (and, for the master, covering every
 * requested host); otherwise they are re-issued. A re-issued master certificate keeps the hosts of the one
 * it replaces (HA: adding a master with `--host m4` must not drop m1..m3, which share the certificate).
 */
export async function initPki(opts: InitPkiOptions): Promise<InitPkiResult> {
  const agents = opts.agents ?? [];
  const admins = opts.admins && opts.admins.length > 0 ? opts.admins : ['admin'];
  const viewers = opts.viewers ?? [];
  const hosts = opts.hosts ?? [];
  for (const a of agents) validateName('agent', a);
  for (const a of admins) validateName('admin', a);
  for (const v of viewers) validateName('viewer', v);
  for (const h of hosts) validateHost(h);

  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const ca = await loadOrCreateCa(opts.dir);

  const mp = masterPaths(opts.dir);
  const masterHosts = uniq(['localhost', '127.0.0.1', '::1', ...existingHosts(mp, ca.cert), ...hosts]);
  const masterUsable = leafUsable(mp, ca.cert, (x) => masterHosts.every((h) => certCoversHost(x, h)));
  const masterAction: FileAction = masterUsable ? 'kept' : existsSync(mp.cert) ? 'replaced' : 'created';
  const jobs: Array<Promise<WrittenCert>> = [];
  jobs.push(
    masterUsable
      ? Promise.resolve({ ...mp, name: MASTER_CN, action: masterAction })
      : issueLeaf(ca, mp, { cn: MASTER_CN, server: true, hosts: masterHosts }).then(() => ({
          ...mp,
          name: MASTER_CN,
          action: masterAction,
        })),
  );
  const wanted: Array<[Role, string]> = [
    ...agents.map((n): [Role, string] => ['agent', n]),
    ...admins.map((n): [Role, string] => ['admin', n]),
    ...viewers.map((n): [Role, string] => ['viewer', n]),
  ];
  for (const [role, name] of uniqPairs(wanted)) {
    const p = clientPaths(opts.dir, role, name);
    if (leafUsable(p, ca.cert, (x) => identityOf(x).ou === role && identityOf(x).cn === name)) {
      jobs.push(Promise.resolve({ ...p, name, action: 'kept' }));
    } else {
      const action: FileAction = existsSync(p.cert) ? 'replaced' : 'created';
      jobs.push(issueLeaf(ca, p, { cn: name, ou: role }).then(() => ({ ...p, name, action })));
    }
  }
  const [master, ...clients] = await Promise.all(jobs);
  return { ca: ca.written, master: master as WrittenCert, clients };
}

/** Issues one client certificate with the CA in `dir`. */
export async function issueCert(opts: IssueCertOptions): Promise<WrittenCert> {
  if (!ROLES.includes(opts.role)) {
    throw new ValidationError(`invalid role ${JSON.stringify(opts.role)}: expected agent, admin or viewer`);
  }
  validateName(opts.role, opts.name);
  const ca = loadCa(opts.dir);
  if (!ca) {
    throw new PkiError(
      `no CA in ${opts.dir} (${caPaths(opts.dir).cert} and ${caPaths(opts.dir).key} are needed) — ` +
        'run `gov certs init` first or pass --dir',
    );
  }
  const p = clientPaths(opts.dir, opts.role, opts.name);
  const exists = existsSync(p.cert) || existsSync(p.key);
  if (exists && !opts.force) {
    throw new PkiError(`${p.cert} already exists — pass --force to replace it`);
  }
  await issueLeaf(ca, p, { cn: opts.name, ou: opts.role });
  return { ...p, name: opts.name, action: exists ? 'replaced' : 'created' };
}

/** CN and OU of a PEM certificate's subject (OU empty when absent); read without node-forge. */
export { readIdentity } from './cert-identity.js';

// ---------------------------------------------------------------------------------------------------

interface LoadedCa {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  written: WrittenCert;
}

function loadCa(dir: string): LoadedCa | null {
  const p = caPaths(dir);
  const hasCert = existsSync(p.cert);
  const hasKey = existsSync(p.key);
  if (!hasCert && !hasKey) return null;
  if (hasCert !== hasKey) {
    throw new PkiError(
      `incomplete CA in ${dir}: ${hasCert ? p.key : p.cert} is missing — restore it, or move ` +
        `${hasCert ? p.cert : p.key} away to create a new CA (every certificate must then be re-issued)`,
    );
  }
  try {
    const cert = forge.pki.certificateFromPem(readFileSync(p.cert, 'utf8'));
    const key = forge.pki.privateKeyFromPem(readFileSync(p.key, 'utf8')) as forge.pki.rsa.PrivateKey;
    const pub = cert.publicKey as forge.pki.rsa.PublicKey;
    if (pub.n.compareTo(key.n) !== 0) throw new Error(`${p.key} does not belong to ${p.cert}`);
    chmodSync(p.key, 0o600);
    return { cert, key, written: { ...p, name: identityOf(cert).cn || CA_CN, action: 'kept' } };
  } catch (err) {
    throw new PkiError(`cannot use the existing CA in ${dir}: ${errorMessage(err)}`, { cause: err });
  }
}

async function loadOrCreateCa(dir: string): Promise<LoadedCa> {
  const existing = loadCa(dir);
  if (existing) return existing;
  const { cert, key } = await createCaCert();
  const p = caPaths(dir);
  writePair(p, cert, key);
  return { cert, key, written: { ...p, name: CA_CN, action: 'created' } };
}

async function issueLeaf(ca: LoadedCa, p: CertPaths, spec: LeafSpec & { ou?: Role }): Promise<void> {
  const { cert, key } = await createLeafCert(ca, spec);
  writePair(p, cert, key);
}

/** Key first (0600, via temp + rename, chmod in case of an odd umask), then the certificate (0644). */
function writePair(p: CertPaths, cert: forge.pki.Certificate, key: forge.pki.PrivateKey): void {
  writeAtomic(p.key, forge.pki.privateKeyToPem(key), 0o600);
  writeAtomic(p.cert, forge.pki.certificateToPem(cert), 0o644);
}

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
  chmodSync(file, mode);
}

/** An existing leaf is reusable when cert and key are present, match, are signed by `ca` and pass `ok`. */
function leafUsable(
  p: CertPaths,
  ca: forge.pki.Certificate,
  ok: (c: forge.pki.Certificate) => boolean,
): boolean {
  if (!existsSync(p.cert) || !existsSync(p.key)) return false;
  try {
    const cert = forge.pki.certificateFromPem(readFileSync(p.cert, 'utf8'));
    const key = forge.pki.privateKeyFromPem(readFileSync(p.key, 'utf8')) as forge.pki.rsa.PrivateKey;
    const pub = cert.publicKey as forge.pki.rsa.PublicKey;
    if (pub.n.compareTo(key.n) !== 0) return false;
    if (!ca.verify(cert)) return false;
    if (cert.validity.notAfter.getTime() < Date.now() + 86_400_000) return false;
    if (!ok(cert)) return false;
    chmodSync(p.key, 0o600);
    return true;
  } catch {
    return false;
  }
}

/** The DNS names and IPs of an existing certificate signed by `ca` (none when absent, unreadable or foreign). */
function existingHosts(p: CertPaths, ca: forge.pki.Certificate): string[] {
  if (!existsSync(p.cert)) return [];
  try {
    const cert = forge.pki.certificateFromPem(readFileSync(p.cert, 'utf8'));
    if (!ca.verify(cert)) return [];
    const ext = cert.getExtension('subjectAltName') as
      { altNames?: Array<{ type: number; value?: string; ip?: string }> } | undefined;
    return (ext?.altNames ?? [])
      .map((n) => (n.type === 7 ? n.ip : n.type === 2 ? n.value : undefined))
      .filter((h): h is string => typeof h === 'string' && h !== '');
  } catch {
    return [];
  }
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

function uniqPairs(xs: Array<[Role, string]>): Array<[Role, string]> {
  const seen = new Set<string>();
  return xs.filter(([r, n]) => !seen.has(`${r}/${n}`) && Boolean(seen.add(`${r}/${n}`)));
}
