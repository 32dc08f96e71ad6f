/**
 * A real full disk for tests: a small tmpfs mounted in a temp dir (root only), filled with one file until
 * the kernel answers ENOSPC, and freed again by removing that file. `mountSmallDisk()` returns
 * `{skip: reason}` when mounting is not permitted, so a test can skip saying why.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './common.js';

export interface SmallDisk {
  /** The mount point. */
  readonly dir: string;
  /**
   * Fills the disk until a write gets ENOSPC; then each of `appendOnly` (files that grow by appends, whose
   * last page may still take a short append on a full disk) with newlines until it takes no more.
   */
  fill(...appendOnly: string[]): void;
  /** Removes the filler: writes succeed again. */
  free(): void;
  /** Unmounts (lazily, so a process still holding a file there does not block it). */
  unmount(): void;
}

/** Appends `byte` to `file` until the kernel answers ENOSPC. */
function appendUntilFull(file: string, byte: number): void {
  const fd = openSync(file, 'a');
  try {
    for (const chunk of [65536, 4096, 512, 1]) {
      const buf = Buffer.alloc(chunk, byte);
      for (;;) {
        try {
          if (writeSync(fd, buf) < chunk) break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Mounts a tmpfs of `size` (e.g. `2m`), or says why it cannot. */
export function mountSmallDisk(size = '2m'): SmallDisk | { skip: string } {
  const dir = tempDir('gov-full-disk-');
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root' };
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return { skip: `mount -t tmpfs is not permitted here: ${String((err as Error).message).trim()}` };
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill(...appendOnly: string[]) {
      appendUntilFull(filler, 0x61);
      for (const file of appendOnly) appendUntilFull(file, 0x0a);
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      } catch {
        /* already unmounted */
      }
    },
  };
}

/**
 * A small disk for one describe block: mounted in `before` (the block is skipped, saying why, where it
 * cannot be) and unmounted in `after`. The returned object forwards to the mounted disk.
 */
export function useSmallDisk(size = '2m'): SmallDisk {
  let disk: SmallDisk | undefined;
  const mounted = (): SmallDisk => {
    if (!disk) throw new Error('the small disk is not mounted');
    return disk;
  };
  before(function () {
    const d = mountSmallDisk(size);
    if ('skip' in d) {
      console.log(`      (skipped: ${d.skip})`);
      return this.skip();
    }
    disk = d;
  });
  after(() => disk?.unmount());
  return {
    get dir() {
      return mounted().dir;
    },
    fill: (...appendOnly) => mounted().fill(...appendOnly),
    free: () => disk?.free(),
    unmount: () => disk?.unmount(),
  };
}
