/**
 * The master's state in etcd (HA, DESIGN §9): the same MasterState as the file store, one etcd key per
 * record under a prefix (several clusters share one etcd), every write FENCED by the leader's key.
 *
 * Key layout under PREFIX (default `/governor/`; names are URI-encoded):
 *   meta                     {version, lifetime_executions}
 *   agents/ID                AgentRecord
 *   specs/NAME               SpecEntry (all its kept versions)
 *   instances/AGENT          {handler: InstanceEntry}
 *   rollouts/ID              the rollout record
 *   deleted/NAME             {at}
 *   executions/NNNNNNNNNNNN  {first, records}: the ring in buckets of EXECUTION_BUCKET records by lifetime
 *                            index (record i of the ring has index lifetime - ring length + i), so an
 *                            ingest burst rewrites the newest bucket (and the oldest, trimmed) only.
 *   leader, masters/ID       not the store's: the election's (master/ha), see ELECTION_KEYS; never read,
 *                            written or deleted by the store.
 *
 * Writes: like the durable file, mutations are coalesced (one write in flight; the next carries everything
 * that came meanwhile). A write diffs the state against what it last wrote (per key JSON) and sends only the
 * changed keys, as ONE transaction `If(create_revision(fence.key) == fence.createRevision) Then(puts,
 * deletes)`. A write larger than one transaction may be (etcd's --max-txn-ops 128, 1.5 MiB request) is still
 * all or nothing, by a redo record (`pending/ID/…`, `planWrite`): its operations are first written as parts
 * `pending/ID/N`, then `pending/ID/commit` (one put: the moment the write takes effect), then the operations
 * themselves in several fenced transactions (specs, agents, instances, deleted, execution buckets, rollouts,
 * meta, then deletes), then the record is deleted. Loading applies a committed record that is still there
 * (`replayPending`) and ignores one without its commit (a crash before it: nothing of the write was applied).
 * So an Apply's specs and its rolling update, written together, are both stored or neither is, however many
 * handlers it changes. IDs grow (one more than the highest still stored), so records left by crashes replay in
 * the order they were written; the next write deletes them (or has them deleted by its own record).
 *
 * A failed fence (the key is gone or was re-created: another master leads) rejects every waiting caller
 * with a FencedError, emits 'fenced' once (the HA master steps down) and refuses every later write. etcd not
 * answering rejects them with an UnavailableError naming the endpoints and emits 'unavailable'. Either way
 * memory goes back to what etcd holds (as the file store does), so nothing a caller was refused lingers.
 * A transaction that timed out may still commit later (etcd had it, the answer was lost): the next write
 * first reads what etcd holds, so it undoes that too; a master that stepped down instead leaves it to the
 * next leader, who loads it (an ambiguous write, as with any store reached over a network).
 */
import { EventEmitter } from 'node:events';
import { StateError, UnavailableError, ValidationError } from '../../shared/errors.js';
import { checkMasterState, type StateOrigin } from './store-shape.js';
import { MASTER_STATE_VERSION, emptyMasterState, type MasterState, type MasterStore } from './store.js';
import { WriteCoalescer } from '../../shared/write-coalescer.js';
import { withDeadline, type EtcdConnection } from './etcd-client.js';
import type { ExecutionRecord } from './execution-stats.js';

/**
 * The leader's fence: its election key and that key's create revision (as etcd reports it, a decimal
 * string). A write commits only while that very key still exists.
 */
export interface Fence {
  key: string;
  createRevision: string;
}

/**
 * The write was refused because this master no longer holds the lead (its fence failed, or it has none).
 * UNAVAILABLE, but NOT a NotLeaderError: that one means "refused before anything was done" (clients repeat
 * the call on the leader it names), while a fenced write may end a call part-way — what the call wrote
 * before it stays (e.g. an Apply's specs, its rolling update refused) — so a client never repeats it by
 * itself (master/cli/master-failover.ts).
 */
