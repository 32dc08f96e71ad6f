/**
 * Limits land in exactly the right cgroup files, on v2 and on v1: the Cgroups class pointed at directory
 * trees built like cgroupfs (what the kernel shows before Governor writes anything), checked file by file.
 * Plain files do not enforce anything; enforcement is tested on the host's own version in limits.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '../../shared/logger.js';
import { Cgroups, detectCgroups, hasLimits } from '../../agent/process/cgroups.js';
import { tempDir } from '../helpers/common.js';

const SCOPE = 'agent-test';
const MiB = 1024 * 1024;

function touch(file: string, text = ''): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Every file under `root` with its content, keyed by its path relative to `root`. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(root, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** The files a kernel shows in a v2 root with `controllers` available. */
function v2Tree(controllers = 'cpu memory pids'): string {
  const root = tempDir();
  touch(path.join(root, 'cgroup.controllers'), `${controllers}\n`);
  touch(path.join(root, 'cgroup.subtree_control'));
  touch(path.join(root, 'cgroup.procs'));
  return root;
}

/**
 * A v1 host: `cpu,cpuacct`, `memory` and `pids` hierarchies, each root group as the kernel shows it (the
 * pids root has no pids.max: only child groups do).
 */
function v1Tree(): string {
  const root = tempDir();
  for (const d of ['cpu,cpuacct', 'memory', 'pids']) {
    for (const f of ['cgroup.procs', 'tasks', 'release_agent', 'notify_on_release'])
      touch(path.join(root, d, f));
  }
  touch(path.join(root, 'cpu,cpuacct', 'cpu.cfs_quota_us'), '-1\n');
  touch(path.join(root, 'cpu,cpuacct', 'cpu.cfs_period_us'), '100000\n');
  touch(path.join(root, 'memory', 'memory.limit_in_bytes'), '9223372036854771712\n');
  return root;
}

function cgroups(root: string): { cg: Cgroups; lines: string[] } {
  const lines: string[] = [];
  const logger = new Logger('t', { sink: { write: (l) => lines.push(l) } });
  return { cg: new Cgroups({ root, scope: SCOPE, logger }), lines };
}

