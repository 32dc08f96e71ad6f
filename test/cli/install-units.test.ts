/**
 * `gov install-units` writes the systemd units (and the master's sysusers.d user) with the real `gov`,
 * never replaces a different file without --force, refuses bad flags naming them; contrib/systemd/ is its
 * rendering with the defaults; `systemd-analyze verify` accepts what it writes without a warning.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { UNIT_DEFAULTS, renderUnits } from '../../master/cli/systemd-units.js';
import { GOV_BIN, REPO_ROOT, tempDir } from '../helpers/common.js';
import { runGov } from './fake-admin.js';

const CONTRIB = path.join(REPO_ROOT, 'contrib', 'systemd');
const UNITS = ['governor-master.service', 'governor-agent.service'];

/** A directory for units and one for sysusers.d, and an executable to stand for `gov`. */
function dirs(): { units: string; sysusers: string; bin: string } {
  const root = tempDir('gov-units-');
  const units = path.join(root, 'units');
  const sysusers = path.join(root, 'sysusers');
  mkdirSync(units);
  mkdirSync(sysusers);
  const bin = path.join(root, 'gov');
  writeFileSync(bin, '#!/bin/sh\n');
  chmodSync(bin, 0o755);
  return { units, sysusers, bin };
}

async function install(d: { units: string; sysusers: string; bin: string }, ...more: string[]) {
  return runGov(['install-units', '--dir', d.units, '--sysusers-dir', d.sysusers, '--bin', d.bin, ...more]);
}

function snapshot(...ds: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of ds)
    for (const f of readdirSync(d)) out[path.join(d, f)] = readFileSync(path.join(d, f), 'utf8');
  return out;
}

const execStart = (unit: string): string => /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';

