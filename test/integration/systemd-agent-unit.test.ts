/**
 * The units `gov install-units` writes, run by a real systemd: systemd boots as PID 1 of new PID, mount and
 * cgroup namespaces over a throwaway overlay of this host's / (test/fixtures/systemd-boot.sh), and the test
 * drives it with systemctl through nsenter. `systemctl restart governor-agent` (every upgrade) leaves the
 * handlers running with their PIDs and the new agent adopts them; with systemd's default
 * KillMode=control-group the same restart kills them (the contrast shows the test can fail). The master
 * unit starts under its hardening as its own user and answers the admin API.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { GOV_BIN, REPO_ROOT, fixture, trackPid, waitFor } from '../helpers/common.js';

const SYSTEMD = '/lib/systemd/systemd';
const CGROUP_HIERARCHIES = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'];
const STATUS = '/var/lib/governor-agent/status.json';
const BOOT_MS = 60_000;

/** Why this host cannot boot the test's systemd, or undefined when it can. */
function cannotBoot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, mounts, cgroups)';
  if (!existsSync(SYSTEMD)) return `no ${SYSTEMD} (Debian's systemd package)`;
  for (const tool of ['unshare', 'nsenter', 'setpriv', 'chroot'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `no ${tool} on PATH`;
  if (!/\toverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'))) return 'the kernel has no overlayfs';
  for (const h of CGROUP_HIERARCHIES)
    if (!existsSync(path.join(h, 'cgroup.procs')))
      return `no cgroup hierarchy at ${h} (the fixture boots systemd in hybrid mode)`;
  return undefined;
}

interface Instance {
  instance: string;
  state: string;
  pid: number;
  restarts: number;
  events?: Array<{ type: string; message: string }>;
}
interface Status {
  agent_pid: number;
  instances: Instance[];
}

let seq = 0;
/** Work dirs made by prepare(), removed after each test. */
const works: string[] = [];

/** A systemd booted into `target` with the files of `units` in /etc/systemd/system. */
class Container {
  private constructor(
    private readonly unshare: ChildProcess,
    private readonly cgroup: string,
    readonly pid1: number,
  ) {}

  static async boot(work: string, units: string, target: string): Promise<Container> {
    const cgroup = `gov-test-systemd-${process.pid}-${++seq}`;
    mkdirSync(path.join(work, 'mnt'));
    const child = spawn('bash', [fixture('systemd-boot.sh'), cgroup, work, units, target], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    trackPid(child.pid);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const pid1 = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`the boot script exited ${child.exitCode}: ${stderr}`);
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        const pid = Number(kids.split(' ')[0]);
        return pid && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd' ? pid : 0;
      },
      { timeoutMs: BOOT_MS, what: 'systemd as PID 1 of the namespace' },
    );
    const c = new Container(child, cgroup, pid1);
    await waitFor(() => /^(running|degraded)/.test(c.systemctl('is-system-running').stdout), {
      timeoutMs: BOOT_MS,
      what: 'the boot to finish',
    });
    return c;
  }

  /** Runs a command in the container (its namespaces and root). */
  run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('nsenter', ['-t', String(this.pid1), '-a', '-r', '-w', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  systemctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    return this.run('systemctl', '--no-pager', ...args);
  }

  journal(unit: string): string {
    return this.run('journalctl', '--no-pager', '-u', unit).stdout;
  }

  /** A path of the container's file system, seen from the host. */
  file(p: string): string {
    return `/proc/${this.pid1}/root${p}`;
  }

  /** True while `pid` (a PID of the container) lives and is not a zombie. */
  alive(pid: number): boolean {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(this.file(`/proc/${pid}/stat`), 'utf8'));
    } catch {
      return false;
    }
  }

  status(): Status | undefined {
    try {
      return JSON.parse(readFileSync(this.file(STATUS), 'utf8')) as Status;
    } catch {
      return undefined;
    }
  }

  /** Kills systemd and everything in the namespace (unshare --kill-child), then removes the cgroups. */
  async stop(): Promise<void> {
    if (this.unshare.exitCode === null && this.unshare.signalCode === null) {
      const exited = new Promise((r) => this.unshare.once('exit', r));
      this.unshare.kill('SIGKILL');
      await exited;
    }
    for (const h of CGROUP_HIERARCHIES) {
      const root = path.join(h, this.cgroup);
      await waitFor(
        () => {
          removeCgroupTree(root);
          return !existsSync(root);
        },
        { timeoutMs: 20_000, what: `${root} removed` },
      );
    }
  }
}

/** rmdir of a cgroup and its children, deepest first (EBUSY while processes remain: the caller polls). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  rmdirSync(dir);
}

/**
 * Where the units find gov and its files. The master unit's PrivateTmp= and ProtectHome= hide /tmp, /var/tmp
 * and homes from it, so a checkout there (CI may clone anywhere) is staged first: the runtime files
 * hard-linked (copied across filesystems) into a directory under /var/lib, removed after the run.
 */
