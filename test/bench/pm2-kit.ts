/**
 * PM2 for the benchmarks that compare with it (operator, pm2-leak): installed with npm into a temp dir at
 * bench time (BENCH_PM2_DIR, default os.tmpdir()/gov-bench-pm2, reused when present), never a project
 * dependency; null with the reason printed when npm cannot install it (the registry unreachable). Each bench
 * runs it with its own PM2_HOME and stops its daemon by PID (`pm2DaemonPid`) if `pm2 kill` left it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface Pm2 {
  /** PM2's CLI script (run it with node). */
  bin: string;
  version: string;
  /** How often PM2 checks memory (max_memory_restart) and other limits: `worker_interval`, ms (NaN: not found). */
  workerIntervalMs: number;
}

/** PM2 installed into `dir` (reused when present), or null (the reason printed) when it cannot be. */
export async function pm2Installed(
  dir = process.env.BENCH_PM2_DIR ?? path.join(os.tmpdir(), 'gov-bench-pm2'),
): Promise<Pm2 | null> {
  const root = path.join(dir, 'node_modules', 'pm2');
  const bin = path.join(root, 'bin', 'pm2');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(path.join(dir, 'package.json')))
      writeFileSync(path.join(dir, 'package.json'), '{"name": "gov-bench-pm2", "private": true}\n');
    console.log(`pm2: installing with npm into ${dir} (once) …`);
    try {
      await promisify(execFile)(
        'npm',
        ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', dir, 'pm2'],
        { cwd: dir, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      console.log(`pm2: npm install failed (${(e.stderr || e.message).trim().split('\n')[0]}), skipped`);
      return null;
    }
    if (!existsSync(bin)) {
      console.log(`pm2: npm install left no ${bin}, skipped`);
      return null;
    }
  }
  let version = '?';
  try {
    version =
      (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ??
      '?';
  } catch {
    /* unreadable: '?' */
  }
  let workerIntervalMs = NaN;
  try {
    const m = /WORKER_INTERVAL\s*:[^,\n]*?(\d{3,})/.exec(
      readFileSync(path.join(root, 'constants.js'), 'utf8'),
    );
    if (m) workerIntervalMs = Number(m[1]);
  } catch {
    /* not found: NaN */
  }
  return { bin, version, workerIntervalMs };
}

/** The PID of the PM2 daemon of `home` (its PM2_HOME), or null. */
export function pm2DaemonPid(home: string): number | null {
  try {
    return Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8')) || null;
  } catch {
    return null;
  }
}
