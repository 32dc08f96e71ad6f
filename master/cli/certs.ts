/**
 * `gov certs init|issue`: the dev PKI of DESIGN §6, written with no external tools. Loaded only when
 * `gov certs` runs (node-forge is not small).
 */
import path from 'node:path';
import { Option } from 'commander';
import { UsageError, type CliIO } from '../../shared/cli-io.js';
import { govCommand, repeatableOption, type GovCommand } from '../../shared/cli-program.js';
import { errorMessage } from '../../shared/errors.js';
import {
  ROLES,
  initPki,
  issueCert,
  validateHost,
  validateName,
  type Role,
  type WrittenCert,
} from '../../shared/pki.js';
import { DEFAULT_CERTS_DIR } from '../../shared/tls.js';

const dirOption = () => new Option('--dir <DIR>', `where the PKI lives (default ${DEFAULT_CERTS_DIR})`);

/** `gov certs` and its subcommands (a new definition each call: commander keeps parse state). */
export function certsProgram(): GovCommand {
  const certs = govCommand('certs');
  certs
    .command('init')
    .description('create the CA, the master certificate and client certificates (existing files are kept)')
    .addOption(dirOption())
    .addOption(repeatableOption('--agent <ID>', 'an agent certificate (CN=ID, OU=agent)'))
    .addOption(repeatableOption('--admin <NAME>', 'an admin certificate (default: admin)'))
    .addOption(repeatableOption('--viewer <NAME>', 'a read-only viewer certificate'))
    .addOption(repeatableOption('--host <NAME|IP>', "a name or address in the master's certificate"))
    .does(({ opts, io }) => runInit(opts as InitFlags, io));
  certs
    .command('issue')
    .description('issue one more certificate signed by the CA')
    .argument('<agent|admin|viewer>')
    .argument('<NAME>')
    .addOption(dirOption())
    .addOption(new Option('--force', 'replace an existing certificate'))
    .does(({ args: [role, name], opts, io }) => runIssue(role!, name!, opts, io)).usageErrors = {
    'commander.missingArgument': 'expected a role and a NAME',
  };
  return certs;
}

export const certsCommand = { run: (args: string[], io: CliIO) => certsProgram().run(args, io) };

interface InitFlags {
  dir?: string;
  agent?: string[];
  admin?: string[];
  viewer?: string[];
  host?: string[];
}

async function runInit(values: InitFlags, io: CliIO): Promise<void> {
  asUsage(() => {
    for (const a of values.agent ?? []) validateName('agent', a);
    for (const a of values.admin ?? []) validateName('admin', a);
    for (const v of values.viewer ?? []) validateName('viewer', v);
    for (const h of values.host ?? []) validateHost(h);
  });
  const dir = path.resolve(io.cwd, values.dir ?? DEFAULT_CERTS_DIR);
  const result = await initPki({
    dir,
    agents: values.agent ?? [],
    admins: values.admin ?? [],
    viewers: values.viewer ?? [],
    hosts: values.host ?? [],
  });
  io.out(`PKI in ${dir}\n`);
  for (const w of [result.ca, result.master, ...result.clients]) io.out(line(w, io.cwd));
  io.out('keys are mode 0600; keep ca.key private — it can issue any certificate\n');
}

async function runIssue(
  role: string,
  name: string,
  values: { dir?: string; force?: boolean },
  io: CliIO,
): Promise<void> {
  if (!ROLES.includes(role as Role)) {
    throw new UsageError(`unknown role ${JSON.stringify(role)}: expected agent, admin or viewer`);
  }
  asUsage(() => validateName(role as Role, name));
  const dir = path.resolve(io.cwd, values.dir ?? DEFAULT_CERTS_DIR);
  const written = await issueCert({ dir, role: role as Role, name, force: values.force ?? false });
  io.out(line(written, io.cwd));
}

/** Bad names on the command line are usage errors (exit 2). */
function asUsage(check: () => void): void {
  try {
    check();
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
}

function line(w: WrittenCert, cwd: string): string {
  const rel = (p: string): string => {
    const r = path.relative(cwd, p);
    return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
  };
  return `${w.action.padEnd(8)} ${rel(w.cert)}  ${rel(w.key)}  (${w.name})\n`;
}