export class FencedError extends UnavailableError {
  constructor(
    readonly fence: Fence | null,
    detail?: string,
  ) {
    super(
      detail ??
        (fence
          ? `this master lost the lead (its leadership key ${fence.key} at create revision ` +
            `${fence.createRevision} is gone); the write was refused — what the call wrote before it stays: ` +
            `check (gov ps, gov executions, gov rollout status) before repeating it on the new leader`
          : 'this master is not the leader (it holds no leadership fence); the write was refused'),
    );
  }
}

export const DEFAULT_ETCD_PREFIX = '/governor/';
/** Keys under the prefix that belong to the election (master/ha), not to the store: `leader` and `masters/…`. */
export const ELECTION_KEYS = { leader: 'leader', mastersGroup: 'masters' } as const;

/** True for a key (below the prefix) the election owns. */
function isElectionKey(rest: string): boolean {
  return rest === ELECTION_KEYS.leader || rest.startsWith(`${ELECTION_KEYS.mastersGroup}/`);
}
/** Execution records per etcd key. */
export const EXECUTION_BUCKET = 128;
/** Operations per transaction: below etcd's default --max-txn-ops (128). */
export const TXN_MAX_OPS = 120;
/** Bytes of keys + values per transaction: below etcd's default --max-request-bytes (1.5 MiB). */
export const TXN_MAX_BYTES = 1_000_000;
export const DEFAULT_ETCD_WRITE_TIMEOUT_MS = 5_000;

export interface EtcdStoreOptions {
  etcd: EtcdConnection;
  /** Key prefix, ending in '/' (default DEFAULT_ETCD_PREFIX). */
  prefix?: string;
  /** The leader's fence. Without one the store reads only: every write is refused with a FencedError. */
  fence?: Fence | null;
  /** A transaction etcd has not answered by then fails as unavailable. Default 5,000 ms. */
  writeTimeoutMs?: number;
}

export interface EtcdMasterStore extends MasterStore {
  readonly prefix: string;
  readonly fence: Fence | null;
  /** The FencedError once a write was refused by the fence (every later write is refused too). */
  readonly fenced: FencedError | null;
  /** Reads the whole prefix again into `data` (in place: references to `data` stay valid). For followers. */
  reload(): Promise<void>;
  on(event: 'fenced', fn: (err: FencedError) => void): this;
  on(event: 'unavailable', fn: (err: UnavailableError) => void): this;
  off(event: 'fenced' | 'unavailable', fn: (err: Error) => void): this;
}

/**
 * Reads the whole prefix and rebuilds the state; every key gets the file's shape checks (a wrong-shape or
 * foreign key is refused with a ValidationError naming the key and field, a newer layout version refused),
 * never loaded as empty. An empty prefix is a new, empty store. `close()` does not close the client (the
 * caller owns `etcd`, shared with the election).
 */
export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdMasterStore> {
  const prefix = opts.prefix ?? DEFAULT_ETCD_PREFIX;
  if (!prefix.startsWith('/') || !prefix.endsWith('/') || prefix.length < 2)
    throw new ValidationError(
      `etcd prefix ${JSON.stringify(prefix)}: must start and end with '/' (e.g. /governor/)`,
    );
  const store = new EtcdStore(
    opts.etcd,
    prefix,
    opts.fence ?? null,
    opts.writeTimeoutMs ?? DEFAULT_ETCD_WRITE_TIMEOUT_MS,
  );
  await store.reload();
  return store;
}

export type Op = { kind: 'put'; key: string; value: string } | { kind: 'delete'; key: string };

class EtcdStore extends EventEmitter implements EtcdMasterStore {
  readonly data: MasterState = emptyMasterState();
  /** Full key → JSON as etcd holds it (as last loaded or written by us). */
  private written = new Map<string, string>();
  private readonly coalescer = new WriteCoalescer(
    () => this.writeDiff(),
    // Memory goes back to what etcd holds: every change since is undone, so everyone waiting hears of it.
    () => replaceInPlace(this.data, decodeWritten(this.written, this.prefix)),
  );
  private closed = false;
  /** A write failed without an answer: `written` may not be what etcd holds (re-read before the next). */
  private uncertain = false;
  fenced: FencedError | null = null;
  writes = 0;
  readonly describe: string;

