/**
 * The file store's execution ring, kept apart from `master.json` in an append-only journal
 * (`<dataDir>/executions.jsonl`): making one execution durable costs one small append and one fdatasync,
 * where rewriting `master.json` costs the whole state (the ring alone is ~300 KB at 1,000 records) and two
 * fsyncs — 8.5 ms against 1 ms per write on the machine it was measured on (`npm run bench -- execution-log`).
 *
 * - **Lines**: one JSON object each, `{"lifetime":N}` or `{"lifetime":N,"record":{…}}` (blank lines are
 *   skipped). Read in order, a
 *   record line replaces the record with its id where it stands, or adds it at the end (the ring's order is
 *   the order records began); the lifetime counter is the last line's. A record recorded again under an id
 *   the file still holds (it left the ring meanwhile) is therefore saved by a rewrite, not an append.
 * - **Appends** are coalesced (`shared/write-coalescer.ts`): records saved while a write runs share the
 *   next one, written as their state is then. Only records still in the ring are written (one that left it
 *   while waiting is not brought back).
 * - **Rewrites** (the ring as it is, atomically: temp + fsync + rename + directory fsync) replace the file
 *   when the journal holds three times more lines than the ring has records, when asked (`'all'`: records
 *   left other than by trimming), on open after a torn tail, and after a failed append (its tail may be
 *   torn, and memory may hold changes the failed write did not get onto disk). A failed append is first cut
 *   off the file again (truncated to its size before), so a restart does not load records whose callers
 *   were told their write failed.
 * - **A torn tail** — a last line cut short or without its newline — was never acknowledged (an append is
 *   acknowledged after its fdatasync), so it is dropped on open. A bad line before the last is refused naming
 *   the file, the line and the field: the journal is never loaded as empty.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DurableJSONFile } from '../../shared/durable-store.js';
import { ValidationError } from '../../shared/errors.js';
import { ShapeChecker } from '../../shared/shape.js';
import { WriteCoalescer } from '../../shared/write-coalescer.js';
import type { ExecutionRecord } from './execution-stats.js';
import { checkExecutionRecord } from './store-shape.js';

export const EXECUTION_JOURNAL_FILE = 'executions.jsonl';

/** The part of the master's state the journal keeps. */
export interface ExecutionRing {
  executions: ExecutionRecord[];
  lifetime_executions: number;
}

/** What a save makes durable: records of the ring that began or changed, or the whole ring. */
export type ExecutionChanges = readonly ExecutionRecord[] | 'all';

/** Lines beyond this many per record (plus a margin) make the next save a rewrite. */
const LINES_PER_RECORD = 3;
const LINE_MARGIN = 64;

export class ExecutionJournal {
  /** Records waiting for the next append (their state is read when it is written). */
  private pending = new Set<ExecutionRecord>();
  private rewriteNext = false;
  private lines: number;
  private handle: FileHandle | null = null;
  /** The file's size in bytes when `handle` is open: where a failed append is cut back to. */
  private size = 0;
  /** The record each id in the file was last written from (see `writeOnce`). */
  private onFile = new Map<string, ExecutionRecord>();
  private readonly coalescer = new WriteCoalescer(
    () => this.writeOnce(),
    () => {
      this.rewriteNext = true;
    },
  );
  /** Physical writes done (appends and rewrites: for tests and benchmarks). */
  writes = 0;

  private constructor(
    private readonly file: DurableJSONFile<unknown>,
    private readonly ring: () => ExecutionRing,
    lines: number,
  ) {
    this.lines = lines;
  }

  /**
   * Opens `file` for the ring `ring()` returns. An existing journal is read into the ring (replacing what it
   * held) and rewritten when its tail was torn; without one, the journal is created from the ring as it is
   * (an older master's `master.json` kept the ring itself) — unless `requiredBeside` names the state file
   * that left the ring to it. Throws a ValidationError for a bad line or a missing required journal.
   */
  static async open(
    file: string,
    ring: () => ExecutionRing,
    opts: { requiredBeside?: string } = {},
  ): Promise<ExecutionJournal> {
    const durable = new DurableJSONFile<unknown>(file);
    durable.cleanupTemps();
    const text = await durable.readText();
    if (text === null && opts.requiredBeside !== undefined)
      throw new ValidationError(
        `${file}: missing, while ${opts.requiredBeside} leaves the execution log to it; refusing to start — ` +
          `restore the file (or create it empty to start with an empty execution log)`,
      );
    if (text === null) {
      const journal = new ExecutionJournal(durable, ring, 0);
      await journal.rewrite();
      return journal;
    }
    const { torn, lines } = readJournal(file, text, ring());
    const journal = new ExecutionJournal(durable, ring, lines);
    journal.onFile = byId(ring().executions);
    if (torn) await journal.rewrite();
    return journal;
  }

  get filename(): string {
    return this.file.filename;
  }

  /** Resolves once `changes` (and the lifetime counter) are on disk; rejects with the write's error. */
  save(changes: ExecutionChanges): Promise<void> {
    if (changes === 'all') this.rewriteNext = true;
    else for (const r of changes) this.pending.add(r);
    return this.coalescer.request();
  }