describe('gov install-units', () => {
  it('contrib/systemd holds exactly the rendering with the defaults (node contrib/systemd/render.mjs)', () => {
    const files = renderUnits(UNIT_DEFAULTS);
    for (const f of files)
      assert.equal(
        readFileSync(path.join(CONTRIB, f.name), 'utf8'),
        f.text,
        `contrib/systemd/${f.name} differs from its rendering: run node contrib/systemd/render.mjs`,
      );
    const listed = readdirSync(CONTRIB).filter((f) => /\.(service|conf)$/.test(f));
    assert.deepEqual(listed.sort(), files.map((f) => f.name).sort());
  });

  it('writes both units with the given gov and the master user, prints the next steps, starts nothing', async () => {
    const d = dirs();
    const { code, io } = await install(
      d,
      '--master-address',
      'gov.example:7443',
      '--listen',
      '10.0.0.1:7443',
    );
    assert.equal(code, 0, io.stderr);
    const agent = readFileSync(path.join(d.units, 'governor-agent.service'), 'utf8');
    const master = readFileSync(path.join(d.units, 'governor-master.service'), 'utf8');
    assert.match(execStart(agent), new RegExp(`^${d.bin} agent --master gov\\.example:7443 `));
    assert.match(execStart(agent), / --data-dir \/var\/lib\/governor-agent$/);
    assert.match(execStart(master), new RegExp(`^${d.bin} master --listen 10\\.0\\.0\\.1:7443 `));
    for (const line of [
      'KillMode=process',
      'Delegate=yes',
      'Restart=on-failure',
      'OOMPolicy=continue',
      'StateDirectory=governor-agent',
    ])
      assert.match(agent, new RegExp(`^${line}$`, 'm'), line);
    for (const line of [
      'User=governor',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=',
    ])
      assert.match(master, new RegExp(`^${line}$`, 'm'), line);
    assert.match(readFileSync(path.join(d.sysusers, 'governor.conf'), 'utf8'), /^u governor - /m);
    for (const f of [...UNITS.map((u) => path.join(d.units, u)), path.join(d.sysusers, 'governor.conf')])
      assert.match(io.stdout, new RegExp(`^wrote +${f}$`, 'm'));
    assert.match(io.stdout, /systemctl daemon-reload && systemctl enable --now governor-agent\.service/);
    assert.match(io.stdout, /nothing was started/);
  });

  it('--handlers FILE: a standalone agent unit on that file', async () => {
    const d = dirs();
    const handlers = path.join(path.dirname(d.units), 'handlers.yaml');
    writeFileSync(handlers, 'handlers: []\n');
    const { code, io } = await install(d, '--handlers', handlers);
    assert.equal(code, 0, io.stderr);
    const agent = readFileSync(path.join(d.units, 'governor-agent.service'), 'utf8');
    assert.equal(
      execStart(agent),
      `${d.bin} agent --handlers ${handlers} --data-dir /var/lib/governor-agent`,
    );
  });

  it('keeps a different existing file without --force (exit 1, nothing written), replaces it with --force', async () => {
    const d = dirs();
    writeFileSync(path.join(d.units, 'governor-agent.service'), '# mine\n');
    const before = snapshot(d.units, d.sysusers);
    const refused = await install(d);
    assert.equal(refused.code, 1);
    assert.match(
      refused.io.stderr,
      /governor-agent\.service already exists with other content; --force replaces it/,
    );
    assert.deepEqual(snapshot(d.units, d.sysusers), before, 'nothing written');

    const forced = await install(d, '--force');
    assert.equal(forced.code, 0, forced.io.stderr);
    assert.match(forced.io.stdout, /^replaced +\S+governor-agent\.service$/m);
    assert.notEqual(readFileSync(path.join(d.units, 'governor-agent.service'), 'utf8'), '# mine\n');

    const again = await install(d);
    assert.equal(again.code, 0, 'the same content is no conflict');
    assert.match(again.io.stdout, /^unchanged +\S+governor-agent\.service$/m);
  });

  it('never writes through a symlink: a link left at a temp name or at a unit name is replaced, its target untouched', async () => {
    const d = dirs();
    const elsewhere = path.join(path.dirname(d.units), 'elsewhere');
    const target = path.join(path.dirname(d.units), 'target');
    writeFileSync(target, 'keep\n');
    symlinkSync(elsewhere, path.join(d.units, 'governor-agent.service.gov-tmp'));
    symlinkSync(target, path.join(d.units, 'governor-master.service'));
    const r = await install(d, '--force');
    assert.equal(r.code, 0, r.io.stderr);
    assert.equal(existsSync(elsewhere), false, 'nothing written through the temp-name link');
    assert.equal(readFileSync(target, 'utf8'), 'keep\n', 'the unit-name link target untouched');
    for (const u of UNITS) assert.ok(lstatSync(path.join(d.units, u)).isFile(), `${u} is a regular file`);
    assert.deepEqual(readdirSync(d.units).sort(), [...UNITS].sort(), 'no temp file left');
  });

  it('refuses bad flags with exit 2, naming the flag, and writes nothing', async () => {
    const d = dirs();
    const notExec = path.join(path.dirname(d.units), 'plain');
    writeFileSync(notExec, '');
    const cases: Array<[string[], RegExp]> = [
      [['--bin', '/nonexistent/gov'], /--bin \/nonexistent\/gov: not an executable file/],
      [['--bin', notExec], /--bin \S+plain: not an executable file/],
      [['--bin', '/opt/my gov'], /--bin "\/opt\/my gov": contains " "/],
      [['--bin', '/opt/gov%n'], /--bin "\/opt\/gov%n": contains "%"/],
      [['--master-address', 'nohost'], /--master-address "nohost" is not HOST:PORT/],
      [['--listen', '0.0.0.0:70000'], /--listen "0\.0\.0\.0:70000" is not HOST:PORT/],
      [['--dir', '/nonexistent/units'], /--dir \/nonexistent\/units: no such directory/],
      [['--sysusers-dir', '/nonexistent/s'], /--sysusers-dir \/nonexistent\/s: no such directory/],
      [['--handlers', '/nonexistent/h.yaml'], /--handlers \/nonexistent\/h\.yaml: no such file/],
      [['--frobnicate'], /unknown option '--frobnicate'/],
    ];
    for (const [flags, message] of cases) {
      const { code, io } = await install(d, ...flags);
      assert.equal(code, 2, `${flags.join(' ')}: ${io.stderr}`);
      assert.match(io.stderr, message, flags.join(' '));
      assert.deepEqual(snapshot(d.units, d.sysusers), {}, `${flags.join(' ')} wrote nothing`);
    }
  });

  it('without --bin the units run the gov that ran the command (its path as invoked, a symlink kept)', () => {
    const d = dirs();
    // npm install -g makes the bin executable and links it from PATH; the same here.
    chmodSync(GOV_BIN, 0o755);
    const link = path.join(path.dirname(d.units), 'gov-link');
    symlinkSync(GOV_BIN, link);
    const r = spawnSync(
      process.execPath,
      [link, 'install-units', '--dir', d.units, '--sysusers-dir', d.sysusers],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const agent = readFileSync(path.join(d.units, 'governor-agent.service'), 'utf8');
    assert.match(execStart(agent), new RegExp(`^${link} agent `));
  });

  describe('systemd-analyze verify', function () {
    this.timeout(60_000);
    const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
    before(function () {
      if (!analyze) {
        console.log('    skipped: no systemd-analyze (Debian package systemd; .ci/run installs it)');
        this.skip();
      }
    });

    /** What `systemd-analyze verify` says of the units (nothing when they are clean). */
    function verify(files: string[], root?: string): string {
      const args = ['verify', '--man=no', ...(root ? [`--root=${root}`] : []), ...files];
      const r = spawnSync(analyze, args, { encoding: 'utf8', cwd: path.dirname(files[0] ?? '.') });
      return `${r.status === 0 ? '' : `exit ${r.status}\n`}${r.stdout}${r.stderr}`.trim();
    }

    it('the units gov install-units writes: no error, no warning', async () => {
      const d = dirs();
      assert.equal((await install(d)).code, 0);
      assert.equal(verify(UNITS.map((u) => path.join(d.units, u))), '');
    });

    it('the contrib units, in a root where /usr/local/bin/gov exists: no error, no warning', () => {
      const root = tempDir('gov-units-root-');
      mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
      writeFileSync(path.join(root, 'usr/local/bin/gov'), '#!/bin/sh\n', { mode: 0o755 });
      // The units they depend on (sysinit.target, network-online.target …) come from the host's systemd.
      cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), {
        recursive: true,
        verbatimSymlinks: true,
      });
      mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
      for (const u of UNITS) cpSync(path.join(CONTRIB, u), path.join(root, 'etc/systemd/system', u));
      assert.equal(verify(UNITS, root), '');
    });

    it('the check fails on a unit systemd only warns about (a bad KillMode= is ignored, with a warning)', async () => {
      const d = dirs();
      assert.equal((await install(d)).code, 0);
      const unit = path.join(d.units, 'governor-agent.service');
      writeFileSync(unit, readFileSync(unit, 'utf8').replace(/^KillMode=process$/m, 'KillMode=proces'));
      assert.match(verify([unit]), /Failed to parse kill mode specification, ignoring: proces/);
    });
  });
});