  constructor(
    private readonly etcd: EtcdConnection,
    readonly prefix: string,
    readonly fence: Fence | null,
    private readonly writeTimeoutMs: number,
  ) {
    super();
    this.describe = `etcd ${etcd.describe} prefix ${prefix}`;
  }

  async reload(): Promise<void> {
    await this.coalescer.idle();
    const own = await this.readOwn();
    const state = decodeState(Object.fromEntries(own), this.prefix, this.etcd.describe);
    replaceInPlace(this.data, state);
    // What etcd holds of ours: a load that needed no completion writes nothing on the first flush (one that
    // replayed a redo record writes its operations and deletes it).
    this.written = own;
    this.uncertain = false;
  }

  /** The store's keys under the prefix as etcd holds them now (one range: one revision). */
  private async readOwn(): Promise<Map<string, string>> {
    let kvs: Record<string, string>;
    try {
      kvs = await withDeadline(this.etcd.client.getAll().prefix(this.prefix).strings(), this.writeTimeoutMs);
    } catch (err) {
      this.uncertain = true;
      throw this.unavailable('read', err);
    }
    return new Map(Object.entries(kvs).filter(([k]) => !isElectionKey(k.slice(this.prefix.length))));
  }

  update(fn: (data: MasterState) => void): Promise<void> {
    fn(this.data);
    return this.flush();
  }

  flush(): Promise<void> {
    return this.coalescer.request();
  }

  /** The ring is in the state's execution buckets: a write sends the changed ones. */
  saveExecutions(): Promise<void> {
    return this.flush();
  }

  async close(): Promise<void> {
    await this.coalescer.idle();
    this.closed = true;
  }

  private async writeDiff(): Promise<void> {
    if (this.closed) throw new StateError(`the master store (${this.describe}) is closed`);
    if (this.fenced) throw this.fenced;
    if (this.uncertain && this.fence) {
      // A transaction that timed out may still have committed: diff against what etcd holds now, so this
      // write also undoes what its callers were told failed.
      this.written = await this.readOwn();
      this.uncertain = false;
    }
    const txns = planWrite(this.written, encodeState(this.data, this.prefix), this.prefix);
    if (txns.length === 0) return;
    if (!this.fence) throw new FencedError(null);
    for (const txn of txns) await this.commit(txn);
  }

  private async commit(ops: Op[]): Promise<void> {
    const { client } = this.etcd;
    const fence = this.fence as Fence;
    let succeeded: boolean;
    try {
      const res = await withDeadline(
        client
          .if(fence.key, 'Create', '==', fence.createRevision)
          .then(
            ...ops.map((o) =>
              o.kind === 'put' ? client.put(o.key).value(o.value) : client.delete().key(o.key),
            ),
          )
          .options({ deadline: Date.now() + this.writeTimeoutMs })
          .commit(),
        this.writeTimeoutMs,
      );
      succeeded = res.succeeded;
    } catch (err) {
      this.uncertain = true;
      const e = this.unavailable('write', err);
      this.emit('unavailable', e);
      throw e;
    }
    if (!succeeded) {
      this.fenced = new FencedError(fence);
      this.emit('fenced', this.fenced);
      throw this.fenced;
    }
    this.writes++;
    for (const o of ops) {
      if (o.kind === 'put') this.written.set(o.key, o.value);
      else this.written.delete(o.key);
    }
  }

  private unavailable(what: 'read' | 'write', err: unknown): UnavailableError {
    const msg = err instanceof Error ? err.message : String(err);
    return new UnavailableError(`etcd at ${this.etcd.describe}: ${what} of ${this.prefix} failed: ${msg}`, {
      cause: err,
    });
  }
}

// ---- encoding ----

