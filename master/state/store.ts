/**
 * The master's durable state, in its data dir under the data-dir lock (one master per dir): `master.json`,
 * written through the durable lowdb adapter (atomic temp + fsync + rename, coalesced writes), holds the
 * registry (agents, specs, instances) and the rollouts; each owner mutates its own part and calls `flush()`
 * (or `update()`) to make it durable. The execution ring is kept in `executions.jsonl`, an append-only
 * journal (`execution-journal.ts`), made durable by `saveExecutions()`.
 */
import path from 'node:path';
import { DurableStore } from '../../shared/durable-store.js';
import { EXECUTION_JOURNAL_FILE, ExecutionJournal, type ExecutionChanges } from './execution-journal.js';
import { lockDataDir, type DirLock } from '../../shared/lock.js';
import { StateError } from '../../shared/errors.js';
import { checkMasterState } from './store-shape.js';
import type { HandlerSpec } from '../../shared/spec.js';
import type { InstanceStatus } from '../../proto/generated/governor/v1/InstanceStatus.js';
import type { ExecutionRecord } from './execution-stats.js';

/** Bumped when the file layout changes incompatibly; a newer file is refused rather than misread. */
export const MASTER_STATE_VERSION = 1;
export const MASTER_STATE_FILE = 'master.json';

export interface AgentRecord {
  /** Agent id: the CN of its client certificate. */
  id: string;
  hostname: string;
  /** Set by an admin (`gov agents label`): the only labels handler selectors match. */
  labels: Record<string, string>;
  /**
   * What the agent declared in its hello (`--labels`), bounded: shown, never used to select specs. A record
   * written before this field existed has it filled from `labels` on open (see Registry).
   */
  reported_labels: Record<string, string>;
  version: string;
  /** How the agent tracks handler processes (Hello.tracking): cgroup | pgroup; absent: not reported. */
  tracking?: Tracking;
  connected: boolean;
  /** Last message from the agent, ISO-8601; '' if it never connected. */
  last_seen: string;
  /** Set by `gov agents revoke`; a revoked agent is refused from then on. */
  revoked: boolean;
  /**
   * Handler names this agent is known to have, sorted: assigned to it by a push, or reported in its hellos
   * (cached specs, instances). Only names with a spec or a deletion record are kept (Registry.noteHandlers):
   * what Registry.removalsFor may name to this agent, and nothing else.
   */
  handlers?: string[];
}

/** How an agent tracks a handler's processes (DESIGN §9): its own cgroup per handler, or process groups. */
export type Tracking = 'cgroup' | 'pgroup';
export const TRACKINGS: readonly Tracking[] = ['cgroup', 'pgroup'];

export interface SpecVersion {
  version: number;
  /** `specHash(spec)`: sha256 of the canonical JSON of the spec. */
  hash: string;
  spec: HandlerSpec;
  /** ISO-8601. */
  applied_at: string;
  /** Set when the master adopted the spec from an agent's report (it had no record of it), not from an admin. */
  adopted?: boolean;
}

export interface SpecEntry {
  name: string;
  /** Oldest first; the last one is the current spec. Bounded (see SPEC_HISTORY in registry-specs.ts). */
  versions: SpecVersion[];
}

export interface InstanceEntry {
  /** Last status the agent reported. */
  status: InstanceStatus;
  /** When the master received it, ISO-8601. */
  reported_at: string;
}

export interface MasterState {
  version: number;
  agents: Record<string, AgentRecord>;
  specs: Record<string, SpecEntry>;
  /** agent id → handler → last reported status. */
  instances: Record<string, Record<string, InstanceEntry>>;
  /** The execution ring, oldest first (see execution-log.ts). */
  executions: ExecutionRecord[];
  lifetime_executions: number;
  /** Reserved for the rollout feature (owned by master/rollout*). */
  rollouts: Record<string, unknown>;
  /**
   * File store only: the journal that keeps the execution ring (`executions.jsonl`, execution-journal.ts),
   * named once it exists — a master.json that names it is never opened without it.
   */
  execution_journal?: string;
  /** Handler names an admin deleted (and did not apply again), with when: see Registry.deleteSpec. */
  deleted?: Record<string, { at: string }>;
}

export function emptyMasterState(): MasterState {
  return {
    version: MASTER_STATE_VERSION,
    agents: {},
    specs: {},
    instances: {},
    executions: [],
    lifetime_executions: 0,
    rollouts: {},
  };
}

