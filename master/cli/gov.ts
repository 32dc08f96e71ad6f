#!/usr/bin/env node
/**
 * The one `gov` binary (DESIGN §2, §6): dispatches to the daemons (`gov master`, `gov agent`, `gov dev`),
 * the PKI (`gov certs`) and the admin commands (one file each in master/cli/). Daemons are loaded lazily
 * so an admin command does not pay for them; the agent through a runtime URL import because master/
 * never imports agent/ statically.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  processIO,
  type CliIO,
  type Command,
} from '../../shared/cli-io.js';
import { errorMessage } from '../../shared/errors.js';
import { agentsCommand } from './agents.js';
import { applyCommand } from './apply.js';
import { attachCommand, detachCommand } from './attach.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { CONTROL_ACTIONS, controlCommand } from './control.js';
import { deleteCommand } from './delete.js';
import { executionsCommand } from './executions.js';
import { logsCommand } from './logs.js';
import { metricsCommand } from './metrics.js';
import { psCommand } from './ps.js';
import { rolloutCommand } from './rollout.js';
import { statsCommand } from './stats.js';

export type EntryPoint = (args: string[], io: CliIO) => Promise<number>;

/** Seams for tests: a fake master connection and stand-ins for the daemons. */
export interface GovDeps {
  connect?: AdminConnector;
  runMaster?: EntryPoint;
  runAgent?: EntryPoint;
  runDev?: EntryPoint;
  certs?: Command;
}

const loadMaster: EntryPoint = async (args, io) => (await import('../main.js')).runMaster(args, io);
const loadDev: EntryPoint = async (args, io) => (await import('./dev.js')).runDev(args, io);
const loadCerts: EntryPoint = async (args, io) => (await import('./certs.js')).certsCommand.run(args, io);

/** agent/ is resolved at run time from the built tree (dist/agent/main.js), never imported statically. */
const loadAgent: EntryPoint = async (args, io) => {
  const mod = (await import(new URL('../../agent/main.js', import.meta.url).href)) as {
    runAgent?: EntryPoint;
  };
  if (typeof mod.runAgent !== 'function') throw new Error('agent/main.js does not export runAgent');
  return mod.runAgent(args, io);
};

function entry(name: string, summary: string, usage: string, run: EntryPoint): Command {
  return { name, summary, usage, run };
}

/** Every `gov` command, in help order, grouped by the section headers. */
export function govCommands(deps: GovDeps = {}): Array<{ section: string; commands: Command[] }> {
  const connect = deps.connect ?? connectAdmin;
  return [
    {
      section: 'daemons',
      commands: [
        entry(
          'master',
          'run the master: registry, execution log, dispatcher, admin API',
          'gov master [--config FILE] [--listen ADDR] [--http ADDR] [--data-dir DIR]',
          deps.runMaster ?? loadMaster,
        ),
        entry(
          'agent',
          "run an agent: supervises this machine's handlers, dials the master",
          'gov agent [--config FILE] [--master ADDR] [--data-dir DIR]',
          deps.runAgent ?? loadAgent,
        ),
        entry(
          'dev',
          'master + one local agent, dev certificates and demo handlers',
          'gov dev',
          deps.runDev ?? loadDev,
        ),
      ],
    },
    {
      section: 'setup',
      commands: [
        deps.certs ??
          entry(
            'certs',
            'create the dev CA and certificates (init) or issue one more (issue)',
            'gov certs init [--dir certs] [--agent ID]... [--admin NAME]... [--viewer NAME]... [--host NAME|IP]...\n' +
              '       gov certs issue agent|admin|viewer NAME [--dir certs] [--force]',
            loadCerts,
          ),
      ],
    },
    {
      section: 'admin',
      commands: [
        applyCommand(connect),
        deleteCommand(connect),
        agentsCommand(connect),
        psCommand(connect),
        ...CONTROL_ACTIONS.map((a) => controlCommand(a, connect)),
        attachCommand(connect),
        detachCommand(connect),
        metricsCommand(connect),
        executionsCommand(connect),
        statsCommand(connect),
        logsCommand(connect),
        rolloutCommand(connect),
      ],
    },
  ];
}

export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function helpText(sections: ReturnType<typeof govCommands>): string {
  const width = Math.max(...sections.flatMap((s) => s.commands.map((c) => c.name.length)));
  let text =
    'gov — distributed, non-owning process governor\n\n' +
    'usage: gov <command> [arguments] [--json] [--help]\n';
  for (const s of sections) {
    text += `\n${s.section}:\n`;
    for (const c of s.commands) text += `  ${c.name.padEnd(width)}  ${c.summary}\n`;
  }
  text +=
    '\nother:\n  help [COMMAND]  this list, or the help of COMMAND\n  --version       print the version\n' +
    '\nAdmin commands connect with --master HOST:PORT --ca FILE --cert FILE --key FILE\n' +
    '(env GOV_MASTER GOV_CA GOV_CERT GOV_KEY; defaults 127.0.0.1:7070 and ./certs/admin-admin.*).\n' +
    'Exit codes: 0 success, 1 the operation failed, 2 usage error.\n';
  return text;
}

/** Runs `gov ARGV...`; returns the exit code. */
export async function main(argv: string[], io: CliIO, deps: GovDeps = {}): Promise<number> {
  const sections = govCommands(deps);
  const commands = new Map(sections.flatMap((s) => s.commands).map((c) => [c.name, c]));
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined) {
      const cmd = commands.get(topic);
      if (!cmd) return unknownCommand(topic, io);
      const isAdmin = sections.some((s) => s.section === 'admin' && s.commands.includes(cmd));
      if (isAdmin) return cmd.run(['--help'], io);
      io.out(`usage: ${cmd.usage}\n\n${cmd.summary}\n`);
      return EXIT_OK;
    }
    io.out(helpText(sections));
    return EXIT_OK;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(`gov ${readVersion()}\n`);
    return EXIT_OK;
  }
  const cmd = commands.get(name);
  if (!cmd) return unknownCommand(name, io);
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    io.err(`error: gov ${name}: ${errorMessage(err)}\n`);
    return EXIT_FAILED;
  }
}

function unknownCommand(name: string, io: CliIO): number {
  io.err(
    name.startsWith('-')
      ? `error: unknown flag ${JSON.stringify(name)} (flags go after the command)\n`
      : `error: unknown command ${JSON.stringify(name)}\n`,
  );
  io.err('usage: gov <command> [arguments] — run `gov help` for the list\n');
  return EXIT_USAGE;
}

/** The process's io; `interrupted` installs its SIGINT/SIGTERM listener only when a command asks for it. */
function entryIO(): CliIO {
  const io = processIO();
  let interrupted: Promise<void> | undefined;
  Object.defineProperty(io, 'interrupted', {
    enumerable: true,
    get: () =>
      (interrupted ??= new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      })),
  });
  return io;
}

function isProcessEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isProcessEntry()) {
  // `gov executions | head`: a closed pipe ends the output, not in a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw err;
  });
  main(process.argv.slice(2), entryIO()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