const GROUPS = ['specs', 'agents', 'instances', 'deleted', 'executions', 'rollouts'] as const;
type Group = (typeof GROUPS)[number];
/** Put order of a split write (see the file comment); meta goes last. */
const PUT_ORDER: readonly string[] = [...GROUPS, 'meta'];

interface Bucket {
  first: number;
  records: ExecutionRecord[];
}

function bucketKey(prefix: string, index: number): string {
  return `${prefix}executions/${String(Math.floor(index / EXECUTION_BUCKET)).padStart(12, '0')}`;
}

/** The state as etcd keys (full key → JSON). */
export function encodeState(s: MasterState, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  out.set(
    `${prefix}meta`,
    JSON.stringify({ version: s.version, lifetime_executions: s.lifetime_executions }),
  );
  const records = (group: Group, rec: Record<string, unknown> | undefined): void => {
    for (const [k, v] of Object.entries(rec ?? {}))
      out.set(`${prefix}${group}/${encodeURIComponent(k)}`, JSON.stringify(v));
  };
  records('agents', s.agents);
  records('specs', s.specs);
  records('instances', s.instances);
  records('rollouts', s.rollouts);
  records('deleted', s.deleted);
  const base = s.lifetime_executions - s.executions.length;
  let bucket: Bucket | null = null;
  let key = '';
  s.executions.forEach((r, i) => {
    const k = bucketKey(prefix, base + i);
    if (k !== key) {
      if (bucket) out.set(key, JSON.stringify(bucket));
      key = k;
      bucket = { first: base + i, records: [] };
    }
    (bucket as Bucket).records.push(r);
  });
  if (bucket) out.set(key, JSON.stringify(bucket));
  return out;
}

/**
 * The transactions that take etcd from `before` to `after` (full key → JSON), in the order they must run:
 * one, or for a write larger than one transaction, its redo record's parts, its commit, the operations
 * (split within etcd's limits) and the record's deletion (see the file comment).
 */
export function planWrite(before: Map<string, string>, after: Map<string, string>, prefix: string): Op[][] {
  const ops = diff(before, after, prefix);
  const txns = splitTxns(ops);
  if (txns.length <= 1) return txns;
  const id = String(nextPendingId(before, prefix)).padStart(12, '0');
  const parts = pendingParts(ops).map((value, i): Op => ({
    kind: 'put',
    key: `${prefix}${PENDING}/${id}/${i}`,
    value,
  }));
  const commit: Op = {
    kind: 'put',
    key: `${prefix}${PENDING}/${id}/${COMMIT}`,
    value: JSON.stringify({ parts: parts.length }),
  };
  // The commit is deleted first: a crash part-way through the deletion leaves parts without it (ignored).
  const cleanup: Op[] = [commit, ...parts].map((o) => ({ kind: 'delete', key: o.key }));
  return [...splitTxns(parts), [commit], ...txns, ...splitTxns(cleanup)];
}

// ---- redo records of split writes ----

/** The group of redo records: `pending/ID/N` (the parts, JSON arrays of operations) and `pending/ID/commit`. */
const PENDING = 'pending';
const COMMIT = 'commit';
const PENDING_KEY = new RegExp(`^${PENDING}/(\\d{12})/(\\d+|${COMMIT})$`);

/** The redo record ID a write after `before` takes: one more than the highest stored (records replay by ID). */
function nextPendingId(before: Map<string, string>, prefix: string): number {
  let max = 0;
  for (const key of before.keys()) {
    const id = pendingKey(key, prefix)?.id;
    if (id !== undefined) max = Math.max(max, Number(id));
  }
  return max + 1;
}

/** `{id, part}` of a redo record key (`part` a number or 'commit'), undefined for any other key. */
function pendingKey(key: string, prefix: string): { id: string; part: string } | undefined {
  const m = PENDING_KEY.exec(key.slice(prefix.length));
  return m ? { id: m[1] as string, part: m[2] as string } : undefined;
}