/** The narrow store seam the registry and execution log depend on (tests may pass a fake). */
export interface StateStore {
  readonly data: MasterState;
  /** Applies `fn` now; resolves once a write including it is on disk. */
  update(fn: (data: MasterState) => void): Promise<void>;
  /**
   * Resolves once a write started after this call (so including every mutation so far; the execution
   * ring's, which the log saves itself, when a save of them failed or waits) is on disk.
   */
  flush(): Promise<void>;
  /**
   * Resolves once the execution ring's `changes` (records of `data.executions` that began or changed, or
   * `'all'` when records left other than by trimming) and `lifetime_executions` are on disk. A failure
   * rejects; whether memory is put back depends on the store (the file store's journal keeps it and writes
   * the whole ring next), so the execution log undoes what it must itself.
   */
  saveExecutions(changes: ExecutionChanges): Promise<void>;
}

/**
 * Where the master keeps its state: the durable file (default, `openMasterStore`) or etcd (HA,
 * `openEtcdStore` in etcd-store.ts). Both hold the whole MasterState in memory (`data`) and make each
 * mutation durable through `update()` / `flush()` with coalesced writes; a write that fails rejects its
 * callers and puts memory back to what is stored.
 */
export interface MasterStore extends StateStore {
  /** Where the state lives, for messages: `file /x/master.json` or `etcd 127.0.0.1:2379 prefix /governor/`. */
  readonly describe: string;
  /** Physical writes done so far (a file write, an etcd transaction: for tests and benchmarks). */
  readonly writes: number;
  /** Waits for pending writes, then releases what the store holds (the data-dir lock). Idempotent. */
  close(): Promise<void>;
}

class FileMasterStore implements MasterStore {
  private closing = false;
  /** Closed: writes are refused (see refusedClosed). */
  private closed = false;
  readonly describe: string;
  constructor(
    file: string,
    private readonly store: DurableStore<MasterState>,
    private readonly journal: ExecutionJournal,
    private readonly lock: DirLock,
  ) {
    this.describe = `file ${file}`;
  }

  get data(): MasterState {
    return this.store.data;
  }

  get writes(): number {
    return this.store.writes + this.journal.writes;
  }

  saveExecutions(changes: ExecutionChanges): Promise<void> {
    return this.refusedClosed() ?? this.journal.save(changes);
  }

  update(fn: (data: MasterState) => void): Promise<void> {
    return this.refusedClosed() ?? this.store.update(fn);
  }

  flush(): Promise<void> {
    const refused = this.refusedClosed();
    if (refused) return refused;
    const written = this.store.flush();
    if (!this.journal.unsaved) return written;
    return Promise.all([written, this.journal.save([])]).then(() => {});
  }

  /**
   * Once closed, a write is refused (and memory left as it is): the files are no longer this process's to
   * write once the lock is released, and a late write would reopen the journal behind the next master.
   * Writes asked for while close() waits are still made, as the etcd store's are.
   */
  private refusedClosed(): Promise<never> | null {
    if (!this.closed) return null;
    return Promise.reject(new StateError(`the master store (${this.describe}) is closed`));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.store.close();
      await this.journal.close();
    } finally {
      this.closed = true;
      this.lock.release();
    }
  }
}

/** The keys of MasterState the execution journal keeps (never written to `master.json`). */
const JOURNAL_KEYS = ['executions', 'lifetime_executions'] as const;

/**
 * Takes the data-dir lock (a second master on the same dir gets a LockedError naming the holder's PID)
 * and loads `<dataDir>/master.json` and the execution journal, creating them on first use. A file of the
 * wrong shape is refused (ValidationError naming the file and the field; see store-shape.ts), never loaded
 * as empty. A `master.json` that still holds executions (an older master's) hands them to a new journal
 * and is rewritten without them; when the journal exists already, it is what counts. A journal missing
 * beside a `master.json` that left the executions to it is refused (an audit trail is never silently
 * emptied; an empty `executions.jsonl` starts an empty log).
 */
export async function openMasterStore(dataDir: string, opts: { owner?: string } = {}): Promise<MasterStore> {
  const lock = lockDataDir(dataDir, opts.owner ?? 'governor master');
  const file = path.join(dataDir, MASTER_STATE_FILE);
  try {
    const store = await DurableStore.open<MasterState>(file, emptyMasterState(), {
      validate: (raw, f) => checkMasterState(raw, f, emptyMasterState()),
      external: JOURNAL_KEYS,
    });
    const held = store.data.executions.length > 0 || store.data.lifetime_executions > 0;
    const named = store.data.execution_journal;
    const journal = await ExecutionJournal.open(
      path.join(dataDir, EXECUTION_JOURNAL_FILE),
      () => store.data,
      {
        requiredBeside: named !== undefined ? file : undefined,
      },
    );
    // master.json names its journal once the journal exists (created above when it did not).
    store.data.execution_journal = EXECUTION_JOURNAL_FILE;
    if (held || named === undefined) await store.flush();
    return new FileMasterStore(file, store, journal, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}
