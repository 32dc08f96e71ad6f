/**
 * `gov install-units`: writes the systemd units of master/cli/systemd-units.ts into a unit directory (and
 * the master's user into sysusers.d), with the real path of `gov`, and says what to run next. It never
 * runs systemctl itself and never replaces a different file without --force. Needs no master.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Option } from 'commander';
import { UsageError, type CliIO } from '../../shared/cli-io.js';
import { govCommand, type GovCommand } from '../../shared/cli-program.js';
import { StateError } from '../../shared/errors.js';
import { isHostPort } from '../../shared/host-port.js';
import {
  AGENT_UNIT,
  MASTER_UNIT,
  MASTER_HOST_SETUP,
  UNIT_DEFAULTS,
  renderUnits,
  unitValueProblem,
  type UnitSettings,
} from './systemd-units.js';

export const DEFAULT_UNIT_DIR = '/etc/systemd/system';
export const DEFAULT_SYSUSERS_DIR = '/etc/sysusers.d';
const UNIT_FILE_MODE = 0o644;

interface Flags {
  bin?: string;
  dir?: string;
  sysusersDir?: string;
  masterAddress?: string;
  listen?: string;
  handlers?: string;
  force?: boolean;
}

/** The command's definition; the default --bin is the `gov` this process runs (its argv[1]). */
export function installUnitsCommand(): GovCommand {
  return govCommand('install-units')
    .description('write the systemd units of the master and the agent (does not run systemctl)')
    .addOption(new Option('--bin <PATH>', 'the gov executable the units run (default: this gov)'))
    .addOption(new Option('--dir <DIR>', `where the units go (default ${DEFAULT_UNIT_DIR})`))
    .addOption(
      new Option(
        '--sysusers-dir <DIR>',
        `where the declaration of the master's user goes (default ${DEFAULT_SYSUSERS_DIR})`,
      ),
    )
    .addOption(
      new Option(
        '--master-address <ADDR>',
        `the master the agent dials (default ${UNIT_DEFAULTS.masterAddress})`,
      ),
    )
    .addOption(new Option('--listen <ADDR>', `the master's gRPC address (default ${UNIT_DEFAULTS.listen})`))
    .addOption(new Option('--handlers <FILE>', 'a standalone agent on the handlers of FILE (no master)'))
    .addOption(new Option('--force', 'replace files that differ'))
    .does(({ opts, io }) => install(opts as Flags, io));
}

async function install(flags: Flags, io: CliIO): Promise<void> {
  const settings = settingsOf(flags, io);
  const dirs = {
    unit: directory('--dir', flags.dir ?? DEFAULT_UNIT_DIR, io),
    // The default is made when missing (Debian ships no /etc/sysusers.d); a directory given must exist.
    sysusers: flags.sysusersDir ? directory('--sysusers-dir', flags.sysusersDir, io) : DEFAULT_SYSUSERS_DIR,
  };

  const units = renderUnits(settings).map((u) => {
    const file = path.join(dirs[u.kind], u.name);
    const old = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    return { ...u, file, action: old === undefined ? 'wrote' : old === u.text ? 'unchanged' : 'replaced' };
  });
  // Every file is checked before any is written: a refusal changes nothing.
  const differing = units.filter((u) => u.action === 'replaced');
  if (differing.length > 0 && !flags.force) {
    throw new StateError(
      `${differing.map((u) => u.file).join(' and ')} already ${differing.length > 1 ? 'exist' : 'exists'} ` +
        'with other content; --force replaces it',
    );
  }
  mkdirSync(dirs.sysusers, { recursive: true });
  for (const u of units) {
    if (u.action === 'unchanged') continue;
    const tmp = `${u.file}.gov-tmp`;
    // A leftover (or planted) temp name goes first, and the new one is created exclusively: never written
    // through a symlink (the rename then replaces the unit's name itself, a link there included).
    rmSync(tmp, { force: true });
    writeFileSync(tmp, u.text, { mode: UNIT_FILE_MODE, flag: 'wx' });
    renameSync(tmp, u.file);
  }
  for (const u of units) io.out(`${u.action.padEnd(9)} ${u.file}\n`);
  io.out(
    `ExecStart= runs ${settings.bin}; the agent ${settings.handlers ? `supervises ${settings.handlers}` : `dials ${settings.masterAddress}`}\n` +
      'next (nothing was started):\n' +
      `  on the master's host: ${MASTER_HOST_SETUP}\n` +
      `                        systemctl daemon-reload && systemctl enable --now ${MASTER_UNIT}\n` +
      `  on each agent's host: systemctl daemon-reload && systemctl enable --now ${AGENT_UNIT}\n`,
  );
}

/** The flags, checked (each error names its flag), over the defaults. */
function settingsOf(flags: Flags, io: CliIO): UnitSettings {
  const bin = binOf(flags.bin, io);
  const masterAddress = address('--master-address', flags.masterAddress ?? UNIT_DEFAULTS.masterAddress);
  const listen = address('--listen', flags.listen ?? UNIT_DEFAULTS.listen);
  let handlers: string | undefined;
  if (flags.handlers !== undefined) {
    handlers = path.resolve(io.cwd, flags.handlers);
    checkValue('--handlers', handlers);
    if (!existsSync(handlers) || !statSync(handlers).isFile())
      throw new UsageError(`--handlers ${handlers}: no such file`);
  }
  return { bin, masterAddress, listen, handlers };
}

/** --bin, or the `gov` this process runs: an absolute path to an executable file. */
function binOf(flag: string | undefined, io: CliIO): string {
  const given = flag ?? process.argv[1];
  if (!given) throw new UsageError('--bin PATH is required (no running gov to default to)');
  const bin = path.resolve(io.cwd, given);
  checkValue('--bin', bin);
  const why = flag === undefined ? `this gov (${bin}) is not executable; pass --bin PATH` : undefined;
  try {
    if (!statSync(bin).isFile()) throw new Error('not a file');
    accessSync(bin, constants.X_OK);
  } catch {
    throw new UsageError(why ?? `--bin ${bin}: not an executable file`);
  }
  return bin;
}

/** An existing directory (a typo must not create one). */
function directory(flag: string, value: string, io: CliIO): string {
  const dir = path.resolve(io.cwd, value);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`${flag} ${dir}: no such directory`);
  return dir;
}

function address(flag: string, value: string): string {
  if (!isHostPort(value))
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not HOST:PORT (e.g. 127.0.0.1:7070)`);
  return value;
}

function checkValue(flag: string, value: string): void {
  const problem = unitValueProblem(value);
  if (problem) throw new UsageError(`${flag} ${JSON.stringify(value)}: ${problem}`);
}