/** Bytes of one redo record part: a transaction's, less room for its key. */
const PART_MAX_BYTES = TXN_MAX_BYTES - 1024;

/**
 * The operations as parts of at most PART_MAX_BYTES each (an operation over it alone; splitTxns refused any
 * bigger than one request). A put's value is JSON already: written as it is, not escaped into a string.
 */
function pendingParts(ops: Op[]): string[] {
  const parts: string[] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const o of ops) {
    const entry =
      o.kind === 'put'
        ? `{"put":${JSON.stringify(o.key)},"value":${o.value}}`
        : `{"delete":${JSON.stringify(o.key)}}`;
    const b = Buffer.byteLength(entry) + 1;
    if (cur.length > 0 && bytes + b > PART_MAX_BYTES) {
      parts.push(`[${cur.join(',')}]`);
      cur = [];
      bytes = 0;
    }
    cur.push(entry);
    bytes += b;
  }
  if (cur.length > 0) parts.push(`[${cur.join(',')}]`);
  return parts;
}

/**
 * The keys as they are once every committed redo record is applied, in ID order, without the records
 * themselves (a record without its commit is dropped: its write never took effect). A committed record that
 * misses a part, or a part that is not a list of operations, is refused naming the key (`where`).
 */
export function replayPending(
  kvs: Map<string, string>,
  prefix: string,
  where: string,
  /** Filled with key → the redo record part whose put gave it its value (to name it in a refusal). */
  origins?: Map<string, string>,
): Map<string, string> {
  // Nearly always none: the keys as they are (no copy per write).
  const start = `${prefix}${PENDING}/`;
  let any = false;
  for (const k of kvs.keys()) if ((any = k.startsWith(start))) break;
  if (!any) return kvs;
  const records = new Map<string, Map<string, string>>();
  const out = new Map<string, string>();
  for (const [key, value] of kvs) {
    const p = pendingKey(key, prefix);
    if (p === undefined) out.set(key, value);
    else {
      let rec = records.get(p.id);
      if (!rec) records.set(p.id, (rec = new Map()));
      rec.set(p.part, value);
    }
  }
  const refuse = (key: string, reason: string): never => {
    throw new ValidationError(
      `${where} key ${prefix}${key}: ${reason}; refusing to start — a write split over several transactions ` +
        `cannot be completed (repair or delete the key with etcdctl)`,
    );
  };
  for (const id of [...records.keys()].sort()) {
    const rec = records.get(id) as Map<string, string>;
    const commit = rec.get(COMMIT);
    if (commit === undefined) continue;
    const base = `${PENDING}/${id}/`;
    let parts: unknown;
    try {
      parts = (JSON.parse(commit) as { parts?: unknown }).parts;
    } catch {
      parts = undefined;
    }
    if (!Number.isInteger(parts) || (parts as number) < 1)
      refuse(`${base}${COMMIT}`, 'parts: expected an integer ≥ 1');
    for (let i = 0; i < (parts as number); i++) {
      const text = rec.get(String(i));
      if (text === undefined) refuse(`${base}${i}`, 'missing, though the write is committed');
      let ops: unknown;
      try {
        ops = JSON.parse(text as string);
      } catch (err) {
        return refuse(`${base}${i}`, `not valid JSON: ${(err as Error).message}`);
      }
      if (!Array.isArray(ops)) refuse(`${base}${i}`, 'expected a list of operations');
      // Only the store's own keys, never an election key (master/ha) nor a deletion of `meta` (a store has
      // one); a redo record's only deleted (an older record, replayed already).
      const ours = (key: unknown): key is string =>
        typeof key === 'string' && key.startsWith(prefix) && !isElectionKey(key.slice(prefix.length));
      for (const [n, o] of (ops as Array<Record<string, unknown>>).entries()) {
        if (ours(o?.put) && pendingKey(o.put, prefix) === undefined && 'value' in o) {
          out.set(o.put, JSON.stringify(o.value));
          origins?.set(o.put, `${prefix}${base}${i}`);
        } else if (ours(o?.delete) && o.delete !== `${prefix}meta`) {
          out.delete(o.delete);
          origins?.delete(o.delete);
        } else
          refuse(`${base}${i}`, `[${n}]: expected {put, value} or {delete} of a store key under ${prefix}`);
      }
    }
  }
  return out;
}

