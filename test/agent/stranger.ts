/**
 * Fixtures for "never signal what you cannot prove is yours": a live stranger process that records every
 * signal it gets, and an agent state file whose only handle points at such a process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Handle } from '../../agent/process/backend.js';
import { specHash, type AgentState } from '../../agent/supervisor/state-store.js';
import { readProcStat } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, trackPid, waitFor } from '../helpers/common.js';

/** A live process that records every signal it gets; in its own process group, like a handler. */
export async function stranger(dir: string): Promise<{ pid: number; signals: string }> {
  const signals = path.join(dir, 'signals');
  const ready = path.join(dir, 'ready');
  const p = spawn(process.execPath, [fixture('signal-recorder.mjs'), signals, ready], {
    detached: true,
    stdio: 'ignore',
  });
  trackPid(p.pid, true);
  p.unref();
  await waitFor(() => existsSync(ready), { what: 'signal recorder ready' });
  return { pid: p.pid!, signals };
}

/** The signals a stranger recorded ('' for none). */
export function received(signals: string): string {
  return existsSync(signals) ? readFileSync(signals, 'utf8') : '';
}

/** A handle of instance `web` in `data` for `pid`, with the process's real start time unless overridden. */
export function webHandle(pid: number, data: string, over: Partial<Handle>): Handle {
  return {
    pid,
    pgid: pid,
    start_time: readProcStat(pid)!.startTime,
    cmdline_hash: '',
    spawned_at: Date.now() - 60_000,
    stdout_log: path.join(data, 'logs', 'web', 'stdout.log'),
    stderr_log: path.join(data, 'logs', 'web', 'stderr.log'),
    exit_file: path.join(data, 'run', 'web.exit'),
    spec_hash: '',
    ...over,
  };
}

/** Writes an agent state whose one instance (`raw`'s spec, desired running) holds `handle`. */
export function plantState(data: string, raw: Record<string, unknown>, handle: Handle): void {
  const spec = parseHandler(raw, 'handlers[0]', 'handlers.yaml');
  const state: AgentState = {
    version: 1,
    specs: { [spec.name]: spec },
    instances: {
      [spec.name]: {
        spec_hash: specHash(spec),
        desired: 'running',
        state: 'running',
        handle: { ...handle, spec_hash: specHash(spec) },
        unverified_handle: null,
        restarts: 0,
        failed_starts: 0,
        last_exit: null,
        started_at: handle.spawned_at,
      },
    },
  };
  mkdirSync(data, { recursive: true });
  writeFileSync(path.join(data, 'state.json'), JSON.stringify(state));
}