const HIDDEN = ['/tmp/', '/var/tmp/', '/root/', '/home/'];
let stageDir: string | null = null;
function stage(): string {
  if (!HIDDEN.some((h) => `${REPO_ROOT}/`.startsWith(h))) return REPO_ROOT;
  if (stageDir) return stageDir;
  const dir = mkdtempSync('/var/lib/gov-systemd-test-');
  chmodSync(dir, 0o755);
  for (const rel of ['package.json', 'dist', 'node_modules', 'proto', 'master/dev', 'test/fixtures']) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    const from = path.join(REPO_ROOT, rel);
    const linked = spawnSync('cp', ['-al', from, path.join(dir, rel)]);
    if (linked.status !== 0) {
      const copied = spawnSync('cp', ['-a', from, path.join(dir, rel)], { encoding: 'utf8' });
      assert.equal(copied.status, 0, copied.stderr);
    }
  }
  return (stageDir = dir);
}
const staged = (file: string): string => path.join(stage(), path.relative(REPO_ROOT, file));

/** The work dir of one boot: `gov`, the handlers file and the units `gov install-units` renders. */
function prepare(
  extraFlags: string[] = [],
  wants = 'governor-agent.service',
): {
  work: string;
  units: string;
  sysusers: string;
  output: string;
} {
  const base = path.join(stage(), '.tmp');
  mkdirSync(base, { recursive: true });
  const work = mkdtempSync(path.join(base, 'systemd-'));
  works.push(work);
  chmodSync(work, 0o755); // the master's user runs `gov` from here
  const units = path.join(work, 'units');
  const sysusers = path.join(work, 'sysusers');
  mkdirSync(units);
  mkdirSync(sysusers);
  const gov = path.join(work, 'gov');
  writeFileSync(gov, `#!/bin/sh\nexec ${process.execPath} ${staged(GOV_BIN)} "$@"\n`);
  chmodSync(gov, 0o755);
  const ticker = [process.execPath, staged(fixture('ticker.mjs'))];
  const handlers = path.join(work, 'handlers.yaml');
  writeFileSync(
    handlers,
    'handlers:\n' +
      ['one', 'two']
        .map((n) => `  - ${JSON.stringify({ name: n, command: ticker, start_seconds: 0 })}\n`)
        .join(''),
  );
  const r = spawnSync(
    process.execPath,
    [
      GOV_BIN,
      'install-units',
      '--dir',
      units,
      '--sysusers-dir',
      sysusers,
      '--bin',
      gov,
      '--handlers',
      handlers,
      ...extraFlags,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(
    path.join(units, 'gov-test.target'),
    `[Unit]\nDescription=the systemd test\nWants=${wants}\n`,
  );
  return { work, units, sysusers, output: r.stdout };
}

async function bothRunning(c: Container, otherThanAgent?: number): Promise<Status> {
  return waitFor(
    () => {
      const s = c.status();
      if (!s || s.agent_pid === otherThanAgent) return undefined;
      const ok = s.instances.length === 2 && s.instances.every((i) => i.state === 'running' && i.pid > 0);
      return ok ? s : undefined;
    },
    { timeoutMs: BOOT_MS, what: `both handlers running under ${otherThanAgent ? 'a new' : 'the'} agent` },
  );
}

const pids = (s: Status): Record<string, number> =>
  Object.fromEntries(s.instances.map((i) => [i.instance, i.pid]));

describe('systemd: the agent unit keeps the non-owning promise', function () {
  this.slow(30_000);
  this.timeout(180_000);
  const why = cannotBoot();
  const booted: Container[] = [];

  before(function () {
    if (why) {
      console.log(`    skipped: systemd cannot boot here: ${why}`);
      this.skip();
    }
  });
  afterEach(async () => {
    for (const c of booted.splice(0)) await c.stop();
    for (const w of works.splice(0)) rmSync(w, { recursive: true, force: true });
  });
  after(() => {
    if (stageDir) rmSync(stageDir, { recursive: true, force: true });
    stageDir = null;
  });

  async function boot(
    edits: Record<string, (unit: string) => string> = {},
    extraFlags: string[] = [],
    wants?: string,
  ): Promise<{ c: Container; work: string; sysusers: string; output: string }> {
    const p = prepare(extraFlags, wants);
    for (const [name, change] of Object.entries(edits)) {
      const unit = path.join(p.units, name);
      writeFileSync(unit, change(readFileSync(unit, 'utf8')));
    }
    const c = await Container.boot(p.work, p.units, 'gov-test.target');
    booted.push(c);
    return { c, work: p.work, sysusers: p.sysusers, output: p.output };
  }

  it('systemctl restart governor-agent: both handlers keep their PIDs and the new agent adopts them', async () => {
    const { c } = await boot();
    const before = await bothRunning(c);
    const r = c.systemctl('restart', 'governor-agent.service');
    assert.equal(r.status, 0, r.stderr);
    const after = await bothRunning(c, before.agent_pid).catch((err: Error) => {
      throw new Error(`${err.message}\n${c.journal('governor-agent.service')}`);
    });
    assert.deepEqual(pids(after), pids(before), 'same handler PIDs after the restart');
    for (const i of after.instances) {
      assert.equal(i.restarts, 0, `${i.instance} was not restarted`);
      assert.ok(c.alive(i.pid), `${i.instance} (pid ${i.pid}) alive`);
      assert.ok(
        i.events?.some((e) => e.type === 'ADOPTED'),
        `${i.instance} adopted: ${JSON.stringify(i.events)}`,
      );
    }
    // systemctl stop leaves them running too.
    assert.equal(c.systemctl('stop', 'governor-agent.service').status, 0);
    assert.equal(c.systemctl('is-active', 'governor-agent.service').stdout.trim(), 'inactive');
    for (const i of after.instances) assert.ok(c.alive(i.pid), `${i.instance} alive after systemctl stop`);
  });

  it("with systemd's default KillMode=control-group the same restart kills the handlers", async () => {
    const { c } = await boot({
      'governor-agent.service': (unit) => {
        assert.match(unit, /^KillMode=process$/m);
        return unit.replace(/^KillMode=process$/m, 'KillMode=control-group');
      },
    });
    const before = await bothRunning(c);
    assert.equal(c.systemctl('restart', 'governor-agent.service').status, 0);
    const after = await bothRunning(c, before.agent_pid);
    for (const i of before.instances) {
      assert.ok(!c.alive(i.pid), `${i.instance} (pid ${i.pid}) was killed by the restart`);
      assert.notEqual(pids(after)[i.instance], i.pid, `${i.instance} started again with a new PID`);
    }
  });

  it('the master unit starts under its hardening as user governor and answers the admin API', async () => {
    const port = await freePort();
    // The network is the host's: no HTTP listener on the default port another test may hold.
    const httpOff = (unit: string) => unit.replace(/^(ExecStart=.* master .*)$/m, '$1 --http off');
    const { c, work, sysusers, output } = await boot(
      { 'governor-master.service': httpOff },
      ['--listen', `127.0.0.1:${port}`],
      'basic.target', // no agent: the master is started below
    );
    // The README's steps, in the container: the PKI where the units expect it, the sysusers.d file
    // `gov install-units` wrote, then the line it prints for the master's host.
    const gov = path.join(work, 'gov');
    const init = c.run(gov, 'certs', 'init', '--dir', '/etc/governor', '--host', '127.0.0.1');
    assert.equal(init.status, 0, init.stderr);
    mkdirSync(c.file('/etc/sysusers.d'), { recursive: true });
    copyFileSync(path.join(sysusers, 'governor.conf'), c.file('/etc/sysusers.d/governor.conf'));
    const setup = /^ {2}on the master's host: (.*)$/m.exec(output)?.[1];
    assert.ok(setup, output);
    const r = c.run('sh', '-c', setup);
    assert.equal(r.status, 0, `${setup}: ${r.stderr}`);
    assert.equal(c.systemctl('start', 'governor-master.service').status, 0);
    const pki = c.file('/etc/governor');
    const admin = ['--master', `127.0.0.1:${port}`, '--ca', path.join(pki, 'ca.crt')];
    admin.push('--cert', path.join(pki, 'admin-admin.crt'), '--key', path.join(pki, 'admin-admin.key'));
    await waitFor(
      () =>
        spawnSync(process.execPath, [GOV_BIN, 'agents', '--json', ...admin], { encoding: 'utf8' }).status ===
        0,
      { timeoutMs: BOOT_MS, what: 'gov agents answered by the master unit' },
    ).catch((err: Error) => {
      const status = c.systemctl('status', 'governor-master.service').stdout;
      throw new Error(`${err.message}\n${status}\n${c.journal('governor-master.service')}`);
    });
    const main = Number(
      /\d+/.exec(c.systemctl('show', '-p', 'MainPID', 'governor-master.service').stdout)?.[0],
    );
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(c.file(`/proc/${main}/status`), 'utf8'))?.[1];
    const governor = /^governor:x:(\d+):/m.exec(readFileSync(c.file('/etc/passwd'), 'utf8'))?.[1];
    assert.ok(governor && governor !== '0', 'systemd-sysusers made the governor user');
    assert.equal(uid, governor, 'the master runs as governor');
    assert.ok(statSync(c.file('/var/lib/governor-master')).isDirectory(), 'its state directory');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