/**
 * The operations from `before` (etcd's keys) to `after`. Where `before` holds a committed redo record (a
 * master died before finishing its write), what it takes them to (`view`) counts too: a load replays that
 * record first, then this write's own, so this write puts what differs from either and deletes what either
 * holds (it undoes the record's changes it does not keep, and finishes the ones it does).
 */
function diff(before: Map<string, string>, after: Map<string, string>, prefix: string): Op[] {
  const view = replayPending(before, prefix, 'written');
  const puts: Op[] = [];
  for (const [key, value] of after)
    if (before.get(key) !== value || view.get(key) !== value) puts.push({ kind: 'put', key, value });
  const rank = (key: string): number => PUT_ORDER.indexOf(key.slice(prefix.length).split('/')[0] as string);
  puts.sort((a, b) => rank(a.key) - rank(b.key) || (a.key < b.key ? -1 : 1));
  const deletes: Op[] = [];
  for (const key of new Set([...before.keys(), ...view.keys()]))
    if (!after.has(key)) deletes.push({ kind: 'delete', key });
  // A redo record's commit before its parts: a deletion cut short leaves parts alone, which load ignores.
  const commitFirst = (o: Op): number => (pendingKey(o.key, prefix)?.part === COMMIT ? 0 : 1);
  deletes.sort((a, b) => commitFirst(a) - commitFirst(b));
  return [...puts, ...deletes];
}

function opBytes(o: Op): number {
  return Buffer.byteLength(o.key) + (o.kind === 'put' ? Buffer.byteLength(o.value) : 0) + 16;
}

