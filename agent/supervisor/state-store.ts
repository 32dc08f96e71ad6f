/**
 * The agent's durable state file (`<data-dir>/state.json`): cached specs and, per instance, the handle
 * and what the supervisor decided. Written atomically through DurableStore.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DurableStore } from '../../shared/durable-store.js';
import { silentLogger, type Logger } from '../../shared/logger.js';
import type { HandlerSpec } from '../../shared/spec.js';
import type { Handle } from '../process/backend.js';
import type { InstanceState } from '../instance/lifecycle.js';
import type { ObservedState } from '../observed/record.js';
import { checkAgentState } from './state-store-shape.js';

export interface LastExit {
  code: number | null;
  signal: string | null;
  /** Epoch ms. */
  at: number;
}

export interface InstanceRecord {
  spec_hash: string;
  /** What the operator asked for last: keep it running, or keep it stopped. */
  desired: 'running' | 'stopped';
  state: InstanceState;
  /** The process we started and may signal; null when none runs. */
  handle: Handle | null;
  /** A handle that failed verification on restore: kept for operators, never signalled. */
  unverified_handle: Handle | null;
  /** Groups of earlier processes whose leftovers are being stopped (instance/instance.ts, leftovers); absent: none. */
  draining?: Handle[];
  /**
   * Of those, when each was sent the stop signal (epoch ms, by PGID): a next agent goes on from there (SIGKILL
   * at it + stop_timeout) instead of signalling again; absent for one not yet signalled.
   */
  draining_signalled_at?: Record<string, number>;
  restarts: number;
  failed_starts: number;
  last_exit: LastExit | null;
  started_at: number | null;
  /** On-demand: when the lease of `ensure --hold` ends, epoch ms; absent: none. */
  lease_until?: number;
  /**
   * A `notify: true` instance's sd_notify state (agent/notify): its last STATUS= text and the watchdog
   * timeout its process set with WATCHDOG_USEC= (absent: the spec's). Whether it said READY=1 is its state
   * (`running`); absent for other instances.
   */
  notify?: { status: string; watchdog_ms?: number };
  /** Epoch ms since when the process is frozen (`idle_action: freeze`); absent when it is not. */
  frozen_at?: number;
  /**
   * While `stopping`: epoch ms its stop signal was sent. An agent restarted mid-stop goes on with that stop
   * (SIGKILL at this + stop_timeout), the signal not sent again (an agent killed in the few ms before this
   * write lands did send it, and the next one sends it again); absent: not stopping (or an older agent's).
   */
  stopping_since?: number;
  /**
   * An apply removes this instance (its handler deleted, or its index at or above the count): an agent that
   * dies before the removal is done finishes it at its next start; absent: not being removed.
   */
  removing?: boolean;
}

export interface AgentState {
  version: 1;
  specs: Record<string, HandlerSpec>;
  instances: Record<string, InstanceRecord>;
  /** Observed processes (attached or discovered), re-verified after a restart. */
  observed?: ObservedState;
}

export const STATE_FILE = 'state.json';

export function emptyState(): AgentState {
  return { version: 1, specs: {}, instances: {} };
}

/**
 * Opens `<data-dir>/state.json`. A missing file starts empty; a file of the wrong shape is refused
 * (state-store-shape.ts), never replaced by an empty state beside running handlers. Writes never reject:
 * while the disk refuses them (full, I/O error) the supervisor keeps working from memory, the failure is
 * logged once per streak, and the changes are written again with backoff until the disk takes them.
 */
export async function openStateStore(
  dataDir: string,
  logger: Logger = silentLogger,
  retry: { initialMs?: number; maxMs?: number } = {},
): Promise<{ store: DurableStore<AgentState>; existed: boolean }> {
  const file = path.join(dataDir, STATE_FILE);
  const existed = existsSync(file);
  const store = await DurableStore.open<AgentState>(file, emptyState(), {
    validate: checkAgentState,
    retry: {
      ...retry,
      onError: (err) =>
        logger.error('state file write failed; supervising from memory and retrying until it succeeds', {
          file,
          err,
        }),
      onRecovered: (failures) => logger.info('state file written again', { file, failed_writes: failures }),
    },
  });
  // A new data dir gets its (empty) state file on disk before anything can be spawned: from then on a
  // missing file means it was lost, never "nothing started yet" (see Supervisor.create).
  if (!existed) await store.flush();
  return { store, existed };
}

/** A stable hash of a spec (keys sorted), so reordering keys never looks like a change. */
export { instanceSpecHash as specHash } from '../../shared/spec-hash.js';
