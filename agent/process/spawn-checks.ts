/**
 * Checks made on this machine right before a spawn, so that a spec that validated on the master but
 * cannot run here fails with a clear reason (naming the handler, the key and the value) instead of the
 * runtime's "could not spawn …: no pid".
 */
import { statSync } from 'node:fs';
import { ValidationError } from '../../shared/errors.js';
import { BackendDecorator } from './decorator.js';
import type { SpawnRequest, Spawned } from './backend.js';

/** Refuses a spawn whose working directory is missing or not a directory. */
export function checkSpawnable(req: Pick<SpawnRequest, 'name' | 'cwd'>): void {
  if (req.cwd === undefined) return;
  let isDir: boolean;
  try {
    isDir = statSync(req.cwd).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
    throw new ValidationError(`handler ${req.name}: cwd: ${req.cwd} ${why} on this agent`);
  }
  if (!isDir) throw new ValidationError(`handler ${req.name}: cwd: ${req.cwd} is not a directory`);
}

/** A backend that runs `checkSpawnable` before every spawn. */
export class CheckedBackend extends BackendDecorator {
  override spawn(req: SpawnRequest): Spawned {
    checkSpawnable(req);
    return this.inner.spawn(req);
  }
}