/** Consecutive runs of ops, each within one transaction's limits, in order. */
function splitTxns(ops: Op[]): Op[][] {
  const txns: Op[][] = [];
  let cur: Op[] = [];
  let bytes = 0;
  for (const o of ops) {
    const b = opBytes(o);
    if (b > TXN_MAX_BYTES)
      throw new ValidationError(
        `etcd key ${o.key}: ${b} bytes is more than one etcd request may carry (${TXN_MAX_BYTES}); not written`,
      );
    if (cur.length > 0 && (cur.length >= TXN_MAX_OPS || bytes + b > TXN_MAX_BYTES)) {
      txns.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(o);
    bytes += b;
  }
  if (cur.length > 0) txns.push(cur);
  return txns;
}

// ---- decoding ----

/** Rebuilds the state from etcd's keys, checking every key (ValidationError naming the key and field). */
export function decodeState(raw: Record<string, string>, prefix: string, endpoints: string): MasterState {
  const origins = new Map<string, string>();
  const kvs = Object.fromEntries(
    replayPending(new Map(Object.entries(raw)), prefix, `etcd ${endpoints}`, origins),
  );
  const keys = Object.keys(kvs);
  const state = emptyMasterState();
  if (keys.length === 0) return state;
  // A value a redo record put is named where it is: the record's part (the key itself may hold another).
  const where = (key: string): string =>
    origins.has(key)
      ? `etcd ${endpoints} key ${origins.get(key)} (its put of ${key})`
      : `etcd ${endpoints} key ${key}`;
  const origin: StateOrigin = {
    refusal: `refusing to start — repair or delete the key (etcdctl), or use another prefix (an empty prefix starts empty, one that holds keys is never emptied)`,
    elsewhere: 'use another prefix',
  };
  const check = (raw: unknown, key: string): MasterState =>
    checkMasterState(raw, where(key), emptyMasterState(), origin);
  const refuse = (key: string, reason: string): never => {
    throw new ValidationError(`${where(key)}: ${reason}; ${origin.refusal}`);
  };
  const metaKey = `${prefix}meta`;
  if (kvs[metaKey] === undefined)
    throw new ValidationError(
      `etcd ${endpoints} prefix ${prefix}: holds keys (e.g. ${keys[0]}) but no ${metaKey}: not a Governor ` +
        `store; refusing to start — use another prefix`,
    );
  const parse = (key: string): unknown => {
    try {
      return JSON.parse(kvs[key] as string);
    } catch (err) {
      return refuse(key, `not valid JSON: ${(err as Error).message}`);
    }
  };
  const meta = check(parse(metaKey), metaKey);
  const buckets: Bucket[] = [];
  for (const key of keys.sort()) {
    if (key === metaKey) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    const group = rest.slice(0, slash);
    let name: string;
    try {
      name = decodeURIComponent(rest.slice(slash + 1));
    } catch {
      name = '';
    }
    if (slash <= 0 || name === '' || !(GROUPS as readonly string[]).includes(group))
      refuse(key, 'not a key of a Governor store');
    const value = parse(key);
    if (group === 'executions') {
      const b = value as Partial<Bucket>;
      if (typeof b !== 'object' || b === null || !Number.isInteger(b.first) || (b.first as number) < 0)
        refuse(key, 'first: expected an integer ≥ 0');
      const checked = check({ executions: b.records }, key);
      buckets.push({ first: b.first as number, records: checked.executions });
      continue;
    }
    // One record, checked as the file checks it (the field path names the record).
    const checked = check({ [group]: { [name]: value } }, key);
    const into = (state as unknown as Record<string, Record<string, unknown>>)[group] ?? {};
    into[name] = (checked as unknown as Record<string, Record<string, unknown>>)[group]?.[name];
    (state as unknown as Record<string, unknown>)[group] = into;
  }
  assembleExecutions(state, buckets, meta.lifetime_executions);
  return state;
}

/** The ring from its buckets (by index; a record found in two buckets is read back once). */
function assembleExecutions(state: MasterState, buckets: Bucket[], lifetime: number): void {
  buckets.sort((a, b) => a.first - b.first);
  const seen = new Map<string, number>();
  const ring: ExecutionRecord[] = [];
  let end = 0;
  for (const b of buckets) {
    for (const r of b.records) {
      const at = seen.get(r.id);
      if (at !== undefined) ring[at] = r;
      else {
        seen.set(r.id, ring.length);
        ring.push(r);
      }
    }
    end = Math.max(end, b.first + b.records.length);
  }
  state.executions = ring;
  state.lifetime_executions = Math.max(lifetime, end, ring.length);
}

/** Decodes our own last-written keys (already checked when loaded or written): the rollback target. */
function decodeWritten(written: Map<string, string>, prefix: string): MasterState {
  const state = emptyMasterState();
  const buckets: Bucket[] = [];
  let lifetime = 0;
  for (const [key, json] of replayPending(written, prefix, 'written')) {
    const rest = key.slice(prefix.length);
    if (rest === 'meta') {
      const m = JSON.parse(json) as { version: number; lifetime_executions?: number };
      lifetime = m.lifetime_executions ?? 0;
      continue;
    }
    const slash = rest.indexOf('/');
    const group = rest.slice(0, slash);
    if (group === 'executions') buckets.push(JSON.parse(json) as Bucket);
    else {
      const s = state as unknown as Record<string, Record<string, unknown> | undefined>;
      (s[group] ??= {})[decodeURIComponent(rest.slice(slash + 1))] = JSON.parse(json);
    }
  }
  assembleExecutions(state, buckets, lifetime);
  return state;
}

/** Replaces the top-level fields of `live` by those of `next` (owners hold `live` itself). */
function replaceInPlace(live: MasterState, next: MasterState): void {
  const l = live as unknown as Record<string, unknown>;
  for (const key of Object.keys(l)) if (!(key in next)) delete l[key];
  Object.assign(live, next);
  live.version = MASTER_STATE_VERSION;
}
