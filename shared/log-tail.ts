/**
 * Reads the last N lines of a log file without loading all of it. Bounded in bytes too, so an answer
 * always fits in one message on the agent link (a 4 MiB limit): at most MAX_TAIL_BYTES are read and a
 * line longer than MAX_LINE_BYTES is cut. A log is never read through a symlink, and only when it is
 * our own regular file (private-files.ts): a FIFO, a device or a link to another file is refused.
 */
import { constants, promises as fs } from 'node:fs';
import { checkOwnFile, symlinkRefusal } from './private-files.js';

const CHUNK = 64 * 1024;
export const MAX_TAIL_LINES = 10_000;
export const MAX_TAIL_BYTES = 1024 * 1024;
export const MAX_LINE_BYTES = 8 * 1024;

export async function tailLines(file: string, lines: number): Promise<string[]> {
  const want = Math.min(Math.max(1, lines), MAX_TAIL_LINES);
  let fh: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a planted FIFO must not wait for a writer.
    fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw symlinkRefusal(err, file, 'read');
  }
  try {
    const st = await fh.stat();
    checkOwnFile(st, file, 'read');
    const { size } = st;
    let pos = size;
    let text = '';
    while (pos > 0 && size - pos < MAX_TAIL_BYTES && text.split('\n').length <= want + 1) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      text = buf.toString('utf8') + text;
    }
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    if (pos > 0 && all.length > 0) all.shift(); // the first line may have been cut by the byte bound
    return all
      .slice(-want)
      .map((l) => (l.length > MAX_LINE_BYTES ? `${l.slice(0, MAX_LINE_BYTES)} …[cut]` : l));
  } finally {
    await fh.close();
  }
}
