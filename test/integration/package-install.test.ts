/**
 * The package is installable: the tarball `npm pack` makes of this repo holds the runtime and nothing of the
 * tests, and `npm install -g` of it into a temp prefix gives a `gov` on the PATH that works from a temp dir
 * far from the repo (no test certs, no repo node_modules on any path): `gov --version`, `gov certs init`,
 * `gov dev` starts its cluster and `gov ps` lists the demo handlers; `gov ui` serves the dashboard page, its
 * script and uPlot from the installed package; SIGTERM to `gov dev` leaves none of its processes (checked by
 * PID).
 *
 * `npm test` has just built dist/, so the tarball is packed with --ignore-scripts (prepack would run a
 * second full build); that prepack builds is checked from package.json. The install takes the runtime
 * dependencies from the npm cache `npm ci` filled (--prefer-offline); the registry serves what is missing.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { readProcStat } from '../../shared/proc.js';
import { REPO_ROOT, tempDir, waitFor } from '../helpers/common.js';

const run = promisify(execFile);

interface PackedFile {
  path: string;
  mode: number;
}
interface Instance {
  handler: string;
  state: string;
  pid: number | null;
  shim_pid: number | null;
}

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

/**
 * This process's environment without what ties a child to the repo or to `npm test`: npm's own variables
 * (npm_config_*, npm_package_*), NODE_PATH, GOV_* and PATH entries inside the repo (its node_modules/.bin).
 */
function cleanEnv(extraPath?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'NODE_PATH' || k.startsWith('GOV_')) continue;
    env[k] = v;
  }
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !isInside(d, REPO_ROOT));
  env.PATH = [...(extraPath ? [extraPath] : []), ...dirs].join(path.delimiter);
  return env;
}

function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, path.resolve(p));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

