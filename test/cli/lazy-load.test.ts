/**
 * `gov` loads only what the command it runs needs: `--version`, the index and usage errors load no command
 * module and none of the heavy libraries (gRPC, the proto loader, YAML, progress bars, the PKI, the
 * database); `gov CMD` loads CMD's module and not the others. Checked on the built binary with a hook
 * that lists every file the process loads (test/fixtures/module-list.mjs); a file of the CLI bundle stands
 * for the modules and packages the bundler put in it (its metafile, dist/master/cli/gov-bundle.meta.json).
 * No timing is asserted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { indexedSummaries } from '../../master/cli/gov-program.js';
import { GOV_BIN, REPO_ROOT, fixture, tempDir } from '../helpers/common.js';

const HEAVY = [
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'protobufjs',
  'yaml',
  'cli-progress',
  'node-forge',
  'lowdb',
  'prom-client',
];

const DIST = path.join(REPO_ROOT, 'dist');

interface Loaded {
  code: number | null;
  stdout: string;
  /** npm packages loaded (by name). */
  packages: Set<string>;
  /** Our own modules loaded, as their tsc build names them, relative to dist/ (`master/cli/ps.js`). */
  own: Set<string>;
  /** Files of the CLI bundle loaded (names relative to dist/master/cli/). */
  bundle: Set<string>;
  /** Files of our tsc build loaded themselves, not through the bundle (relative to dist/). */
  unbundled: Set<string>;
}

/** What the bundler put in each file of the CLI bundle: absolute path → the source files (repo-relative). */
function bundleInputs(): Map<string, string[]> {
  const meta = JSON.parse(readFileSync(path.join(DIST, 'master', 'cli', 'gov-bundle.meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(
    Object.entries(meta.outputs).map(([out, o]) => [path.resolve(REPO_ROOT, out), Object.keys(o.inputs)]),
  );
}

/** Records a loaded source file (absolute, or repo-relative from the metafile) as a package or one of ours. */
function record(l: Loaded, file: string): void {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  if (m) l.packages.add(m[1]!);
  else if (file.startsWith(DIST + path.sep)) l.own.add(path.relative(DIST, file));
  else if (/^(master|shared|agent)\/.*\.ts$/.test(file)) l.own.add(file.replace(/\.ts$/, '.js'));
}

/** Runs the built binary under the module-listing hook. */
function loadedBy(args: string[]): Loaded {
  const dir = tempDir();
  const list = path.join(dir, 'modules.txt');
  const r = spawnSync(process.execPath, ['--import', fixture('module-list.mjs'), GOV_BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GOV_MODULE_LIST: list },
    timeout: 60_000,
  });
  assert.ok(existsSync(list), `no module list written: ${r.stderr}`);
  const files = readFileSync(list, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file://'))
    .map((u) => decodeURIComponent(new URL(u).pathname));
  const inBundle = bundleInputs();
  const l: Loaded = {
    code: r.status,
    stdout: r.stdout,
    packages: new Set(),
    own: new Set(),
    bundle: new Set(),
    unbundled: new Set(),
  };
  for (const f of files) {
    const inputs = inBundle.get(f);
    if (!inputs) {
      record(l, f);
      if (f.startsWith(DIST + path.sep)) l.unbundled.add(path.relative(DIST, f));
    } else {
      l.bundle.add(path.basename(f));
      for (const i of inputs) record(l, i);
    }
  }
  return l;
}

function assertNoHeavy(l: Loaded, what: string): void {
  for (const p of HEAVY) assert.ok(!l.packages.has(p), `${what} loads ${p}`);
}

describe('gov loads only the modules of the command it runs', function () {
  this.timeout(120_000);

  it('--version, the index and an unknown command load no command module, gRPC, YAML or the PKI', () => {
    for (const args of [['--version'], ['--help'], [], ['help'], ['version'], ['frobnicate']]) {
      const l = loadedBy(args);
      assert.equal(l.code, args[0] === 'frobnicate' ? 2 : 0, `gov ${args.join(' ')}`);
      assertNoHeavy(l, `gov ${args.join(' ')}`);
      // The version alone is answered by gov.js without the program (gov-program.js).
      const versionOnly = args[0] === '--version' || args[0] === 'version';
      assert.deepEqual(
        [...l.own].filter((f) => f.startsWith('master/') || f.startsWith('agent/')).sort(),
        versionOnly
          ? ['master/cli/gov.js', 'master/cli/version.js']
          : ['master/cli/gov-program.js', 'master/cli/gov.js', 'master/cli/version.js'],
        `gov ${args.join(' ')} loads only gov.js, version.js${versionOnly ? '' : ' and gov-program.js'} of master/`,
      );
    }
  });

  it("gov ps --help loads ps's module and not the daemons, the PKI or the other commands", () => {
    const l = loadedBy(['ps', '--help']);
    assert.equal(l.code, 0);
    assert.match(l.stdout, /^usage: gov ps /);
    assert.ok(l.own.has('master/cli/ps.js'));
    for (const f of ['master/main.js', 'master/cli/dev.js', 'master/cli/certs.js', 'master/cli/rollout.js'])
      assert.ok(!l.own.has(f), `gov ps --help loads ${f}`);
    assert.ok(![...l.own].some((f) => f.startsWith('agent/')), 'gov ps --help loads agent/');
    for (const p of ['cli-progress', 'node-forge', 'lowdb', 'prom-client'])
      assert.ok(!l.packages.has(p), `gov ps --help loads ${p}`);
  });

  it('the gov binary runs the CLI bundle: of our tsc build it loads gov.js and version.js alone', () => {
    for (const args of [['--version'], ['ps', '--help']]) {
      const l = loadedBy(args);
      assert.equal(l.code, 0, `gov ${args.join(' ')}`);
      if (args[0] === '--version')
        assert.deepEqual([...l.bundle], [], 'gov --version loads no part of the bundle');
      else assert.ok(l.bundle.has('gov-bundle.js'), `gov ${args.join(' ')} does not load gov-bundle.js`);
      assert.deepEqual(
        [...l.unbundled].sort(),
        ['master/cli/gov.js', 'master/cli/version.js'],
        `gov ${args.join(' ')}: files outside the bundle`,
      );
    }
  });

  it('the index lists each admin command with the summary of its own definition', async () => {
    for (const { name, listed, defined } of await indexedSummaries()) assert.equal(listed, defined, name);
  });
});
