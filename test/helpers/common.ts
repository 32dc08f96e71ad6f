/** Shared test helpers: temp dirs, polling with a deadline, fixture paths and PID cleanup. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../../shared/proc.js';

/** Repo root (tests run from dist/test/...). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const GOV_BIN = path.join(REPO_ROOT, 'dist', 'master', 'cli', 'gov.js');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

const tempDirs: string[] = [];
export function tempDir(prefix = 'gov-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Polls `fn` until it returns a truthy value or the deadline passes; returns that value. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}

/** PIDs (and process groups) a test started; killed by PID in `cleanupPids()`. Never a broad pattern. */
const trackedPids = new Set<number>();
const trackedGroups = new Set<number>();
export function trackPid(pid: number | undefined, group = false): void {
  if (!pid) return;
  (group ? trackedGroups : trackedPids).add(pid);
}

/**
 * Run by `cleanupPids()` once the tracked PIDs are dead: e.g. tracking the handler groups an agent recorded,
 * even if its test failed early.
 */
const beforeCleanup: Array<() => void> = [];
export function beforeCleanupPids(fn: () => void): void {
  beforeCleanup.push(fn);
}

const killAll = (ids: Iterable<number>, group: boolean): void => {
  for (const id of ids) {
    try {
      process.kill(group ? -id : id, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
};

/**
 * Kills what the test tracked: the PIDs first (agents and masters: an agent still alive would restart a
 * handler killed under it, in a group nobody tracks), then the handler groups, including those the agents
 * recorded up to their end.
 */
export async function cleanupPids(): Promise<void> {
  const pids = [...trackedPids];
  killAll(pids, false);
  await waitFor(() => pids.every((p) => !isAlive(p)), {
    timeoutMs: 5000,
    what: 'tracked PIDs to exit',
  }).catch(() => {});
  for (const fn of beforeCleanup.splice(0)) fn();
  killAll(trackedGroups, true);
  killAll(trackedPids, false); // tracked meanwhile
  const all = [...trackedPids, ...trackedGroups];
  trackedPids.clear();
  trackedGroups.clear();
  await waitFor(() => all.every((p) => !isAlive(p)), {
    timeoutMs: 5000,
    what: 'tracked processes to exit',
  }).catch(() => {});
}

export function cleanupTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Starts `node fixture` (its own session, with `env` added, tracked) ON PID `pid`, which must be free: the kernel hands out the
 * PID after /proc/sys/kernel/ns_last_pid (root only). Other processes may take it first: tried again; null
 * when it could not be had.
 */
export function strangerAt(
  pid: number,
  fixtureName: string,
  env: Record<string, string> = {},
): number | null {
  for (let attempt = 0; attempt < 50; attempt++) {
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const p = spawn(process.execPath, [fixture(fixtureName)], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, ...env },
    });
    p.unref();
    trackPid(p.pid);
    if (p.pid === pid) return pid;
    if (p.pid) process.kill(p.pid, 'SIGKILL');
  }
  return null;
}
