/**
 * Loads a CommonJS bundle through V8's code cache (issue 10's CLI start). The npm packages that every admin
 * command loads (gRPC and protobufjs: half a megabyte of JavaScript) are built into one CommonJS file beside
 * the CLI bundle (scripts/build-cli-bundle.mjs); the CLI bundle reaches them through this module. The
 * first run compiles that file and, at exit, stores V8's compiled code (with the functions the run used)
 * in the user's cache folder; later runs hand it to V8 instead of compiling again. V8 itself rejects a
 * cache made from another source, V8 version or flags (the file is then written anew), and a cache that
 * cannot be read or written only costs the compile: the cache is never needed, never trusted for more.
 */
import { readFileSync, renameSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

/** `$XDG_CACHE_HOME/governor`, else `~/.cache/governor`; undefined when there is no home. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME))
    return path.join(env.XDG_CACHE_HOME, 'governor');
  let home: string;
  try {
    home = os.homedir();
  } catch {
    return undefined;
  }
  return home ? path.join(home, '.cache', 'governor') : undefined;
}

/** What happened to the cache on a load (tests read it). */
export type CacheUse = 'used' | 'rejected' | 'absent' | 'off';

/**
 * Runs the CommonJS file `file` as require() would and returns its exports, with V8's code cache from
 * `dir` (none when undefined). Writes the cache at process exit when there was none or V8 rejected it.
 */
export function requireWithCodeCache(
  file: string,
  dir: string | undefined = codeCacheDir(),
): { exports: unknown; cache: CacheUse } {
  const source = readFileSync(file, 'utf8');
  const cacheFile = dir && path.join(dir, `${path.basename(file)}.v8-cache`);
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined; // absent or unreadable: compile
    }
  }
  const wrapper = '(function (exports, require, module, __filename, __dirname) {' + source + '\n})';
  const script = new vm.Script(wrapper, { filename: file, ...(cachedData && { cachedData }) });
  const cache: CacheUse = !cacheFile
    ? 'off'
    : !cachedData
      ? 'absent'
      : script.cachedDataRejected
        ? 'rejected'
        : 'used';
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  if (cacheFile && cache !== 'used') process.once('exit', () => writeCache(script, cacheFile));
  return { exports: module.exports, cache };
}

/** Writes the cache beside, then renames it into place (concurrent runs never read half a file); errors ignored. */
function writeCache(script: vm.Script, cacheFile: string): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, cacheFile);
  } catch {
    // An unwritable cache folder only costs the compile next time.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // no folder, no half-written file either
    }
  }
}