describe('integration: the packed tarball installs a working gov', function () {
  // Packing and a real `npm install` on a busy 2-core machine: a generous bound, nothing timed.
  this.timeout(300_000);
  this.slow(60_000);

  let tmp: string;
  let prefix: string;
  let work: string;
  let files: PackedFile[];
  let env: NodeJS.ProcessEnv;
  let dev: ChildProcess | null = null;
  let devOut = '';
  let devErr = '';
  let master = '';
  /**
   * Every process the cluster showed (gov dev, its agent, the handlers and their shims), PID → start time:
   * a PID counts as left only while that same process lives (a reused PID is someone else's).
   */
  const pids = new Map<number, string>();
  const track = (pid: number) => {
    const st = readProcStat(pid);
    if (st && !pids.has(pid)) pids.set(pid, st.startTime);
  };
  const left = () =>
    [...pids].filter(([pid, start]) => {
      const st = readProcStat(pid);
      return st !== null && st.startTime === start && st.state !== 'Z' && st.state !== 'X';
    });

  const gov = async (args: string[]) => {
    try {
      const r = await run('gov', args, { cwd: work, env, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  };

  before(async () => {
    tmp = tempDir('gov-pkg-');
    prefix = path.join(tmp, 'prefix');
    work = path.join(tmp, 'work');
    mkdirSync(work);
    const npmEnv = cleanEnv();
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
      cwd: REPO_ROOT,
      env: npmEnv,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: PackedFile[] }>;
    assert.ok(info, `npm pack printed no package: ${packed.stdout}`);
    files = info.files;
    await run(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        path.join(tmp, info.filename),
      ],
      { cwd: tmp, env: npmEnv, maxBuffer: 16 * 1024 * 1024 },
    );
    env = cleanEnv(path.join(prefix, 'bin'));
  });

  after(async () => {
    // Only after a failure is anything left; killed by PID once its start time proves it is the same process.
    for (const [pid] of left()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await waitFor(() => left().length === 0, { what: 'the cluster to be gone', timeoutMs: 10_000 });
  });

  it('the tarball holds the runtime, the proto contract and the demo handler; no tests, no source maps', () => {
    const paths = files.map((f) => f.path);
    const bin = pkg.bin.gov!;
    for (const p of [
      'package.json',
      'README.md',
      bin,
      'dist/agent/main.js',
      'dist/shared/proto.js',
      'proto/generated/descriptor.json',
      'proto/governor/v1/admin.proto',
      'master/dev/demo-http.mjs',
      'master/cli/ui/static/index.html',
      'master/cli/ui/static/app.js',
      'master/cli/ui/static/style.css',
      'agent/native/binding.gyp',
      'agent/native/linux-sockets.c',
      'agent/native/process-spawn.c',
      'agent/native/thread-cpu.c',
      'agent/native/napi-errno.h',
    ])
      assert.ok(paths.includes(p), `${p} is not in the tarball`);
    assert.ok(!paths.some((p) => p.startsWith('agent/native/build/')), 'a build of the addon is not shipped');
    const unwanted = paths.filter(
      (p) =>
        /^(dist\/(test|proto)\/|test\/|certs\/|node_modules\/)/.test(p) || /\.(map|ts)$|tsbuildinfo/.test(p),
    );
    assert.deepEqual(unwanted, []);
    assert.equal(
      files.find((f) => f.path === bin)!.mode & 0o111,
      0o111,
      `${bin} is not executable in the tarball`,
    );
    // A clean clone has no dist/: `npm pack` builds it first.
    assert.match(pkg.scripts.prepack ?? '', /\bnpm run build\b/);
  });

  it('every module the packed code imports and every file it locates with new URL(…, import.meta.url) is in the tarball', () => {
    const paths = new Set(files.map((f) => f.path));
    const located: string[] = [];
    for (const file of paths) {
      if (!/\.(m?js)$/.test(file)) continue;
      const code = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      const refs = [
        ...code.matchAll(/new URL\(\s*(['"`])([^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g),
        ...code.matchAll(/(?:\bfrom|\bimport\s*\(?)\s*(['"])(\.{1,2}\/[^'"]+)\1/g),
      ];
      for (const m of refs) {
        const target = path.posix
          .normalize(path.posix.join(path.posix.dirname(file), m[2]!))
          .replace(/\/$/, '');
        located.push(target);
        assert.ok(
          paths.has(target) || [...paths].some((p) => p.startsWith(`${target}/`)),
          `${file} refers to ${m[2]} (${target}), which is not in the tarball`,
        );
      }
    }
    // Those known today (the agent, package.json for --version, gov dev's demo handler, gov ui's page) are among them.
    for (const t of [
      'dist/agent/main.js',
      'package.json',
      'master/dev/demo-http.mjs',
      'master/cli/ui/static',
    ])
      assert.ok(located.includes(t), `${t} not found among ${located.join(' ')}`);
  });

  it('gov on the PATH is the installed one and prints the package version', async () => {
    const installed = realpathSync(path.join(prefix, 'bin', 'gov'));
    assert.ok(isInside(installed, prefix), installed);
    assert.equal(readFileSync(installed, 'utf8').split('\n')[0], '#!/usr/bin/env -S node --use-openssl-ca');
    const r = await gov(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `gov ${pkg.version}`);
  });

  it('the install builds the native helpers (sockets, spawn, thread CPU clock) from source', () => {
    const lib = path.join(prefix, 'lib', 'node_modules', pkg.name);
    for (const addon of ['linux_sockets.node', 'process_spawn.node', 'thread_cpu.node'])
      assert.ok(
        existsSync(path.join(lib, 'agent', 'native', 'build', 'Release', addon)),
        `the install script built agent/native (${addon})`,
      );
  });

  it('gov certs init writes the dev PKI into the given dir', async () => {
    const r = await gov(['certs', 'init', '--dir', 'certs', '--agent', 'local']);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['ca.crt', 'master.crt', 'agent-local.crt', 'admin-admin.crt'])
      assert.ok(statSync(path.join(work, 'certs', f)).size > 0, f);
    assert.equal(statSync(path.join(work, 'certs', 'ca.key')).mode & 0o777, 0o600);
  });

  it('gov dev starts its cluster on those certs and gov ps lists both demo handlers running', async () => {
    dev = spawn(
      'gov',
      ['dev', '--listen', '127.0.0.1:0', '--http', 'off', '--dir', 'dev', '--certs', 'certs'],
      {
        cwd: work,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    track(dev.pid!);
    dev.stdout!.on('data', (d: Buffer) => (devOut += d.toString()));
    dev.stderr!.on('data', (d: Buffer) => (devErr += d.toString()));
    await waitFor(
      () => {
        if (dev!.exitCode !== null) throw new Error(`gov dev exited ${dev!.exitCode}: ${devErr}`);
        return devOut.includes('Governor dev cluster is up');
      },
      { what: 'gov dev to start', timeoutMs: 90_000, intervalMs: 100 },
    );
    assert.match(devOut, /using dev certificates in /);
    master = /master +(127\.0\.0\.1:\d+)/.exec(devOut)![1]!;
    track(Number(/\(pid (\d+),/.exec(devOut)![1]));
    // The commands it suggests are the installed gov's: plain `gov`, which is on PATH.
    assert.match(devOut, /^ {2}gov ps$/m, devOut);

    let seen = '';
    const running = await waitFor(
      async () => {
        const r = await gov(['ps', '--json', '--master', master]);
        assert.equal(r.code, 0, r.stderr);
        const { instances } = JSON.parse(r.stdout) as { instances: Instance[] };
        for (const i of instances) for (const p of [i.pid, i.shim_pid]) if (p) track(p);
        seen = instances.map((i) => `${i.handler} ${i.state}`).join(', ');
        return instances.length === 2 && instances.every((i) => i.state === 'running') ? instances : null;
      },
      { what: 'both demo handlers running', timeoutMs: 60_000, intervalMs: 250 },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last gov ps: ${seen || 'none'})`);
    });
    assert.deepEqual(running.map((i) => i.handler).sort(), ['hello-api', 'hello-web']);
    const text = await gov(['ps', '--master', master]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^hello-api +local +running /m);
    assert.match(text.stdout, /^hello-web +local +running /m);
  });

  it('gov ui serves the dashboard page, its script and uPlot from the installed package, and stops on SIGINT', async () => {
    assert.ok(master, 'gov dev did not start');
    const ui = spawn('gov', ['ui', '--master', master], {
      cwd: work,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(ui.pid!);
    let out = '';
    let err = '';
    ui.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    ui.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => ui.once('exit', (code) => r(code)));
    try {
      const url = await waitFor(
        () => {
          if (ui.exitCode !== null) throw new Error(`gov ui exited ${ui.exitCode}: ${err}`);
          return /^(http:\/\/127\.0\.0\.1:\d+\/)\?token=(\S+)$/m.exec(out);
        },
        { what: 'gov ui to print its URL', timeoutMs: 30_000 },
      );
      const [, base, token] = url;
      const page = await fetch(`${base}?token=${token}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Governor<\/title>/);
      for (const file of ['app.js', 'style.css', 'uplot/uPlot.iife.min.js', 'uplot/uPlot.min.css']) {
        const r = await fetch(`${base}${file}?token=${token}`);
        assert.equal(r.status, 200, file);
        assert.ok((await r.text()).length > 100, `${file} is empty`);
      }
      assert.equal((await fetch(`${base}app.js`)).status, 401);
    } finally {
      ui.kill('SIGINT');
    }
    assert.equal(await exited, 0, err);
  });

  it('SIGTERM to gov dev stops the demo handlers, the agent and the master: none of their PIDs is left', async () => {
    assert.ok(dev, 'gov dev did not start');
    assert.equal(dev.exitCode, null, `gov dev exited early: ${devErr}`);
    const exited = new Promise<number | null>((r) => dev!.once('exit', (code) => r(code)));
    dev.kill('SIGTERM');
    assert.equal(await exited, 0, devErr);
    assert.ok(
      pids.size >= 6,
      `expected gov dev, its agent, 2 handlers and 2 shims: ${[...pids.keys()].join(' ')}`,
    );
    await waitFor(() => left().length === 0, { timeoutMs: 10_000 }).catch(() => {});
    assert.deepEqual(left(), [], 'processes of the cluster left after gov dev exited');
  });
});
