/**
 * The execution log (DESIGN §4): every command carried out for an admin or a rollout is a record in a
 * bounded ring (default 1,000) with a lifetime counter, persisted in the master store.
 *
 * - `begin()` records a `running` execution and writes it in the background.
 *   `beginDurably()` also waits for that write: the dispatcher sends a command only once its record is
 *   on disk, so a command whose record cannot be written is refused, never carried out unrecorded.
 * - `complete()` resolves only once the completed record is on disk. Completions in a burst share one
 *   write (the store coalesces), so 100 completions in flight cost one or two fsyncs, not 100.
 * - Each durable point saves just the records it changed (`StateStore.saveExecutions`: the file store
 *   appends them to its execution journal). A store that fails a write may or may not put memory back;
 *   the log undoes itself what must not stay (a record whose first write failed, an uncorrected late answer).
 * - Records still `running` when the master stops are marked `error` ("interrupted") on the next open.
 * - The execution log ends up true (DESIGN §8.10): a record the master completed without the agent's
 *   answer (it gave up: timeout, disconnect, master restart) is `unanswered`; when the agent's answer
 *   comes later (agents keep results until acknowledged and re-send them after reconnecting),
 *   `completeLate()` replaces the outcome with the agent's — `success`, or `error` with the agent's
 *   error — marks it `late`, keeps the give-up error in `note`, and persists it. Stats follow (they are
 *   computed from the records).
 * - The ring holds `capacity` completed records: a trim drops the oldest completed ones and never a
 *   running one (DESIGN §4: an execution whose result is returned to a caller is on disk, so its completion
 *   must find its record). Running records are bounded by what is in flight, so the ring exceeds
 *   `capacity` by at most that many.
 * - Records an agent reported (`recordDone` with a share) may hold only their share of the ring: beyond it
 *   the reporter's own oldest report leaves, so one agent's reports never evict anybody else's records.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { sinceMs } from '../../shared/durations.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import {
  computeStats,
  EXECUTION_STATUSES,
  type ExecutionRecord,
  type ExecutionStats,
  type FinalStatus,
} from './execution-stats.js';
import type { StateStore } from './store.js';

export type { ExecutionRecord, ExecutionStats, ExecutionStatus, FinalStatus } from './execution-stats.js';

export const DEFAULT_EXECUTION_CAPACITY = 1000;
export const DEFAULT_QUERY_LIMIT = 50;
const FINAL_STATUSES: ReadonlySet<string> = new Set<FinalStatus>(['success', 'error', 'timeout']);
export const INTERRUPTED_ERROR = 'interrupted: the master stopped before the execution completed';

export interface ExecutionLogOptions {
  /** Ring capacity (default 1,000). */
  capacity?: number;
  /** Clock in epoch ms (tests inject one so durations are exact). */
  now?: () => number;
  /** Id generator (default: a random UUID). */
  newId?: () => string;
}

/**
 * What one reporter's records may hold of the ring (see `recordDone`): `holds` tells its records, `max`
 * how many of them are kept.
 */
export interface ReporterShare {
  holds: (r: ExecutionRecord) => boolean;
  max: number;
}

export interface BeginExecution {
  kind: string;
  handler?: string;
  agent?: string;
  issued_by: string;
  rollout_id?: string;
  params_summary?: string;
}

export interface ExecutionOutcome {
  status: FinalStatus;
  result?: string;
  error?: string;
  /** The master gave up without the agent's answer to a command it sent (a late answer may correct it). */
  unanswered?: boolean;
}

/** What `completeLate()` did with an agent's late answer. */
export type LateOutcome =
  | { corrected: ExecutionRecord }
  /** Nothing to correct: unknown id, answered already, or another agent's execution. */
  | { ignored: string };