describe('limits land in the right cgroup files (trees built like cgroupfs)', () => {
  it('v2: cpu.max, memory.max and pids.max in the group; the controllers enabled in every ancestor', () => {
    const root = v2Tree();
    const before = snapshot(root);
    const { cg } = cgroups(root);
    const group = path.join(root, 'governor', SCOPE, 'web');
    const prepared = cg.prepare('web', { cpu_percent: 150, memory_bytes: 256 * MiB, pids: 200 });
    assert.deepEqual(prepared, {
      procs: [path.join(group, 'cgroup.procs')],
      dirs: { cpu: group, memory: group, pids: group },
    });
    // Exactly these files changed or appeared, with these values (one appended subtree_control write per
    // controller and ancestor). memory.swap.max is not there without swap accounting: not made.
    const enable = '+cpu\n+memory\n+pids\n';
    assert.deepEqual(snapshot(root), {
      ...before,
      'cgroup.subtree_control': enable,
      'governor/cgroup.subtree_control': enable,
      [`governor/${SCOPE}/cgroup.subtree_control`]: enable,
      [`governor/${SCOPE}/web/cpu.max`]: '150000 100000',
      [`governor/${SCOPE}/web/memory.max`]: String(256 * MiB),
      [`governor/${SCOPE}/web/pids.max`]: '200',
    });
  });

  it('v2: the controllers the root offers are enabled; swap is bounded where the kernel has the file', () => {
    const root = v2Tree('cpu memory');
    const { cg } = cgroups(root);
    const group = path.join(root, 'governor', SCOPE, 'db');
    touch(path.join(group, 'memory.swap.max'), 'max\n'); // as the kernel shows it with swap accounting
    assert.deepEqual(cg.prepare('db', { memory_bytes: 64 * MiB }), {
      procs: [path.join(group, 'cgroup.procs')],
      dirs: { memory: group },
    });
    for (const dir of [root, path.join(root, 'governor'), path.join(root, 'governor', SCOPE)]) {
      assert.equal(readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8'), '+cpu\n+memory\n', dir);
    }
    assert.equal(readFileSync(path.join(group, 'memory.max'), 'utf8'), String(64 * MiB));
    assert.equal(readFileSync(path.join(group, 'memory.swap.max'), 'utf8'), '0');
    assert.ok(!existsSync(path.join(group, 'cpu.max')) && !existsSync(path.join(group, 'pids.max')));
  });

  it('v2: preparing a group again with fewer limits lifts the others (one directory holds them all)', () => {
    const root = v2Tree();
    const { cg } = cgroups(root);
    const group = path.join(root, 'governor', SCOPE, 'web');
    touch(path.join(group, 'memory.swap.max'), 'max\n');
    cg.prepare('web', { cpu_percent: 50, memory_bytes: 128 * MiB, pids: 100 });
    assert.deepEqual(cg.prepare('web', { pids: 30 }), {
      procs: [path.join(group, 'cgroup.procs')],
      dirs: { pids: group },
    });
    const files = snapshot(group);
    assert.deepEqual(
      {
        cpu: files['cpu.max'],
        mem: files['memory.max'],
        swap: files['memory.swap.max'],
        pids: files['pids.max'],
      },
      { cpu: 'max 100000', mem: 'max', swap: 'max', pids: '30' },
    );
    // No limits at all: nothing to join, and the group is left unlimited.
    assert.deepEqual(cg.prepare('web', {}), { procs: [], dirs: {} });
    assert.equal(readFileSync(path.join(group, 'pids.max'), 'utf8'), 'max');
  });

  it('v2 without the pids controller: a pids limit creates nothing and warns once, naming pids', () => {
    const root = v2Tree('cpu memory');
    const before = snapshot(root);
    const { cg, lines } = cgroups(root);
    assert.equal(cg.prepare('bomb', { cpu_percent: 50, pids: 50 }), null);
    assert.equal(cg.prepare('bomb2', { pids: 50 }), null);
    assert.deepEqual(snapshot(root), before);
    assert.ok(!existsSync(path.join(root, 'governor')));
    const warnings = lines.filter((l) => l.includes('advisory limits not applied'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /no pids controller/);
  });

  it('v1: each limit in its own hierarchy (cfs quota, memory with memsw where present, pids.max)', () => {
    const root = v1Tree();
    // The memory hierarchy of a kernel with swap accounting: memsw files in the group.
    touch(path.join(root, 'memory', 'governor', SCOPE, 'web', 'memory.memsw.limit_in_bytes'), '-1\n');
    const before = snapshot(root);
    const { cg } = cgroups(root);
    const dir = (h: string): string => path.join(root, h, 'governor', SCOPE, 'web');
    const prepared = cg.prepare('web', { cpu_percent: 25, memory_bytes: 128 * MiB, pids: 50 });
    assert.deepEqual(prepared, {
      procs: ['cpu,cpuacct', 'memory', 'pids'].map((h) => path.join(dir(h), 'cgroup.procs')),
      dirs: { cpu: dir('cpu,cpuacct'), memory: dir('memory'), pids: dir('pids') },
    });
    // v1 has no subtree_control: only the group files are written.
    assert.deepEqual(snapshot(root), {
      ...before,
      [`cpu,cpuacct/governor/${SCOPE}/web/cpu.cfs_period_us`]: '100000',
      [`cpu,cpuacct/governor/${SCOPE}/web/cpu.cfs_quota_us`]: '25000',
      [`memory/governor/${SCOPE}/web/memory.limit_in_bytes`]: String(128 * MiB),
      [`memory/governor/${SCOPE}/web/memory.memsw.limit_in_bytes`]: String(128 * MiB),
      [`pids/governor/${SCOPE}/web/pids.max`]: '50',
    });
  });

  it('v1: a pids-only limit joins only the pids hierarchy; the group is swept once empty', () => {
    const root = v1Tree();
    const { cg } = cgroups(root);
    const dir = path.join(root, 'pids', 'governor', SCOPE, 'fork');
    assert.deepEqual(cg.prepare('fork', { pids: 10 }), {
      procs: [path.join(dir, 'cgroup.procs')],
      dirs: { pids: dir },
    });
    assert.ok(!existsSync(path.join(root, 'cpu,cpuacct', 'governor')));
    assert.ok(!existsSync(path.join(root, 'memory', 'governor')));
    assert.equal(readFileSync(path.join(dir, 'pids.max'), 'utf8'), '10');
    assert.deepEqual(cg.groupDirs('fork'), [
      path.join(root, 'cpu,cpuacct', 'governor', SCOPE, 'fork'),
      path.join(root, 'memory', 'governor', SCOPE, 'fork'),
      dir,
    ]);
    // The kernel lets rmdir take a group with no processes whatever files it shows; plain files must go first.
    for (const f of readdirSync(dir)) rmSync(path.join(dir, f));
    assert.equal(cg.sweep().removed, 1);
    assert.ok(!existsSync(path.join(root, 'pids', 'governor', SCOPE)), 'the empty scope is removed too');
  });

  it('detects the pids controller: v2 by cgroup.controllers, v1 by a root (no pids.max) or a child mount', () => {
    const v2 = v2Tree('pids');
    assert.deepEqual(detectCgroups(v2), { version: 2, cpu: null, memory: null, pids: v2 });
    const v1 = v1Tree();
    assert.equal(detectCgroups(v1)?.pids, path.join(v1, 'pids'));
    const container = tempDir(); // a container's view: its own group at the mount point
    touch(path.join(container, 'pids', 'pids.max'), 'max\n');
    assert.deepEqual(detectCgroups(container), {
      version: 1,
      cpu: null,
      memory: null,
      pids: path.join(container, 'pids'),
    });
    const notPids = tempDir(); // a directory that happens to be called pids
    touch(path.join(notPids, 'pids', 'cgroup.procs'));
    assert.equal(detectCgroups(notPids), null);
    assert.ok(hasLimits({ pids: 1 }) && !hasLimits({}) && !hasLimits(undefined));
  });
});
