/** Helpers for agent tests: handler YAML, a real agent process, status and state files. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InstanceStatus } from '../../agent/supervisor/supervisor.js';
import type { AgentState } from '../../agent/supervisor/state-store.js';
import { REPO_ROOT, beforeCleanupPids, trackPid, waitFor } from '../helpers/common.js';

export const AGENT_MAIN = path.join(REPO_ROOT, 'dist', 'agent', 'main.js');

/** A handler entry as YAML flow-map text (values JSON-encoded, which is valid YAML). */
export function handlerYaml(spec: Record<string, unknown>): string {
  return `  - ${JSON.stringify(spec)}\n`;
}

export function writeHandlers(dir: string, specs: Array<Record<string, unknown>>): string {
  const file = path.join(dir, 'handlers.yaml');
  writeFileSync(file, `handlers:\n${specs.map(handlerYaml).join('')}`);
  return file;
}

export interface AgentProc {
  proc: ChildProcess;
  pid: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `node dist/agent/main.js` as a separate process (it and the handler groups in its state are cleaned up
 * by PID). `ownSession`: it leads a session of its own, as under systemd (default: the test runner's).
 * `inheritFd`: it inherits a pipe as this descriptor (not close-on-exec), as from a shell or a harness.
 */
export function startAgent(
  handlersFile: string,
  dataDir: string,
  extra: string[] = [],
  opts: { ownSession?: boolean; inheritFd?: number } = {},
): AgentProc {
  const proc = spawn(
    process.execPath,
    [AGENT_MAIN, '--handlers', handlersFile, '--data-dir', dataDir, ...extra],
    {
      stdio: [
        'ignore',
        'ignore',
        'pipe',
        ...Array.from({ length: opts.inheritFd === undefined ? 0 : opts.inheritFd - 2 }, (_, i) =>
          i + 3 === opts.inheritFd ? ('pipe' as const) : ('ignore' as const),
        ),
      ],
      detached: opts.ownSession === true,
    },
  );
  trackPid(proc.pid);
  // Handlers it started are cleaned up too when the test fails before tracking them itself.
  beforeCleanupPids(() => trackStateGroups(dataDir));
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, pid: proc.pid!, stderr: () => err, exited };
}

export interface StatusDoc {
  agent_pid: number;
  instances: InstanceStatus[];
}

export function readStatus(dataDir: string): StatusDoc | null {
  const file = path.join(dataDir, 'status.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as StatusDoc;
}

/** Waits until the agent with `agentPid` reports `handler` in a state matching `pred`. */
export async function waitInstance(
  dataDir: string,
  agentPid: number,
  handler: string,
  pred: (s: InstanceStatus) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<InstanceStatus> {
  return waitFor(
    () => {
      const doc = readStatus(dataDir);
      if (!doc || doc.agent_pid !== agentPid) return null;
      const s = doc.instances.find((i) => i.handler === handler);
      return s && pred(s) ? s : null;
    },
    { timeoutMs, what },
  );
}

export function readState(dataDir: string): AgentState {
  return JSON.parse(readFileSync(path.join(dataDir, 'state.json'), 'utf8')) as AgentState;
}

export function lineCount(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
}

/** Tracks every handler process group recorded in the state file (for cleanup). */
export function trackStateGroups(dataDir: string): void {
  try {
    for (const rec of Object.values(readState(dataDir).instances)) {
      if (rec.handle) trackPid(rec.handle.pgid, true);
    }
  } catch {
    /* no state */
  }
}
