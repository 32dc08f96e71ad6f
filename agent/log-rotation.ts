/**
 * Size-capped log files with copy-truncate rotation: the handler keeps its O_APPEND fd, so after the
 * truncate its next write lands at offset 0 of the same file. `file.1` is the newest rotated copy.
 */
import { copyFileSync, renameSync, statSync, truncateSync, unlinkSync } from 'node:fs';

/** Rotates `file` when it is larger than `maxBytes`, keeping `keep` old copies. Returns true if rotated. */
export function rotateIfNeeded(file: string, maxBytes: number, keep: number): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  if (keep > 0) {
    try {
      unlinkSync(`${file}.${keep}`);
    } catch {
      /* absent */
    }
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch {
        /* absent */
      }
    }
    copyFileSync(file, `${file}.1`);
  }
  truncateSync(file, 0);
  return true;
}
