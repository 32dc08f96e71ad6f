/**
 * Where an instance's files live under the agent's data dir: its output logs and its shim's exit file;
 * and the data dir's layout with its modes (private whatever the umask: shared/private-files.ts).
 */
import path from 'node:path';
import { DATA_DIR_MODE, ensureDir, LOG_DIR_MODE } from '../../shared/private-files.js';

export type LogStream = 'stdout' | 'stderr';

/** `<data-dir>/logs/<instance key>/<stream>.log` */
export function instanceLogFile(dataDir: string, key: string, stream: LogStream): string {
  return path.join(dataDir, 'logs', key, `${stream}.log`);
}

/** `<data-dir>/run/<instance key>.exit` */
export function instanceExitFile(dataDir: string, key: string): string {
  return path.join(dataDir, 'run', `${key}.exit`);
}

/** `<data-dir>` 0700 with `logs/` 0750 and `run/` 0700; existing ones are tightened, foreign ones refused. */
export function prepareDataDir(dataDir: string): void {
  ensureDir(dataDir, DATA_DIR_MODE, { followLink: true });
  ensureDir(path.join(dataDir, 'logs'), LOG_DIR_MODE);
  ensureDir(path.join(dataDir, 'run'), DATA_DIR_MODE);
}