/** Query filters; all given filters must match (AND). Empty strings and a 0 limit mean "not set". */
export interface ExecutionFilter {
  handler?: string;
  agent?: string;
  kind?: string;
  /** running | success | error | timeout. */
  status?: string;
  /** A Date, epoch ms, an ISO-8601 time, or a duration ago (`10m`). */
  since?: Date | number | string;
  /** Maximum records returned (default 50). */
  limit?: number;
  /** Paging: only records older than the one with this id (none when it left the ring). */
  after?: string;
}

export interface ExecutionPage {
  /** Number of records returned. */
  count: number;
  /** Newest first. */
  records: ExecutionRecord[];
}

/**
 * What the log tells its listeners (the watch stream, the Prometheus counters): `execution` with a copy of
 * a record each time one begins, completes, is corrected by a late answer, or is recorded already over.
 */
export interface ExecutionLogEvents {
  execution: [ExecutionRecord];
}

interface Compiled {
  handler?: string;
  agent?: string;
  kind?: string;
  statuses?: ReadonlySet<string>;
  sinceMs?: number;
  limit: number;
  after?: string;
}

export class ExecutionLog {
  readonly capacity: number;
  private readonly now: () => number;
  private readonly newId: () => string;
  /** Running records by id (the same objects as in the ring), with their start time in ms. */
  private readonly running = new Map<string, { rec: ExecutionRecord; startMs: number }>();
  /** Every record that begins or ends (see ExecutionLogEvents). */
  readonly changes = new EventEmitter<ExecutionLogEvents>();

  constructor(
    private readonly store: StateStore,
    opts: ExecutionLogOptions = {},
  ) {
    const capacity = opts.capacity ?? DEFAULT_EXECUTION_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new ValidationError(`execution log capacity must be an integer ≥ 1, got ${capacity}`);
    this.capacity = capacity;
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
    // Cut as the previous master held it (its running records exempt), then those closed as interrupted:
    // the ring reads back as it was, and the next trim drops the oldest completed ones, these among them.
    this.trim();
    this.markInterrupted();
  }

  private get ring(): ExecutionRecord[] {
    return this.store.data.executions;
  }

  get lifetime(): number {
    return this.store.data.lifetime_executions;
  }

  /** Number of records held. */
  get size(): number {
    return this.ring.length;
  }

  /**
   * Records a new `running` execution and returns a copy of it; it is written in the background (a failed
   * write is left to the next: see StateStore.saveExecutions).
   */
  begin(input: BeginExecution): ExecutionRecord {
    const rec = this.beginInRing(input);
    this.store.saveExecutions([rec]).catch(() => {});
    return { ...rec };
  }

  /** `begin()`, returning the ring's own record. */
  private beginInRing(input: BeginExecution): ExecutionRecord {
    const startMs = this.now();
    const rec: ExecutionRecord = {
      id: this.newId(),
      kind: input.kind,
      handler: input.handler ?? '',
      agent: input.agent ?? '',
      issued_by: input.issued_by,
      started_at: new Date(startMs).toISOString(),
      status: 'running',
      // The master sends each command once (proto AgentCommand): a retry is a new execution.
      attempt: 1,
      max_attempts: 1,
      params_summary: input.params_summary ?? '',
    };
    if (input.rollout_id) rec.rollout_id = input.rollout_id;
    this.ring.push(rec);
    this.store.data.lifetime_executions++;
    this.running.set(rec.id, { rec, startMs });
    this.trim();
    this.changes.emit('execution', { ...rec });
    return rec;
  }

  /**
   * `begin()`, then resolves once the `running` record is on disk — so a command is only sent when its
   * record exists. If the write fails the record is gone and this rejects.
   */
  async beginDurably(input: BeginExecution): Promise<ExecutionRecord> {
    const rec = this.beginInRing(input);
    try {
      await this.store.saveExecutions([rec]);
    } catch (err) {
      this.running.delete(rec.id);
      this.forget(rec.id);
      throw err;
    }
    return { ...rec };
  }

  /**
   * Takes a record whose first write failed out of the ring (and the lifetime count) — unless the store
   * put memory back already (then it is not there).
   */
  private forget(id: string): void {
    const i = this.ring.findIndex((r) => r.id === id);
    if (i < 0) return;
    this.ring.splice(i, 1);
    this.store.data.lifetime_executions--;
  }

