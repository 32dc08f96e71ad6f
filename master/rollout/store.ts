/**
 * The rollouts' part of the master store (`MasterState.rollouts`, id → record). Writes go through
 * `store.update` (durable, coalesced). On open, records are checked and a rollout that was running when
 * the master stopped (crash or shutdown) comes back `paused` with the reason: nothing continues by
 * itself after a restart; `gov rollout resume ID` carries on from its current batch. Records written before
 * rollouts covered several handlers (no `handlers`, instances without `handler`) are migrated on open.
 */
import { EventEmitter } from 'node:events';
import type { MasterState, StateStore } from '../state/store.js';
import {
  ROLLOUT_STATES,
  TERMINAL_STATES,
  covers,
  setRolloutState,
  type RolloutRecord,
  type RolloutState,
} from './types.js';

/** Finished rollouts kept (oldest dropped first); active ones are always kept. */
export const ROLLOUTS_KEPT = 200;

/** What the store tells its listeners (the watch stream): `rollout` with each record once it is saved. */
export interface RolloutStoreEvents {
  rollout: [RolloutRecord];
}

export class RolloutStore {
  /** Every rollout record saved (created or changed): its progress. */
  readonly changes = new EventEmitter<RolloutStoreEvents>();

  constructor(private readonly store: StateStore) {}

  private get map(): Record<string, RolloutRecord> {
    return this.store.data.rollouts as Record<string, RolloutRecord>;
  }

  get(id: string): RolloutRecord | undefined {
    // Own entries only: `gov rollout status constructor` must not find Object.prototype's.
    return Object.hasOwn(this.map, id) ? this.map[id] : undefined;
  }

  /** Newest first; with `handler`, the rollouts that cover it. */
  list(handler?: string): RolloutRecord[] {
    return Object.values(this.map)
      .filter((r) => !handler || covers(r, handler))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
  }

  /** Makes a record (new or mutated in place) durable. */
  async save(r: RolloutRecord): Promise<void> {
    await this.store.update((d) => this.put(d, r));
    this.saved(r);
  }

  /**
   * Puts a record into the state `d` (this store's data, inside a write someone else makes: see
   * Registry.storeSpecs); call `saved` once that write is done.
   */
  put(d: MasterState, r: RolloutRecord): void {
    d.rollouts[r.id] = r;
    const done = this.list().filter((x) => TERMINAL_STATES.has(x.state));
    for (const old of done.slice(ROLLOUTS_KEPT)) delete d.rollouts[old.id];
  }

  /** Tells the listeners of a record once it is durable. */
  saved(r: RolloutRecord): void {
    this.changes.emit('rollout', structuredClone(r));
  }

  /**
   * Drops malformed records and turns every rollout that was in flight into `paused` (interrupted);
   * returns the ids it paused for being interrupted. A rollout whose pause an operator had asked for (and
   * was told of) is paused too but not returned: a new HA leader continues the returned ones only
   * (continue.ts), so that pause is kept.
   */
  async recover(now: string): Promise<string[]> {
    const paused: string[] = [];
    await this.store.update((d) => {
      for (const [id, raw] of Object.entries(d.rollouts)) {
        if (!isRecord(raw)) {
          delete d.rollouts[id];
          continue;
        }
        const r = raw;
        migrateRollout(r);
        const pauseAsked = r.pause_requested === true;
        r.pause_requested = false;
        if (r.state === 'running' || r.state === 'pending' || r.state === 'rolling_back') {
          const was = r.state;
          r.resume_to = was === 'rolling_back' ? 'rolling_back' : 'running';
          for (const i of r.instances) {
            if (i.state === 'in_progress') {
              i.state = 'pending';
              i.reason = 'interrupted by a master restart; runs again on resume';
              // Its UPDATE may have been carried out: on resume the same command is sent again, not a new one.
              if (i.command_id) i.interrupted = true;
            }
          }
          const batch = r.batches[r.current_batch];
          if (batch?.state === 'in_progress') batch.state = 'pending';
          setRolloutState(r, 'paused', now);
          if (pauseAsked) {
            r.error = `paused: a pause was asked for while ${was} and the master stopped at or before ${now}; resume with gov rollout resume ${r.id}`;
            continue;
          }
          // A rollback still says why it rolls back (a resume puts that back alone: engine.ts `resume`).
          const cause = was === 'rolling_back' && r.error ? `${r.error}; ` : '';
          r.error = `${cause}interrupted while ${was}: the master stopped at or before ${now}; resume with gov rollout resume ${r.id}`;
          paused.push(id);
        }
      }
    });
    return paused;
  }
}

/**
 * A record from before rollouts covered several handlers: its one handler (`handler` and the versions beside
 * it) becomes `handlers`, and every instance gets `handler`.
 */
export function migrateRollout(r: RolloutRecord): void {
  if (!Array.isArray(r.handlers) || r.handlers.length === 0) {
    r.handlers = [
      {
        name: r.handler,
        from_version: r.from_version ?? 0,
        to_version: r.to_version ?? 0,
        rollback_version: r.rollback_version ?? 0,
      },
    ];
  }
  for (const i of r.instances) if (typeof i.handler !== 'string' || i.handler === '') i.handler = r.handler;
}

function isRecord(v: unknown): v is RolloutRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<RolloutRecord>;
  return (
    typeof r.id === 'string' &&
    typeof r.handler === 'string' &&
    ROLLOUT_STATES.includes(r.state as RolloutState) &&
    Array.isArray(r.batches) &&
    Array.isArray(r.instances) &&
    typeof r.created_at === 'string'
  );
}
