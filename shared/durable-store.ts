/**
 * Durable JSON persistence: atomic temp-file + fsync + rename + directory fsync, with writes coalesced so
 * that many mutations in a burst cost one or two disk writes. `kill -9` at any moment leaves either the
 * previous or the new file, never a torn one.
 *
 * A write that fails (ENOSPC, EIO, …) changes nothing: its temp file is removed, memory is put back to
 * what is on disk (the last committed state), and every caller whose change was rolled back is rejected
 * with the error. The rollback replaces the root object's top-level fields in place: a reference to
 * `data` itself stays valid, references to objects below it do not — owners look those up again after
 * an await (see ExecutionLog). In `retry` mode (the agent, which must keep supervising) changes are never
 * lost instead: memory is kept as it is and written again with backoff until the disk takes it, and
 * callers are never rejected.
 */
import { constants as bufferConstants } from 'node:buffer';
import { promises as fs, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { DATA_DIR_MODE, ensureDir } from './private-files.js';
import { errorMessage } from './errors.js';
import { WriteCoalescer } from './write-coalescer.js';

/** The longest string Node can make: a larger file cannot be read as one text. */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

/** A lowdb-compatible adapter that writes atomically and durably (lowdb's own TextFile does not fsync). */
export class DurableJSONFile<T> implements Adapter<T> {
  private seq = 0;
  constructor(readonly filename: string) {}

  async read(): Promise<T | null> {
    const text = await this.readText();
    return text === null ? null : this.parse(text);
  }

  /**
   * The file's text, or null when it does not exist. Any other failure names the file: one larger than a
   * JavaScript string can hold is refused before it is read (reading it failed with "Invalid string length").
   */
  async readText(): Promise<string | null> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.filename, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.unreadable(err);
    }
    let size: number;
    try {
      size = (await fh.stat()).size;
      if (size <= MAX_STRING_LENGTH) return await fh.readFile('utf8');
    } catch (err) {
      throw this.unreadable(err);
    } finally {
      await fh.close();
    }
    throw new Error(
      `state file ${this.filename} cannot be read: ${size} bytes, more than one text can hold ` +
        `(${MAX_STRING_LENGTH} characters); nothing was changed — move it away or trim it`,
    );
  }

  private unreadable(err: unknown): Error {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
    return new Error(`state file ${this.filename} cannot be read: ${why}; nothing was changed`, {
      cause: err,
    });
  }

  parse(text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`state file ${this.filename} is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  write(data: T): Promise<void> {
    return this.writeText(JSON.stringify(data));
  }

  /** Writes `text` atomically; on failure the temp file is removed and the old file is left as it was. */
  async writeText(text: string): Promise<void> {
    const dir = path.dirname(this.filename);
    const tmp = `${this.filename}.${process.pid}.${++this.seq}.tmp`;
    let renamed = false;
    try {
      const fh = await fs.open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, this.filename);
      renamed = true;
    } catch (err) {
      if (!renamed) await fs.unlink(tmp).catch(() => {});
      throw err;
    }
    // Renamed: the new file is what a reader (and a restart) sees, so the write counts as done. Syncing the
    // directory makes the rename survive a power loss; a failure there is retried by the next write.
    try {
      const dh = await fs.open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch {
      /* see above */
    }
  }

  /** Removes temp files left by a process killed mid-write. */
  cleanupTemps(): void {
    const dir = path.dirname(this.filename);
    const base = path.basename(this.filename);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith(base + '.') && name.endsWith('.tmp')) {
        try {
          unlinkSync(path.join(dir, name));
        } catch {
          /* already gone */
        }
      }
    }
  }
}

export interface DurableStoreOptions<T> {
  /**
   * Top-level keys another file keeps (the master's execution journal): left out of this file's writes
   * and never rolled back. A file that holds them still loads them (an older layout).
   */
  external?: readonly (keyof T & string)[];
  /**
   * Checks (and may complete) the loaded data before the store is used; throws to refuse the file. Not
   * called when the file does not exist (the defaults are used).
   */
  validate?: (data: unknown, file: string) => T;
  /**
   * Never reject callers: keep every change and write it again until the disk takes it (the agent, which
   * must keep supervising through a full disk). `onError` is called once per failure streak, `onRecovered`
   * when a write succeeds again.
   */
  retry?: {
    initialMs?: number;
    maxMs?: number;
    onError(err: unknown): void;
    onRecovered(failures: number): void;
  };
}

/**
 * A JSON document with coalesced durable writes. Mutate `data` through `update()` (or mutate it and call
 * `flush()`); the returned promise resolves once a write that includes the mutation is on disk.
 */
export class DurableStore<T> {
  private readonly file: DurableJSONFile<T>;
  private current: T;
  /** The text of the file as last written or loaded: what memory returns to after a failed write. */
  private committed: string;
  private readonly coalescer = new WriteCoalescer(
    () => this.writeOnce(),
    (err) => this.writeFailed(err),
  );
  /** retry mode: memory holds changes a failed write did not get onto disk (written by a retry). */
  private unwritten = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  /** Number of physical writes done (for tests and benchmarks). */
  writes = 0;
  /** Number of failed writes (for tests). */
  failedWrites = 0;

  private constructor(
    filename: string,
    data: T,
    private readonly opts: DurableStoreOptions<T>,
  ) {
    this.file = new DurableJSONFile<T>(filename);
    this.current = data;
    this.committed = this.text();
  }

  /** The file's text for the data as it is now (without the external keys). */
  private text(): string {
    const external = this.opts.external;
    if (!external?.length || !isPlainObject(this.current)) return JSON.stringify(this.current);
    const own: Record<string, unknown> = { ...this.current };
    for (const k of external) delete own[k];
    return JSON.stringify(own);
  }

  static async open<T>(
    filename: string,
    defaults: T,
    opts: DurableStoreOptions<T> = {},
  ): Promise<DurableStore<T>> {
    ensureDir(path.dirname(filename), DATA_DIR_MODE, { followLink: true });
    const file = new DurableJSONFile<T>(filename);
    file.cleanupTemps();
    const text = await file.readText();
    let data = defaults;
    if (text !== null) {
      const parsed = file.parse(text);
      data = opts.validate ? opts.validate(parsed, filename) : parsed;
    }
    return new DurableStore<T>(filename, data, opts);
  }

  get filename(): string {
    return this.file.filename;
  }

  get data(): T {
    return this.current;
  }

  /** Applies `fn` to the data now and resolves when it is durably written. */
  update(fn: (data: T) => void): Promise<void> {
    fn(this.current);
    return this.flush();
  }

  /** Schedules a write of the current data; resolves when a write started after this call has finished. */
  flush(): Promise<void> {
    const written = this.coalescer.request();
    // Retry mode: a failed write is written again later, so waiting on it is over (memory keeps the change).
    return this.opts.retry ? written.catch(() => {}) : written;
  }

  /** One write of the current data (run by the coalescer, one at a time). */
  private async writeOnce(): Promise<void> {
    const text = this.text();
    await this.file.writeText(text);
    this.committed = text;
    this.writes++;
    this.unwritten = false;
    if (this.failures > 0) this.opts.retry?.onRecovered(this.failures);
    this.failures = 0;
  }

  /** A failed write (before anyone waiting hears of it). */
  private writeFailed(err: unknown): void {
    this.failedWrites++;
    if (this.opts.retry) {
      // Memory is what must reach the disk: keep it, and write it again until the disk takes it.
      this.unwritten = true;
      if (this.failures++ === 0) this.opts.retry.onError(err);
      this.scheduleRetry();
    } else {
      // Every change since the last commit is undone, so everyone waiting on one hears of it.
      this.rollback();
    }
  }

  /** Puts memory back to the last committed state, keeping the root object (owners hold it). */
  private rollback(): void {
    const before = JSON.parse(this.committed) as T;
    const live = this.current as unknown;
    if (isPlainObject(live) && isPlainObject(before)) {
      const external = new Set<string>(this.opts.external);
      for (const key of Object.keys(live)) if (!(key in before) && !external.has(key)) delete live[key];
      Object.assign(live, before);
    } else {
      this.current = before;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    const { initialMs = 200, maxMs = 5000 } = this.opts.retry ?? {};
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures - 1, 16));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.unwritten) void this.flush();
    }, delay);
    this.retryTimer.unref();
  }

  /** Waits for any pending write; no more retries after this. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.coalescer.idle();
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