  /**
   * Completes a running execution; resolves with it once it is on disk. The first completion wins: a
   * second call for the same id resolves with the record as first completed. Unknown id → NotFoundError.
   */
  async complete(id: string, outcome: ExecutionOutcome): Promise<ExecutionRecord> {
    if (!FINAL_STATUSES.has(outcome.status))
      throw new ValidationError(`an execution completes as success, error or timeout, not ${outcome.status}`);
    const entry = this.running.get(id);
    if (!entry) {
      const done = this.get(id);
      if (!done) throw new NotFoundError(`execution ${id} is not in the execution log`);
      await this.store.saveExecutions([]); // the first completion's write may still be under way
      return done;
    }
    this.running.delete(id);
    const endMs = this.now();
    // The ring's copy, looked up again: a failed write since begin() may have replaced the objects.
    const finish = (): ExecutionRecord => {
      const rec = this.findInRing(id) ?? entry.rec;
      rec.status = outcome.status;
      rec.completed_at = new Date(endMs).toISOString();
      rec.duration_ms = Math.max(0, endMs - entry.startMs);
      if (outcome.result !== undefined) rec.result = outcome.result;
      if (outcome.error !== undefined) rec.error = outcome.error;
      else if (outcome.status !== 'success') rec.error = outcome.status;
      if (outcome.unanswered && outcome.status !== 'success') rec.unanswered = true;
      return rec;
    };
    const rec = finish();
    this.changes.emit('execution', { ...rec });
    try {
      // Running records are never trimmed; one gone meanwhile was taken out by a failed first write.
      if (this.findInRing(id)) await this.store.saveExecutions([rec]);
    } catch (err) {
      // The outcome happened: keep it (a store may have put memory back) so the next write records it.
      finish();
      throw err;
    }
    return { ...rec };
  }

  /**
   * The agent `agent` answered execution `id` after the master had given up on it: the record takes the
   * agent's outcome (what was really done), `late: true`, the give-up error in `note`, and the answer's
   * time as `completed_at`; resolves once on disk. Only an `unanswered` record of that same agent changes.
   */
  async completeLate(id: string, agent: string, outcome: ExecutionOutcome): Promise<LateOutcome> {
    const rec = this.findInRing(id);
    if (!rec) return { ignored: `execution ${id} is not in the execution log` };
    if (rec.agent !== agent)
      return { ignored: `execution ${id} was sent to agent ${rec.agent}, not ${agent}` };
    if (!rec.unanswered) return { ignored: `execution ${id} already has its answer (${rec.status})` };
    const endMs = this.now();
    const before = { ...rec };
    rec.note = rec.error ?? rec.status;
    rec.status = outcome.status;
    delete rec.unanswered;
    rec.late = true;
    delete rec.result;
    delete rec.error;
    if (outcome.result !== undefined) rec.result = outcome.result;
    if (outcome.error !== undefined) rec.error = outcome.error;
    else if (outcome.status !== 'success') rec.error = outcome.status;
    rec.completed_at = new Date(endMs).toISOString();
    rec.duration_ms = Math.max(0, endMs - Date.parse(rec.started_at));
    try {
      await this.store.saveExecutions([rec]);
    } catch (err) {
      // Not corrected, in memory either: the agent is not acknowledged and sends its answer again.
      const now = this.findInRing(id);
      if (now) {
        for (const k of Object.keys(now)) delete (now as unknown as Record<string, unknown>)[k];
        Object.assign(now, before);
      }
      throw err;
    }
    this.changes.emit('execution', { ...rec });
    return { corrected: { ...rec } };
  }

