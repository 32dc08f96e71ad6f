/**
 * Certificate building for the dev PKI (DESIGN §6), in memory: RSA keys from node:crypto, X.509
 * certificates built and signed with node-forge — the self-signed CA, server leaves (serverAuth + SANs)
 * and role-carrying client leaves (`OU=agent|admin|viewer`) — and reading a certificate's identity and
 * host coverage. Files, paths and policy (what to keep, what to issue) are in pki.ts.
 */
import { generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

export const CA_CN = 'Governor dev CA';
const ORG = 'Governor';
const RSA_BITS = 2048;
const CA_VALID_DAYS = 3650;
const LEAF_VALID_DAYS = 825;
/** Backdating tolerates small clock skew between machines. */
const BACKDATE_MS = 5 * 60_000;

/** A certificate and its private key (a CA, or a freshly signed leaf). */
export interface SignedPair {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

export interface LeafSpec {
  cn: string;
  /** The role (`agent`, `admin` or `viewer`) carried in the subject's OU. */
  ou?: string;
  /** Server certificate (serverAuth + SANs) instead of a client certificate. */
  server?: boolean;
  hosts?: string[];
}

/** A new self-signed CA (may sign leaves only: pathLen 0). */
export async function createCaCert(): Promise<SignedPair> {
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
  return { cert, key: privateKey };
}

/** A new leaf certificate (and its key) signed by `ca`. */
export async function createLeafCert(ca: SignedPair, spec: LeafSpec): Promise<SignedPair> {
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
  return { cert, key: privateKey };
}

/** CN and OU of a certificate's subject (empty when absent). */
export function identityOf(cert: forge.pki.Certificate): { cn: string; ou: string } {
  const field = (short: string): string => {
    const v: unknown = cert.subject.getField(short)?.value;
    return typeof v === 'string' ? v : '';
  };
  return { cn: field('CN'), ou: field('OU') };
}

/** Whether the certificate's SANs (or CN) cover `host` (a DNS name or an IP). */
export function certCoversHost(cert: forge.pki.Certificate, host: string): boolean {
  const x = new X509Certificate(forge.pki.certificateToPem(cert));
  return isIP(host) ? x.checkIP(host) !== undefined : x.checkHost(host) !== undefined;
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
