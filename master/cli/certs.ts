/**
 * `gov certs init|issue`: the dev PKI of DESIGN §6, written with no external tools.
 *
 *   gov certs init [--dir certs] [--agent ID]... [--admin NAME]... [--viewer NAME]... [--host NAME|IP]...
 *   gov certs issue agent|admin|viewer NAME [--dir certs] [--force]
 */
import path from 'node:path';
import {
  EXIT_OK,
  UsageError,
  parseFlags,
  reportError,
  type CliIO,
  type Command,
} from '../../shared/cli-io.js';
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

const USAGE =
  'gov certs init [--dir certs] [--agent ID]... [--admin NAME]... [--viewer NAME]... [--host NAME|IP]...\n' +
  '       gov certs issue agent|admin|viewer NAME [--dir certs] [--force]';

export const certsCommand: Command = {
  name: 'certs',
  summary: 'create the dev CA and certificates (init) or issue one more certificate (issue)',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    try {
      const [sub, ...rest] = args;
      switch (sub) {
        case 'init':
          return await runInit(rest, io);
        case 'issue':
          return await runIssue(rest, io);
        case undefined:
          throw new UsageError('missing subcommand: init or issue');
        default:
          throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: expected init or issue`);
      }
    } catch (err) {
      return reportError(err, io, USAGE);
    }
  },
};

async function runInit(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    dir: { type: 'string' },
    agent: { type: 'string', multiple: true },
    admin: { type: 'string', multiple: true },
    viewer: { type: 'string', multiple: true },
    host: { type: 'string', multiple: true },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
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
  return EXIT_OK;
}

async function runIssue(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    dir: { type: 'string' },
    force: { type: 'boolean' },
  });
  const [role, name, extra] = positionals;
  if (role === undefined || name === undefined) throw new UsageError('expected a role and a NAME');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  if (!ROLES.includes(role as Role)) {
    throw new UsageError(`unknown role ${JSON.stringify(role)}: expected agent, admin or viewer`);
  }
  asUsage(() => validateName(role as Role, name));
  const dir = path.resolve(io.cwd, values.dir ?? DEFAULT_CERTS_DIR);
  const written = await issueCert({ dir, role: role as Role, name, force: values.force ?? false });
  io.out(line(written, io.cwd));
  return EXIT_OK;
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