  /**
   * Records an execution that is already over, carried out without the master (an agent's local control
   * command), under the id its reporter gave it; resolves once on disk. An id the ring holds already is
   * not recorded again (`false`): a reporter that sends it twice (its acknowledgement was lost) is answered
   * all the same. With `share`, the ring holds at most `share.max` records `share.holds` matches (the
   * reporter's own reports): the oldest of them leaves first, so a reporter's flood evicts its own.
   */
  async recordDone(rec: ExecutionRecord, share?: ReporterShare): Promise<boolean> {
    if (this.findInRing(rec.id)) {
      await this.store.saveExecutions([]); // its first write may still be under way
      return false;
    }
    const evicted = share ? this.evictOwn(share) : false;
    const held = { ...rec };
    this.ring.push(held);
    this.store.data.lifetime_executions++;
    this.trim();
    try {
      // Records that left other than by the trim must leave the disk too: the journal still holding them
      // would read them back on open, and that trim would drop older records of others instead.
      await this.store.saveExecutions(evicted ? 'all' : [held]);
    } catch (err) {
      this.forget(rec.id); // the reporter is not acknowledged and sends it again
      throw err;
    }
    this.changes.emit('execution', { ...rec });
    return true;
  }

  /**
   * Makes room for one more of a reporter's records within its share (its oldest completed ones leave);
   * true when any left.
   */
  private evictOwn(share: ReporterShare): boolean {
    const ring = this.ring;
    const max = Math.max(1, Math.floor(share.max));
    const own: number[] = [];
    for (let i = 0; i < ring.length; i++) {
      const r = ring[i] as ExecutionRecord;
      if (r.status !== 'running' && share.holds(r)) own.push(i);
    }
    const excess = own.length - (max - 1);
    if (excess <= 0) return false;
    const drop = new Set(own.slice(0, excess));
    // In place: the store's array is the ring.
    let w = 0;
    for (let i = 0; i < ring.length; i++) if (!drop.has(i)) ring[w++] = ring[i] as ExecutionRecord;
    ring.length = w;
    return true;
  }

  private findInRing(id: string): ExecutionRecord | undefined {
    const ring = this.ring;
    for (let i = ring.length - 1; i >= 0; i--) if (ring[i]?.id === id) return ring[i];
    return undefined;
  }

  /** A copy of one record, or undefined. */
  get(id: string): ExecutionRecord | undefined {
    const live = this.running.get(id);
    if (live) return { ...live.rec };
    for (let i = this.ring.length - 1; i >= 0; i--) {
      const r = this.ring[i] as ExecutionRecord;
      if (r.id === id) return { ...r };
    }
    return undefined;
  }

  /** Records matching every given filter, newest first; filters apply before the limit. */
  query(filter: ExecutionFilter = {}): ExecutionPage {
    return this.select(this.compile(filter));
  }

  /** The errors view: failed executions (error or timeout), newest first. */
  errors(limit?: number): ExecutionPage {
    const c = this.compile({ limit });
    c.statuses = new Set(['error', 'timeout']);
    return this.select(c);
  }

  stats(): ExecutionStats {
    return computeStats(this.ring, { capacity: this.capacity, lifetime: this.lifetime });
  }

  /**
   * Removes every completed record (running ones stay, so their completion is still recorded) and
   * resolves with how many were removed once that is on disk. The lifetime counter is kept.
   */
  async clear(): Promise<number> {
    const before = this.ring;
    const kept = before.filter((r) => r.status === 'running');
    this.store.data.executions = kept;
    try {
      await this.store.saveExecutions('all');
    } catch (err) {
      // Not cleared: the removed records come back where they were (the ring is in the order records
      // began), then those that began meanwhile. A store that put memory back holds them already.
      const now = this.ring;
      const nowIds = new Set(now.map((r) => r.id));
      if (before.some((r) => !kept.includes(r) && nowIds.has(r.id))) throw err;
      const wasHeld = new Set(before);
      this.store.data.executions = [
        // A kept one may have left meanwhile (a failed first write).
        ...before.filter((r) => !kept.includes(r) || nowIds.has(r.id)),
        ...now.filter((r) => !wasHeld.has(r)),
      ];
      throw err;
    }
    return before.length - kept.length;
  }

