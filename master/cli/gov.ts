#!/usr/bin/env node
/**
 * The one `gov` binary (DESIGN §2, §6): one commander program that dispatches to the daemons (`gov master`,
 * `gov agent`, `gov dev`), the PKI (`gov certs`), the admin commands (defined with adminCommand() in
 * master/cli/) and `gov completion`. Daemons and the PKI are loaded only when they run, so an admin command
 * does not pay for them; the agent through a runtime URL import because master/ never imports agent/
 * statically.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { EXIT_FAILED, EXIT_OK, UsageError, processIO, type CliIO } from '../../shared/cli-io.js';
import { govCommand, type GovCommand } from '../../shared/cli-program.js';
import { errorMessage } from '../../shared/errors.js';
import { agentsCommand } from './agents.js';
import { applyCommand } from './apply.js';
import { attachCommand, detachCommand } from './attach.js';
import { completionScript, type Shell } from './completion.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { CONTROL_ACTIONS, controlCommand } from './control.js';
import { deleteCommand } from './delete.js';
import { executionsCommand } from './executions.js';
import { logsCommand } from './logs.js';
import { metricsCommand } from './metrics.js';
import { psCommand } from './ps.js';
import { rolloutCommand } from './rollout.js';
import { signalCommand } from './signal.js';
import { statsCommand } from './stats.js';

export type EntryPoint = (args: string[], io: CliIO) => Promise<number>;

/** Seams for tests: a fake master connection and stand-ins for the daemons. */
export interface GovDeps {
  connect?: AdminConnector;
  runMaster?: EntryPoint;
  runAgent?: EntryPoint;
  runDev?: EntryPoint;
  certs?: { run: EntryPoint };
}

/** A command that lives in a module loaded when it runs: its definition (flags, help) comes with it. */
interface Loaded {
  name: string;
  summary: string;
  group: string;
  define(): Promise<GovCommand>;
}

/** agent/ is resolved at run time from the built tree (dist/agent/main.js), never imported statically. */
async function defineAgent(): Promise<GovCommand> {
  const mod = (await import(new URL('../../agent/main.js', import.meta.url).href)) as {
    agentProgram?: () => GovCommand;
  };
  if (typeof mod.agentProgram !== 'function') throw new Error('agent/main.js does not export agentProgram');
  return mod.agentProgram();
}

const LOADED: Loaded[] = [
  {
    name: 'master',
    summary: 'run the master: registry, execution log, dispatcher, admin API',
    group: 'daemons:',
    define: async () => (await import('../main.js')).masterProgram(),
  },
  {
    name: 'agent',
    summary: "run an agent: supervises this machine's handlers, dials the master",
    group: 'daemons:',
    define: defineAgent,
  },
  {
    name: 'dev',
    summary: 'master + one local agent, dev certificates and demo handlers',
    group: 'daemons:',
    define: async () => (await import('./dev.js')).devProgram(),
  },
  {
    name: 'certs',
    summary: 'create the dev CA and certificates (init) or issue one more certificate (issue)',
    group: 'setup:',
    define: async () => (await import('./certs.js')).certsProgram(),
  },
];

async function loadDefinition(entry: Loaded): Promise<GovCommand> {
  return (await entry.define()).description(entry.summary);
}

/**
 * Stands in for a loaded command in the program: takes every argument as it is and hands it to the
 * command's own parser (or a test's stand-in).
 */
function loadedEntry(entry: Loaded, run: EntryPoint | undefined): GovCommand {
  return govCommand(entry.name)
    .description(entry.summary)
    .helpGroup(entry.group)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .does(async ({ args, io }) => (run ? run(args, io) : (await loadDefinition(entry)).run(args, io)));
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

const AFTER_HELP =
  '\nAdmin commands connect with --master HOST:PORT --ca FILE --cert FILE --key FILE\n' +
  '(env GOV_MASTER GOV_CA GOV_CERT GOV_KEY; defaults 127.0.0.1:7070 and ./certs/admin-admin.*).\n' +
  'Exit codes: 0 success, 1 the operation failed, 2 usage error.';

/** The `gov` program: every command, in help order, grouped under the section headings. */
export function govProgram(deps: GovDeps = {}): GovCommand {
  const connect = deps.connect ?? connectAdmin;
  const program = govCommand('gov')
    .version(`gov ${readVersion()}`, '-v, --version', 'print the version')
    .addHelpText('before', 'gov — distributed, non-owning process governor\n')
    .addHelpText('after', AFTER_HELP);
  program.fixedUsage = 'gov <command> [arguments] [--json] [--help]';
  program.errorHint = ' — run `gov help` for the list';
  const stand: Record<string, EntryPoint | undefined> = {
    master: deps.runMaster,
    agent: deps.runAgent,
    dev: deps.runDev,
    certs: deps.certs && ((args, io) => deps.certs!.run(args, io)),
  };
  for (const entry of LOADED) program.addCommand(loadedEntry(entry, stand[entry.name]));
  const admin = [
    applyCommand(connect),
    deleteCommand(connect),
    agentsCommand(connect),
    psCommand(connect),
    ...CONTROL_ACTIONS.map((a) => controlCommand(a, connect)),
    signalCommand(connect),
    attachCommand(connect),
    detachCommand(connect),
    metricsCommand(connect),
    executionsCommand(connect),
    statsCommand(connect),
    logsCommand(connect),
    rolloutCommand(connect),
  ];
  for (const cmd of admin) program.addCommand(cmd.helpGroup('admin:'));

  program
    .command('help')
    .description('this list, or the help of COMMAND')
    .argument('[COMMAND...]')
    .helpGroup('other:')
    .does(async ({ args, io }) => {
      let cmd: GovCommand = program;
      for (const name of args) {
        const next = cmd.commands.find((c) => c.name() === name) as GovCommand | undefined;
        if (!next) throw new UsageError(`unknown command ${JSON.stringify(args.join(' '))}`);
        cmd = next;
      }
      const entry = LOADED.find((e) => cmd.parent === program && e.name === cmd.name());
      if (entry) return (await loadDefinition(entry)).run(['--help'], io);
      cmd.outputHelp();
      return EXIT_OK;
    });
  program
    .command('completion')
    .description('print a bash or zsh completion script: source <(gov completion bash)')
    .argument('<bash|zsh>')
    .helpGroup('other:')
    .does(async ({ args: [shell], io }) => {
      if (shell !== 'bash' && shell !== 'zsh')
        throw new UsageError(`unknown shell ${JSON.stringify(shell)}: expected bash or zsh`);
      io.out(completionScript(await completeProgram(deps), shell as Shell));
    });
  program
    .command('version', { hidden: true })
    .description('print the version')
    .does(({ io }) => {
      io.out(`gov ${readVersion()}\n`);
    });
  return program;
}

/** The program with the loaded commands' own definitions in place of their stand-ins (for completion). */
async function completeProgram(deps: GovDeps): Promise<GovCommand> {
  const program = govProgram(deps);
  const full = govCommand('gov');
  for (const o of program.options) full.addOption(o);
  for (const cmd of program.commands as GovCommand[]) {
    const entry = LOADED.find((e) => e.name === cmd.name());
    full.addCommand(entry ? await loadDefinition(entry) : cmd);
  }
  return full;
}

/** Runs `gov ARGV...`; returns the exit code. */
export async function main(argv: string[], io: CliIO, deps: GovDeps = {}): Promise<number> {
  return govProgram(deps).run(argv.length === 0 ? ['--help'] : argv, io);
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
