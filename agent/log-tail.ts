/** Reads the last N lines of a log file without loading all of it. */
import { promises as fs } from 'node:fs';

const CHUNK = 64 * 1024;
export const MAX_TAIL_LINES = 10_000;

export async function tailLines(file: string, lines: number): Promise<string[]> {
  const want = Math.min(Math.max(1, lines), MAX_TAIL_LINES);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const { size } = await fh.stat();
    let pos = size;
    let text = '';
    while (pos > 0 && text.split('\n').length <= want + 1) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      text = buf.toString('utf8') + text;
    }
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-want);
  } finally {
    await fh.close();
  }
}
