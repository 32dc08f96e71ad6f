/**
 * One observed process as the agent holds it in memory: its persisted record, coarse state and bounded
 * event list; its status view (mode `observed`, no handler-only fields); and the identity checks that
 * decide whether the PID still names the same process (start time, and command line after a restart).
 */
import { readFileSync } from 'node:fs';
import { hashCmdline, readCmdline, readProcStat } from '../../shared/proc.js';
import type { InstanceStatus } from '../instance/instance.js';
import { NO_ACTIVITY } from '../instance/status.js';
import type { InstanceEvent, InstanceState } from '../instance/lifecycle.js';
import type { ObservedRecord } from './record.js';

export interface ObservedEntry {
  rec: ObservedRecord;
  state: InstanceState;
  events: InstanceEvent[];
  startedAt: number | null;
  overMemory: boolean;
}

/** Handler-only status fields (no temperature, no health check) for an observed process. */
const NOT_A_HANDLER = {
  temperature: '',
  health: 'none',
  health_reason: '',
  notify_status: '',
  activity: NO_ACTIVITY,
} as const;

export function newObservedEntry(rec: ObservedRecord): ObservedEntry {
  return {
    rec,
    state: 'stopped',
    events: [],
    startedAt: processStartMs(rec.start_time),
    overMemory: false,
  };
}

export function observedStatus(e: ObservedEntry): InstanceStatus {
  return {
    handler: e.rec.name,
    index: 0,
    instance: e.rec.name,
    state: e.state,
    pid: e.rec.pid,
    shim_pid: null,
    pgid: e.rec.pgid,
    restarts: 0,
    mode: 'observed',
    last_exit: null,
    started_at: e.startedAt,
    spec_hash: '',
    events: [...e.events],
    ...NOT_A_HANDLER,
  };
}

/** True while the PID is alive (not a zombie) and still the process recorded (same start time). */
export function stillAlive(rec: ObservedRecord): boolean {
  const st = readProcStat(rec.pid);
  return !!st && st.state !== 'Z' && st.state !== 'X' && st.startTime === rec.start_time;
}

/**
 * After an agent restart: why a persisted record no longer names its process (ended, or the PID reused —
 * start time or command line differ), or null when it is verified the same.
 */
export function goneSinceRestart(rec: ObservedRecord): string | null {
  const st = readProcStat(rec.pid);
  const argv = st ? readCmdline(rec.pid) : null;
  if (!st || st.state === 'Z' || st.state === 'X' || argv === null) return 'ended while the agent was down';
  if (st.startTime !== rec.start_time) return `pid ${rec.pid} reused (start time differs); never signalled`;
  if (hashCmdline(argv) !== rec.cmdline_hash)
    return `pid ${rec.pid} reused (command line differs); never signalled`;
  return null;
}

let bootMs: number | null = null;
/** Epoch ms of a process start (stat field 22 in USER_HZ=100 ticks after boot). */
export function processStartMs(startTicks: string): number | null {
  if (bootMs === null) {
    try {
      const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
      bootMs = m ? Number(m[1]) * 1000 : 0;
    } catch {
      bootMs = 0;
    }
  }
  const ticks = Number(startTicks);
  return bootMs && Number.isFinite(ticks) ? bootMs + ticks * 10 : null;
}
