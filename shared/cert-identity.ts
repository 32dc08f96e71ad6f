/**
 * CN and OU of a PEM certificate's subject, read with node:crypto alone (no node-forge: a process that only
 * needs to know whose certificate it holds — the agent, for its default id — does not load the PKI's
 * library). The first value of each, '' when absent, as the master's peer check reads them.
 */
import { X509Certificate } from 'node:crypto';
import { ValidationError, errorMessage } from './errors.js';

export function readIdentity(certPem: string): { cn: string; ou: string } {
  let subject: Record<string, unknown>;
  try {
    subject = new X509Certificate(certPem).toLegacyObject().subject as unknown as Record<string, unknown>;
  } catch (err) {
    throw new ValidationError(`not a PEM certificate: ${errorMessage(err)}`, { cause: err });
  }
  const first = (v: unknown): string =>
    typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
  return { cn: first(subject.CN), ou: first(subject.OU) };
}
