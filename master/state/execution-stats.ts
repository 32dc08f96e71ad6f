/**
 * Execution records (DESIGN §4) and the pure statistics over a buffer of them.
 *
 * Definitions (consistent everywhere, including `by_handler` / `by_agent`):
 * - `total` / `total_executions`: every record in the buffer, including ones still `running`.
 * - `success` / `success_count`: records with status `success`.
 * - `error` / `error_count`: records that failed — status `error` **or `timeout`** (a timeout is a failure).
 * - `success_rate`: success / completed, as a **fraction from 0 to 1** (not a percentage), where
 *   completed = success + error (running records are excluded); 0 when nothing has completed yet.
 * - `avg_duration_ms`: mean `duration_ms` over completed records (running ones excluded); 0 when none.
 * - `buffer_size`: the ring's capacity; `buffer_utilization`: records held / capacity, from 0 to 1.
 * Records with an empty `handler` (or `agent`) are left out of `by_handler` (or `by_agent`).
 */
import type { ExecutionRecord as WireExecutionRecord } from '../../proto/generated/governor/v1/ExecutionRecord.js';

export const EXECUTION_STATUSES = ['running', 'success', 'error', 'timeout'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export type FinalStatus = Exclude<ExecutionStatus, 'running'>;

/** Kinds in use (free-form on the wire; listed for documentation and CLI help). */
export const EXECUTION_KINDS = [
  'start',
  'stop',
  'restart',
  'ensure',
  'release',
  'signal',
  'exec',
  'apply',
  'delete',
  'metrics',
  'attach',
  'detach',
  'logs',
  'revoke',
  'unrevoke',
  'rollout-step',
  'policy',
  // Written by the master itself: an adopted instance's record (fleet/adopt.ts), the APPLY pushes of an agent's
  // label change, of a rollback and of a reconnecting agent's resync (fleet.pushSpecs).
  'adopt',
  'labels',
  'rollback',
  'sync',
] as const;

/**
 * One execution as stored and returned (DESIGN §4 field names). Fields not known yet are absent rather
 * than null (`completed_at`, `duration_ms` while running; `result`, `error`, `rollout_id` when not set),
 * so a record is also a valid wire `ExecutionRecord` (checked below).
 */
export interface ExecutionRecord {
  id: string;
  kind: string;
  /** '' when the execution is not about one handler. */
  handler: string;
  /** '' when the execution is not about one agent. */
  agent: string;
  /** CN of the certificate that issued it (or an internal caller's name, e.g. `rollout`). */
  issued_by: string;
  rollout_id?: string;
  /** ISO-8601. */
  started_at: string;
  /** ISO-8601; absent while running. */
  completed_at?: string;
  /** Absent while running. */
  duration_ms?: number;
  status: ExecutionStatus;
  /** Short result summary. */
  result?: string;
  /** Error message when status is error or timeout. */
  error?: string;
  attempt: number;
  max_attempts: number;
  params_summary: string;
  /** The agent's answer came after the master gave up; status/result/error are the agent's (see `note`). */
  late?: boolean;
  /** For a late record: the error recorded when the master gave up. */
  note?: string;
  /** The master gave up on a command it sent: the agent may still have carried it out (a late answer corrects the record). */
  unanswered?: boolean;
}

/** Compile-time check: a stored record can be sent as the wire type as is. */
type AssertWire<T extends WireExecutionRecord> = T;
export type WireCompatibleExecutionRecord = AssertWire<ExecutionRecord>;

export interface GroupStats {
  total: number;
  success: number;
  error: number;
  /** 0..1, see the file comment. */
  success_rate: number;
  avg_duration_ms: number;
}

export interface ExecutionStats {
  total_executions: number;
  lifetime_executions: number;
  success_count: number;
  error_count: number;
  /** 0..1, see the file comment. */
  success_rate: number;
  avg_duration_ms: number;
  by_handler: Record<string, GroupStats>;
  by_agent: Record<string, GroupStats>;
  buffer_size: number;
  /** 0..1. */
  buffer_utilization: number;
}

class Acc {
  total = 0;
  success = 0;
  error = 0;
  durationSum = 0;
  completed = 0;

  add(r: ExecutionRecord): void {
    this.total++;
    if (r.status === 'running') return;
    this.completed++;
    this.durationSum += r.duration_ms ?? 0;
    if (r.status === 'success') this.success++;
    else this.error++;
  }

  result(): GroupStats {
    return {
      total: this.total,
      success: this.success,
      error: this.error,
      success_rate: this.completed === 0 ? 0 : this.success / this.completed,
      avg_duration_ms: this.completed === 0 ? 0 : this.durationSum / this.completed,
    };
  }
}

function group(map: Map<string, Acc>, key: string, r: ExecutionRecord): void {
  if (key === '') return;
  let acc = map.get(key);
  if (!acc) map.set(key, (acc = new Acc()));
  acc.add(r);
}

function sorted(map: Map<string, Acc>): Record<string, GroupStats> {
  const out: Record<string, GroupStats> = {};
  for (const key of [...map.keys()].sort()) out[key] = (map.get(key) as Acc).result();
  return out;
}

/** Statistics over `records` (the buffer), with the ring's capacity and the lifetime counter. */
export function computeStats(
  records: readonly ExecutionRecord[],
  ring: { capacity: number; lifetime: number },
): ExecutionStats {
  const all = new Acc();
  const byHandler = new Map<string, Acc>();
  const byAgent = new Map<string, Acc>();
  for (const r of records) {
    all.add(r);
    group(byHandler, r.handler, r);
    group(byAgent, r.agent, r);
  }
  const overall = all.result();
  return {
    total_executions: overall.total,
    lifetime_executions: ring.lifetime,
    success_count: overall.success,
    error_count: overall.error,
    success_rate: overall.success_rate,
    avg_duration_ms: overall.avg_duration_ms,
    by_handler: sorted(byHandler),
    by_agent: sorted(byAgent),
    buffer_size: ring.capacity,
    buffer_utilization: ring.capacity === 0 ? 0 : records.length / ring.capacity,
  };
}
