/**
 * The agent's durable state file (`<data-dir>/state.json`): cached specs and, per instance, the handle
 * and what the supervisor decided. Written atomically through DurableStore.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DurableStore } from '../shared/durable-store.js';
import type { HandlerSpec } from '../shared/spec.js';
import type { Handle } from './backend.js';
import type { InstanceState } from './lifecycle.js';
import type { ObservedState } from './observed-record.js';

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
  /** Groups of earlier processes whose leftovers are being stopped (instance-leftovers.ts); absent: none. */
  draining?: Handle[];
  restarts: number;
  failed_starts: number;
  last_exit: LastExit | null;
  started_at: number | null;
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

export async function openStateStore(dataDir: string): Promise<DurableStore<AgentState>> {
  const store = await DurableStore.open<AgentState>(path.join(dataDir, STATE_FILE), emptyState());
  const d = store.data as Partial<AgentState>;
  d.version ??= 1;
  d.specs ??= {};
  d.instances ??= {};
  return store;
}

/** A stable hash of a spec (keys sorted), so reordering keys never looks like a change. */
export function specHash(spec: HandlerSpec): string {
  return createHash('sha256').update(stableStringify(spec)).digest('hex').slice(0, 16);
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
