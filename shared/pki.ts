/**
 * The dev PKI (DESIGN §6): a CA, the master's server certificate and role-carrying client certificates
 * (`OU=agent|admin|viewer`), made in pure JavaScript (node-forge; RSA keys from node:crypto) — no openssl.
 * Users may bring their own PKI instead; nothing else in Governor depends on how these files were made.
 */
import { generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { GovError, ValidationError, errorMessage } from './errors.js';

export type Role = 'agent' | 'admin' | 'viewer';
export const ROLES: readonly Role[] = ['agent', 'admin', 'viewer'];

/** Agent ids, admin and viewer names (the same rule as handler names). */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const DNS_NAME =
  /^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?$/;

export const MASTER_CN = 'governor-master';
const CA_CN = 'Governor dev CA';
const ORG = 'Governor';
const RSA_BITS = 2048;
const CA_VALID_DAYS = 3650;
const LEAF_VALID_DAYS = 825;
/** Backdating tolerates small clock skew between machines. */
const BACKDATE_MS = 5 * 60_000;

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
  if (!NAME_PATTERN.test(name)) {
    throw new ValidationError(
      `invalid ${role} name ${JSON.stringify(name)}: must match ${NAME_PATTERN.source} ` +
        '(lower-case letters, digits, ".", "_", "-"; at most 63 characters)',
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
 * requested host); otherwise they are re-issued.
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

  const masterHosts = uniq(['localhost', '127.0.0.1', '::1', ...hosts]);
  const mp = masterPaths(opts.dir);
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

/** CN and OU of a PEM certificate's subject (OU empty when absent). */
export function readIdentity(certPem: string): { cn: string; ou: string } {
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromPem(certPem);
  } catch (err) {
    throw new ValidationError(`not a PEM certificate: ${errorMessage(err)}`, { cause: err });
  }
  return identityOf(cert);
}

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
  const { publicKey, privateKey } = await newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  setValidity(cert, CA_VALID_DAYS);
  const subject = [
    { name: 'commonName', value: CA_CN },
    { name: 'organizationName', value: ORG },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  const p = caPaths(dir);
  writePair(p, cert, privateKey);
  return { cert, key: privateKey, written: { ...p, name: CA_CN, action: 'created' } };
}

interface LeafSpec {
  cn: string;
  ou?: Role;
  /** Server certificate (serverAuth + SANs) instead of a client certificate. */
  server?: boolean;
  hosts?: string[];
}

async function issueLeaf(ca: LoadedCa, p: CertPaths, spec: LeafSpec): Promise<void> {
  const { publicKey, privateKey } = await newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  setValidity(cert, LEAF_VALID_DAYS);
  const subject: forge.pki.CertificateField[] = [
    { name: 'commonName', value: spec.cn },
    { name: 'organizationName', value: ORG },
  ];
  if (spec.ou) subject.push({ name: 'organizationalUnitName', value: spec.ou });
  cert.setSubject(subject);
  cert.setIssuer(ca.cert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: Boolean(spec.server), clientAuth: !spec.server },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (spec.server) {
    extensions.push({
      name: 'subjectAltName',
      altNames: (spec.hosts ?? []).map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    });
  }
  cert.setExtensions(extensions);
  cert.sign(ca.key, forge.md.sha256.create());
  writePair(p, cert, privateKey);
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** RSA key pair from node:crypto (native, off the main thread), converted for forge. */
async function newKeyPair(): Promise<{
  publicKey: forge.pki.PublicKey;
  privateKey: forge.pki.rsa.PrivateKey;
}> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: RSA_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
  };
}

function setValidity(cert: forge.pki.Certificate, days: number): void {
  // Positive 128-bit serial (top bit clear so DER does not read it as negative).
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + days * 86_400_000);
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

function identityOf(cert: forge.pki.Certificate): { cn: string; ou: string } {
  const field = (short: string): string => {
    const v: unknown = cert.subject.getField(short)?.value;
    return typeof v === 'string' ? v : '';
  };
  return { cn: field('CN'), ou: field('OU') };
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

function certCoversHost(cert: forge.pki.Certificate, host: string): boolean {
  const x = new X509Certificate(forge.pki.certificateToPem(cert));
  return isIP(host) ? x.checkIP(host) !== undefined : x.checkHost(host) !== undefined;
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

function uniqPairs(xs: Array<[Role, string]>): Array<[Role, string]> {
  const seen = new Set<string>();
  return xs.filter(([r, n]) => !seen.has(`${r}/${n}`) && Boolean(seen.add(`${r}/${n}`)));
}
