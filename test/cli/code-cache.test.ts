/**
 * The CLI's CommonJS vendor file (gRPC, protobufjs) loads through V8's code cache (master/cli/code-cache.ts):
 * the cache is written at exit, used next time, written anew when V8 rejects it (another source), and a
 * cache folder that cannot be written changes nothing but the cache. The gov binary keeps its cache in
 * $XDG_CACHE_HOME/governor, and only a command that needs gRPC makes one. No timing is asserted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { codeCacheDir } from '../../master/cli/code-cache.js';
import { GOV_BIN, REPO_ROOT, tempDir } from '../helpers/common.js';

const MODULE = pathToFileURL(path.join(REPO_ROOT, 'dist', 'master', 'cli', 'code-cache.js')).href;

/** Loads `file` with the cache in `dir` in a process of its own (the cache is written at its exit). */
function load(file: string, dir: string): { cache: string; answer: unknown } {
  const script =
    `const { requireWithCodeCache } = await import(${JSON.stringify(MODULE)});\n` +
    `const r = requireWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(dir)});\n` +
    `console.log(JSON.stringify({ cache: r.cache, answer: r.exports.answer(20) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { cache: string; answer: unknown };
}

describe('the CLI loads its CommonJS vendor file through V8 code cache', function () {
  this.timeout(120_000);

  it('writes the cache at exit, uses it next time, writes it anew when the source changed', () => {
    const dir = tempDir();
    const file = path.join(dir, 'vendor.cjs');
    const cacheDir = path.join(dir, 'cache');
    writeFileSync(
      file,
      "const path = require('node:path');\nexports.answer = (n) => n * 2 + path.sep.length;\n",
    );
    assert.deepEqual(load(file, cacheDir), { cache: 'absent', answer: 41 });
    const cacheFile = path.join(cacheDir, 'vendor.cjs.v8-cache');
    assert.ok(existsSync(cacheFile), 'no cache written');
    assert.deepEqual(load(file, cacheDir), { cache: 'used', answer: 41 });
    writeFileSync(file, 'exports.answer = (n) => n * 3;\n');
    const stale = readFileSync(cacheFile);
    assert.deepEqual(load(file, cacheDir), { cache: 'rejected', answer: 60 });
    assert.notDeepEqual(readFileSync(cacheFile), stale, 'the rejected cache was not written anew');
    assert.deepEqual(load(file, cacheDir), { cache: 'used', answer: 60 });
  });

  it('loads the same when the cache folder cannot be made, and leaves nothing', () => {
    const dir = tempDir();
    const file = path.join(dir, 'vendor.cjs');
    writeFileSync(file, 'exports.answer = (n) => n + 1;\n');
    const notADir = path.join(dir, 'a-file');
    writeFileSync(notADir, ''); // mkdir under a regular file fails, even for root
    const cacheDir = path.join(notADir, 'cache');
    assert.deepEqual(load(file, cacheDir), { cache: 'absent', answer: 21 });
    assert.deepEqual(load(file, cacheDir), { cache: 'absent', answer: 21 });
    assert.equal(readFileSync(notADir, 'utf8'), '');
  });

  it('the cache folder is $XDG_CACHE_HOME/governor, else ~/.cache/governor', () => {
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/governor');
    assert.match(codeCacheDir({ XDG_CACHE_HOME: 'relative' }) ?? '', /\/\.cache\/governor$/);
    assert.match(codeCacheDir({}) ?? '', /\/\.cache\/governor$/);
  });

  it('gov ps --help caches the vendor file in $XDG_CACHE_HOME/governor; gov --version does not load it', () => {
    const gov = (args: string[], xdg: string) =>
      spawnSync(process.execPath, [GOV_BIN, ...args], {
        cwd: xdg,
        encoding: 'utf8',
        env: { ...process.env, XDG_CACHE_HOME: xdg },
        timeout: 60_000,
      });
    const quiet = tempDir();
    assert.equal(gov(['--version'], quiet).status, 0);
    assert.ok(!existsSync(path.join(quiet, 'governor')), 'gov --version made a code cache');
    const xdg = tempDir();
    const r = gov(['ps', '--help'], xdg);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(
      existsSync(path.join(xdg, 'governor', 'gov-bundle-vendor.cjs.v8-cache')),
      'no code cache written',
    );
    assert.equal(gov(['ps', '--help'], xdg).stdout, r.stdout);
  });
});