  private select(c: Compiled): ExecutionPage {
    const records: ExecutionRecord[] = [];
    const ring = this.ring;
    let from = ring.length - 1;
    if (c.after !== undefined) {
      // Oldest records leave the ring first: a cursor that left it means every older record left too.
      const at = ring.findIndex((r) => r.id === c.after);
      from = at - 1;
    }
    for (let i = from; i >= 0 && records.length < c.limit; i--) {
      const r = ring[i] as ExecutionRecord;
      if (c.handler !== undefined && r.handler !== c.handler) continue;
      if (c.agent !== undefined && r.agent !== c.agent) continue;
      if (c.kind !== undefined && r.kind !== c.kind) continue;
      if (c.statuses !== undefined && !c.statuses.has(r.status)) continue;
      if (c.sinceMs !== undefined && Date.parse(r.started_at) < c.sinceMs) continue;
      records.push({ ...r });
    }
    return { count: records.length, records };
  }

  private compile(f: ExecutionFilter): Compiled {
    const c: Compiled = { limit: DEFAULT_QUERY_LIMIT };
    if (f.handler) c.handler = f.handler;
    if (f.agent) c.agent = f.agent;
    if (f.after) c.after = f.after;
    if (f.kind) c.kind = f.kind;
    if (f.status) {
      if (!(EXECUTION_STATUSES as readonly string[]).includes(f.status))
        throw new ValidationError(
          `status: ${JSON.stringify(f.status)} is not a status (use one of ${EXECUTION_STATUSES.join(', ')})`,
          { fields: ['status'] },
        );
      c.statuses = new Set([f.status]);
    }
    if (f.since !== undefined && f.since !== '') c.sinceMs = this.parseSince(f.since);
    if (f.limit !== undefined && f.limit !== 0) {
      if (!Number.isInteger(f.limit) || f.limit < 0)
        throw new ValidationError(`limit: ${JSON.stringify(f.limit)} must be a whole number ≥ 1`, {
          fields: ['limit'],
        });
      c.limit = f.limit;
    }
    return c;
  }

  private parseSince(since: Date | number | string): number {
    const bad = (): never => {
      throw new ValidationError(
        `since: ${JSON.stringify(since)} is neither an ISO-8601 time (2025-01-31T12:00:00Z) ` +
          `nor a duration ago (e.g. 30s, 10m, 2h)`,
        { fields: ['since'] },
      );
    };
    if (since instanceof Date) return Number.isFinite(since.getTime()) ? since.getTime() : bad();
    if (typeof since === 'number') return Number.isFinite(since) ? since : bad();
    return sinceMs(since, this.now()) ?? bad();
  }

  /**
   * Drops the oldest completed records beyond capacity. A running one stays: its completion is returned
   * to a caller and must be persisted with it (DESIGN §4), and listed.
   */
  private trim(): void {
    const ring = this.ring;
    let excess = ring.length - this.capacity;
    if (excess <= 0) return;
    let w = 0;
    for (let i = 0; i < ring.length; i++) {
      const r = ring[i] as ExecutionRecord;
      if (excess > 0 && r.status !== 'running') excess--;
      else ring[w++] = r;
    }
    ring.length = w;
  }

  /**
   * Records left `running` by a previous master can never complete: they become errors, written in the
   * background (should that write fail, a later one carries them, or the next open marks them again).
   */
  private markInterrupted(): void {
    const nowIso = new Date(this.now()).toISOString();
    const marked = this.ring.filter((r) => r.status === 'running');
    for (const r of marked) {
      r.status = 'error';
      r.error = INTERRUPTED_ERROR;
      r.unanswered = true; // it may have been sent: the agent's answer can still come
      r.completed_at = nowIso;
      r.duration_ms = Math.max(0, this.now() - Date.parse(r.started_at));
    }
    if (marked.length > 0) this.store.saveExecutions(marked).catch(() => {});
  }
}