  /** Whether memory holds changes not yet on disk (saves waiting, or a failed write to make good). */
  get unsaved(): boolean {
    return this.rewriteNext || this.pending.size > 0;
  }

  /** Waits for any write in flight, then closes the file. */
  async close(): Promise<void> {
    await this.coalescer.idle();
    await this.handle?.close();
    this.handle = null;
  }

  private async writeOnce(): Promise<void> {
    const ring = this.ring();
    if (
      this.rewriteNext ||
      this.lines > LINES_PER_RECORD * ring.executions.length + LINE_MARGIN ||
      this.recordedAgain()
    ) {
      await this.rewrite();
      return;
    }
    const held = new Set(ring.executions);
    let text = '';
    const added: ExecutionRecord[] = [];
    for (const r of this.pending) {
      if (!held.has(r)) continue;
      text += line(ring.lifetime_executions, r);
      added.push(r);
    }
    this.pending.clear();
    if (added.length === 0) text = line(ring.lifetime_executions);
    this.handle ??= await this.openForAppend();
    const handle = this.handle;
    try {
      // writeFile writes it all: a single write() may take part of it on a full disk and say so only in
      // its count (a short write), which would leave a torn line behind an acknowledged append.
      await handle.writeFile(text);
      await handle.datasync();
    } catch (err) {
      // Its callers are told it failed: take back what it got into the file, so that a restart before the
      // next write (a rewrite) does not load them. Shortening needs no free space.
      await handle
        .truncate(this.size)
        .then(() => handle.datasync())
        .catch(() => {});
      throw err;
    }
    this.size += Buffer.byteLength(text);
    this.lines += Math.max(added.length, 1);
    for (const r of added) this.onFile.set(r.id, r);
    this.writes++;
  }

  /**
   * Whether a waiting record has an id the file holds for another record: one that left the ring and was
   * recorded again (a local execution reported anew). Appended, it would read back where the first began
   * (the oldest), not where the ring has it (the newest), so the save is a rewrite.
   */
  private recordedAgain(): boolean {
    for (const r of this.pending) {
      const written = this.onFile.get(r.id);
      if (written !== undefined && written !== r) return true;
    }
    return false;
  }

  /** The file opened for appends, its size taken with it (see `size`). */
  private async openForAppend(): Promise<FileHandle> {
    const handle = await open(this.file.filename, 'a', 0o600);
    try {
      this.size = (await handle.stat()).size;
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
    return handle;
  }

  /** Replaces the file with the ring as it is now. */
  private async rewrite(): Promise<void> {
    const { executions, lifetime_executions } = this.ring();
    this.pending.clear();
    this.rewriteNext = false;
    let text = line(lifetime_executions);
    for (const r of executions) text += line(lifetime_executions, r);
    try {
      await this.file.writeText(text);
    } catch (err) {
      this.rewriteNext = true;
      throw err;
    }
    // The append handle points at the file the rename replaced: never append through it again.
    const stale = this.handle;
    this.handle = null;
    await stale?.close().catch(() => {});
    this.lines = executions.length + 1;
    this.onFile = byId(executions);
    this.writes++;
  }
}

function byId(records: readonly ExecutionRecord[]): Map<string, ExecutionRecord> {
  return new Map(records.map((r) => [r.id, r]));
}

function line(lifetime: number, record?: ExecutionRecord): string {
  return JSON.stringify(record ? { lifetime, record } : { lifetime }) + '\n';
}

/**
 * What a refused journal line tells the operator: moving the journal away does not start the master (a store that
 * leaves the log to it requires it, see `open`), an empty one does.
 */
const JOURNAL_REFUSAL =
  'refusing to start — repair the line, or replace the file with an empty one to start with an empty execution log (it is never emptied for you)';

/**
 * Reads the journal's text into `ring` (replacing its records and counter). Returns whether the tail was
 * torn (dropped) and how many lines were read.
 */
function readJournal(file: string, text: string, ring: ExecutionRing): { torn: boolean; lines: number } {
  const parts = text.split('\n');
  // A complete journal ends with a newline: the last part is empty. Anything else there was cut short.
  let torn = parts.pop() !== '';
  const byId = new Map<string, ExecutionRecord>();
  let lifetime = 0;
  const c = new ShapeChecker(file, JOURNAL_REFUSAL);
  for (let i = 0; i < parts.length; i++) {
    const at = `line ${i + 1}`;
    if ((parts[i] as string).trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(parts[i] as string);
    } catch (err) {
      if (i === parts.length - 1 && !torn) {
        // The last line, cut inside its JSON (its newline reached the disk, its text not all of it).
        torn = true;
        break;
      }
      c.fail(at, `not valid JSON (${(err as Error).message})`);
    }
    const entry = c.object(at, parsed);
    lifetime = c.number(`${at}.lifetime`, entry.lifetime);
    if (entry.record === undefined) continue;
    checkExecutionRecord(c, `${at}.record`, entry.record);
    const rec = entry.record as ExecutionRecord;
    byId.set(rec.id, rec); // a Map keeps a key where it was first set: the record stays where it began
  }
  ring.executions = [...byId.values()];
  ring.lifetime_executions = Math.max(lifetime, ring.executions.length);
  return { torn, lines: parts.length };
}
