/** Where an instance's files live under the agent's data dir: its output logs and its shim's exit file. */
import path from 'node:path';

export type LogStream = 'stdout' | 'stderr';

/** `<data-dir>/logs/<instance key>/<stream>.log` */
export function instanceLogFile(dataDir: string, key: string, stream: LogStream): string {
  return path.join(dataDir, 'logs', key, `${stream}.log`);
}

/** `<data-dir>/run/<instance key>.exit` */
export function instanceExitFile(dataDir: string, key: string): string {
  return path.join(dataDir, 'run', `${key}.exit`);
}
