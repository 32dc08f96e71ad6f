/**
 * node-pty, loaded lazily and failing soft: a native module that did not build (or load) must not stop the
 * agent; exec is then reported unavailable with the reason (Hello.exec_unavailable).
 */
import { createRequire } from 'node:module';
import { errorMessage } from '../../shared/errors.js';
import type * as NodePty from 'node-pty';

export type PtyModule = typeof NodePty;
export type PtyLoad = { pty: PtyModule } | { unavailable: string };

const requireHere = createRequire(import.meta.url);
let loaded: PtyLoad | null = null;

/** Loads `name` (default node-pty) once; a failure becomes `{unavailable}` naming the module and why. */
export function loadPty(name = 'node-pty'): PtyLoad {
  if (name === 'node-pty' && loaded) return loaded;
  let out: PtyLoad;
  try {
    out = { pty: requireHere(name) as PtyModule };
  } catch (err) {
    out = { unavailable: `${name} failed to load: ${errorMessage(err).split('\n')[0]}` };
  }
  if (name === 'node-pty') loaded = out;
  return out;
}
