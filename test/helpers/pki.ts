/**
 * Test certificates: one full PKI per test run (cached — RSA keygen is the slow part) plus an unrelated
 * "wrong CA" set with the same names, for negative tests. Lives in a temp dir removed by the root hook.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { initPki } from '../../shared/pki.js';
import type { TlsMaterial } from '../../shared/tls.js';
import { tempDir } from './common.js';

export const TEST_AGENTS = ['edge-1', 'edge-2', 'edge-3', 'edge-4'] as const;
export const TEST_ADMIN = 'admin';
export const TEST_VIEWER = 'viewer';

/** A pair's base name inside a PKI dir: `master`, `agent-edge-1`, `admin-admin`, `viewer-viewer`. */
export type PairName = 'master' | `agent-${string}` | `admin-${string}` | `viewer-${string}`;

export interface TestPki {
  /** The cluster PKI: CA, master, agents edge-1..edge-4 (TEST_AGENTS), admin-admin, viewer-viewer. */
  dir: string;
  /** Another CA with agent-edge-1, admin-admin and a master cert of its own. */
  wrongDir: string;
  /** Milliseconds it took to generate both sets. */
  generatedInMs: number;
  /** Paths of a pair in `dir` (or `wrongDir`). */
  paths(pair: PairName, wrong?: boolean): { cert: string; key: string; ca: string };
  /** `--ca --cert --key` flags of a pair in `dir`, as every `gov` command takes them. */
  tlsArgs(pair: PairName): string[];
  /**
   * TLS material for a party: its own pair (from the cluster or the wrong CA) and the CA it trusts
   * (the cluster CA unless `trustWrongCa`).
   */
  material(pair: PairName, opts?: { wrongPair?: boolean; trustWrongCa?: boolean }): TlsMaterial;
  pem(file: string): string;
}

let cached: Promise<TestPki> | null = null;
let cachedDir: string | null = null;

export function testPki(): Promise<TestPki> {
  // A cleanupTempDirs() (a benchmark, run before others in one process) removes it: make a new one then.
  if (cachedDir !== null && !existsSync(cachedDir)) [cached, cachedDir] = [null, null];
  cached ??= generate().then((pki) => {
    cachedDir = pki.dir;
    return pki;
  });
  return cached;
}

async function generate(): Promise<TestPki> {
  const started = Date.now();
  const root = tempDir('gov-pki-');
  const dir = path.join(root, 'cluster');
  const wrongDir = path.join(root, 'wrong');
  await Promise.all([
    initPki({ dir, agents: [...TEST_AGENTS], admins: [TEST_ADMIN], viewers: [TEST_VIEWER] }),
    initPki({ dir: wrongDir, agents: ['edge-1'], admins: [TEST_ADMIN] }),
  ]);
  const generatedInMs = Date.now() - started;
  const paths = (pair: PairName, wrong = false) => {
    const d = wrong ? wrongDir : dir;
    return {
      cert: path.join(d, `${pair}.crt`),
      key: path.join(d, `${pair}.key`),
      ca: path.join(d, 'ca.crt'),
    };
  };
  return {
    dir,
    wrongDir,
    generatedInMs,
    paths,
    tlsArgs(pair) {
      const p = paths(pair);
      return ['--ca', p.ca, '--cert', p.cert, '--key', p.key];
    },
    material(pair, opts = {}) {
      const own = paths(pair, opts.wrongPair);
      return {
        ca: readFileSync(paths(pair, opts.trustWrongCa).ca),
        cert: readFileSync(own.cert),
        key: readFileSync(own.key),
      };
    },
    pem: (file) => readFileSync(file, 'utf8'),
  };
}
