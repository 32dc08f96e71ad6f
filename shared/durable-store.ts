/**
 * Durable JSON persistence for lowdb: atomic temp-file + fsync + rename + directory fsync, with writes
 * coalesced so that many mutations in a burst cost one or two disk writes. `kill -9` at any moment leaves
 * either the previous or the new file, never a torn one.
 */
import { promises as fs, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { DATA_DIR_MODE, ensureDir } from './private-files.js';

/** A lowdb adapter that writes atomically and durably (lowdb's own TextFile does not fsync). */
export class DurableJSONFile<T> implements Adapter<T> {
  private seq = 0;
  constructor(readonly filename: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await fs.readFile(this.filename, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`state file ${this.filename} is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async write(data: T): Promise<void> {
    const dir = path.dirname(this.filename);
    const tmp = `${this.filename}.${process.pid}.${++this.seq}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(data));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, this.filename);
    const dh = await fs.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
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

/**
 * A lowdb database with coalesced durable writes. Mutate `data` through `update()`; the returned promise
 * resolves once a write that includes the mutation is on disk.
 */
export class DurableStore<T> {
  private readonly db: Low<T>;
  private readonly file: DurableJSONFile<T>;
  private writing: Promise<void> | null = null;
  private dirty = false;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  /** Number of physical writes done (for tests and benchmarks). */
  writes = 0;

  private constructor(filename: string, defaults: T) {
    this.file = new DurableJSONFile<T>(filename);
    this.db = new Low<T>(this.file, defaults);
  }

  static async open<T>(filename: string, defaults: T): Promise<DurableStore<T>> {
    ensureDir(path.dirname(filename), DATA_DIR_MODE, { followLink: true });
    const store = new DurableStore<T>(filename, defaults);
    store.file.cleanupTemps();
    await store.db.read();
    return store;
  }

  get data(): T {
    return this.db.data;
  }

  /** Applies `fn` to the data now and resolves when it is durably written. */
  update(fn: (data: T) => void): Promise<void> {
    fn(this.db.data);
    return this.flush();
  }

  /** Schedules a write of the current data; resolves when a write started after this call has finished. */
  flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.dirty = true;
      if (!this.writing) this.writing = this.loop();
    });
  }

  private async loop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const batch = this.waiters;
      this.waiters = [];
      try {
        await this.db.write();
        this.writes++;
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.writing = null;
  }

  /** Waits for any pending write. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
  }
}
