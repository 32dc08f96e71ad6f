/**
 * The `gov` program (DESIGN §2, §6), which the `gov` binary (gov.ts) runs: one commander program that
 * dispatches to the daemons (`gov master`, `gov agent`, `gov dev`), the PKI (`gov certs`), the admin commands
 * (defined with adminCommand() in master/cli/) and `gov completion`. Every command lives in a module loaded
 * only when it runs (COMMANDS): the index (`gov --help`) and `--version` load none of them, `gov ps` loads
 * ps.ts and what it imports, not the daemons, the PKI or the other commands. The agent comes through a
 * dynamic import because master/ never imports agent/ statically. `npm run build` bundles this module
 * and what it imports, the agent included, into dist/master/cli/gov-bundle*.js (scripts/build-cli-bundle.mjs),
 * one chunk per lazily loaded module set, so the split above holds for the bundle too; tests import this
 * module itself.
 */
import {
  EXIT_FAILED,
  EXIT_OK,
  UsageError,
  processIO,
  reportError,
  terminalText,
  type CliIO,
} from '../../shared/cli-io.js';
import { govCommand, type GovCommand } from '../../shared/cli-program.js';
import { errorMessage } from '../../shared/errors.js';
import type { AdminConnector } from './connect.js';
import { readVersion, versionLine } from './version.js';

export type EntryPoint = (args: string[], io: CliIO) => Promise<number>;

/** Seams for tests: a fake master connection and stand-ins for the daemons. */
export interface GovDeps {
  connect?: AdminConnector;
  runMaster?: EntryPoint;
  runAgent?: EntryPoint;
  runDev?: EntryPoint;
  certs?: { run: EntryPoint };
}

/** Makes a command's definition; admin commands connect through `connect` (their own default without). */
type Define = (connect?: AdminConnector) => GovCommand;

/**
 * A command of `gov`: what the index lists (name, summary, heading) without loading anything, and the
 * import of the module that defines it. A `program` (a daemon, the PKI) parses its own arguments as a
 * program of its own; a `command` (an admin command) takes its place in `gov` once its module is loaded, so
 * its help and errors are those of its definition.
 */
interface Entry {
  kind: 'program' | 'command';
  name: string;
  summary: string;
  group: string;
  /** Imports the module (once). */
  load(): Promise<Define>;
  /** The definition maker once load() has resolved. */
  loaded: Define | undefined;
}

function entry(
  kind: Entry['kind'],
  group: string,
  name: string,
  summary: string,
  load: () => Promise<Define>,
): Entry {
  const e: Entry = {
    kind,
    name,
    summary,
    group,
    loaded: undefined,
    load: async () => (e.loaded ??= await load()),
  };
  return e;
}

const daemon = (name: string, summary: string, load: () => Promise<Define>) =>
  entry('program', 'daemons:', name, summary, load);
const admin = (name: string, summary: string, load: () => Promise<Define>) =>
  entry('command', 'admin:', name, summary, load);

/**
 * agent/ is loaded only when `gov agent` runs, never imported statically. The path is a literal so that the
 * CLI bundle holds the agent too (its own chunks, sharing gRPC, commander and shared/ with the rest): an
 * agent run from the bundle loads one copy of each module, and parses a few large files instead of ~200
 * modules with their comments (3-4 MiB less resident at idle); from the tsc build it is dist/agent/main.js.
 */
async function loadAgent(): Promise<Define> {
  const mod = (await import('../../agent/main.js')) as { agentProgram?: () => GovCommand };
  if (typeof mod.agentProgram !== 'function') throw new Error('agent/main.js does not export agentProgram');
  return mod.agentProgram;
}

/** The `start stop restart ensure release` commands share one module. */
const control =
  (action: 'start' | 'stop' | 'restart' | 'ensure' | 'release') => async (): Promise<Define> => {
    const { controlCommand } = await import('./control.js');
    return (connect) => controlCommand(action, connect);
  };

/**
 * Every command, in help order. The summaries are the ones the commands' own definitions carry (a test
 * compares them), written here so that the index needs no module.
 */
const COMMANDS: Entry[] = [
  daemon(
    'master',
    'run the master: registry, execution log, dispatcher, admin API',
    async () => (await import('../main.js')).masterProgram,
  ),
  daemon('agent', "run an agent: supervises this machine's handlers, dials the master", loadAgent),
  daemon(
    'dev',
    'master + one local agent, dev certificates and demo handlers',
    async () => (await import('./dev.js')).devProgram,
  ),
  entry(
    'program',
    'setup:',
    'certs',
    'create the dev CA and certificates (init) or issue one more certificate (issue)',
    async () => (await import('./certs.js')).certsProgram,
  ),
  entry(
    'command',
    'setup:',
    'install-units',
    'write the systemd units of the master and the agent (does not run systemctl)',
    async () => (await import('./install-units.js')).installUnitsCommand,
  ),
  admin(
    'apply',
    'validate a handlers file locally, then store its specs and push them to their agents',
    async () => (await import('./apply.js')).applyCommand,
  ),
  admin(
    'delete',
    'stop handlers everywhere and delete their specs',
    async () => (await import('./delete.js')).deleteCommand,
  ),
  admin(
    'agents',
    'list agents, refuse and disconnect one (agents revoke; agents unrevoke lifts it), or set the labels ' +
      'selectors match (agents label)',
    async () => (await import('./agents.js')).agentsCommand,
  ),
  admin(
    'masters',
    'list the masters: which one leads, since when, and their lease age (any master answers)',
    async () => (await import('./masters.js')).mastersCommand,
  ),
  admin(
    'ps',
    'list instances: state, PID, restarts, uptime, last exit, health, sd_notify STATUS (stale ones marked *)',
    async () => (await import('./ps.js')).psCommand,
  ),
  admin('start', 'start handlers or instances on their agents', control('start')),
  admin('stop', 'stop handlers or instances on their agents', control('stop')),
  admin('restart', 'restart handlers or instances; prints the new PIDs', control('restart')),
  admin(
    'ensure',
    'make sure handlers run (wakes an on-demand handler; --hold keeps it hot)',
    control('ensure'),
  ),
  admin('release', 'end the leases of ensure --hold: on-demand handlers may cool again', control('release')),
  admin(
    'signal',
    "send a signal to handlers' process groups (--main: their main process only)",
    async () => (await import('./signal.js')).signalCommand,
  ),
  admin(
    'attach',
    'observe a running process by PID on an agent (measured, never signalled)',
    async () => (await import('./attach.js')).attachCommand,
  ),
  admin(
    'detach',
    'stop observing a process (it keeps running, untouched)',
    async () => (await import('./attach.js')).detachCommand,
  ),
  admin(
    'metrics',
    'CPU, memory and uptime per instance, host figures per agent, fleet telemetry',
    async () => (await import('./metrics.js')).metricsCommand,
  ),
  admin(
    'policies',
    'resource policy rules: smoothed value, forecast, state and last action, per instance and agent',
    async () => (await import('./policies.js')).policiesCommand,
  ),
  admin(
    'executions',
    'query the execution log (newest first), or clear it',
    async () => (await import('./executions.js')).executionsCommand,
  ),
  admin(
    'stats',
    'execution statistics: counts, success rate, durations, by handler and agent',
    async () => (await import('./stats.js')).statsCommand,
  ),
  admin(
    'logs',
    "last lines of an instance's stdout or stderr; -f follows",
    async () => (await import('./logs.js')).logsCommand,
  ),
  admin(
    'events',
    "the master's event stream: instance, health, execution, rollout, agent and policy changes; -f follows",
    async () => (await import('./events.js')).eventsCommand,
  ),
  admin(
    'top',
    'live full-screen view of agents, instances (CPU, memory) and the last executions; q quits',
    async () => (await import('./top.js')).topCommand,
  ),
  admin(
    'exec',
    "run a command in one instance's context on its agent (-i stdin, -t terminal)",
    async () => (await import('./exec.js')).execCommand,
  ),
  admin(
    'rollout',
    'health-gated rolling restart; status, pause, resume or abort a rollout',
    async () => (await import('./rollout.js')).rolloutCommand,
  ),
  admin(
    'ui',
    'web dashboard: a local proxy on 127.0.0.1 with a one-time token, using your certificate',
    async () => (await import('./ui.js')).uiCommand,
  ),
];

/** A program's own definition (daemons, the PKI), under the summary the index shows. */
async function loadProgram(e: Entry): Promise<GovCommand> {
  return (await e.load())().description(e.summary);
}

/**
 * Stands in for a command in the program: takes every argument as it is. A program's stand-in hands them
 * to the program's own parser (or a test's stand-in); a command's stand-in (its module not loaded yet,
 * main() loads it beforehand) loads the module and runs `gov` again, now with the definition in place.
 */
function standIn(e: Entry, deps: GovDeps, run: EntryPoint | undefined): GovCommand {
  return govCommand(e.name)
    .description(e.summary)
    .helpGroup(e.group)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .does(async ({ args, io }) => {
      if (run) return run(args, io);
      if (e.kind === 'program') return (await loadProgram(e)).run(args, io);
      return runLoaded([e], deps, [e.name, ...args], io);
    });
}

/** Loads the modules of `entries`, then runs `args` on a program holding their definitions. */
async function runLoaded(entries: Entry[], deps: GovDeps, args: string[], io: CliIO): Promise<number> {
  await Promise.all(entries.map((e) => e.load()));
  return govProgram(deps).run(args, io);
}

/**
 * The commands a run of `args` needs defined: the one named (the first word; `gov` has no flag that takes
 * a value), for `help` the one asked about, for `completion` every one.
 */
function commandsFor(args: string[]): Entry[] {
  const at = args.findIndex((a) => !a.startsWith('-'));
  const word = args[at];
  if (word === 'completion') return COMMANDS;
  const name = word === 'help' ? args[at + 1] : word;
  return COMMANDS.filter((e) => e.name === name);
}

const AFTER_HELP =
  '\nAdmin commands connect with --master HOST:PORT --ca FILE --cert FILE --key FILE\n' +
  '(env GOV_MASTER GOV_CA GOV_CERT GOV_KEY; defaults 127.0.0.1:7070 and ./certs/admin-admin.*).\n' +
  'gov --local ps|start|stop|restart|ensure|release|signal|logs|metrics asks the agent of this machine\n' +
  'instead, on its socket (--socket PATH or env GOV_SOCKET; default data/agent-<ID>/gov.sock), no master.\n' +
  'Exit codes: 0 success, 1 the operation failed, 2 usage error.';

/**
 * The `gov` program: every command, in help order, grouped under the section headings. A command whose
 * module is loaded is there with its own definition, the others as stand-ins.
 */
export function govProgram(deps: GovDeps = {}): GovCommand {
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
  for (const e of COMMANDS) {
    const define = e.kind === 'command' ? e.loaded : undefined;
    program.addCommand(define ? define(deps.connect).helpGroup(e.group) : standIn(e, deps, stand[e.name]));
  }

  program
    .command('help')
    .description('this list, or the help of COMMAND')
    .argument('[COMMAND...]')
    .helpGroup('other:')
    .does(async ({ args, io }) => {
      const e = COMMANDS.find((c) => c.name === args[0]);
      if (e?.kind === 'command' && !e.loaded) return runLoaded([e], deps, ['help', ...args], io);
      let cmd: GovCommand = program;
      for (const name of args) {
        const next = cmd.commands.find((c) => c.name() === name) as GovCommand | undefined;
        if (!next) throw new UsageError(`unknown command ${JSON.stringify(args.join(' '))}`);
        cmd = next;
      }
      if (e?.kind === 'program' && args.length === 1) return (await loadProgram(e)).run(['--help'], io);
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
      const { completionScript } = await import('./completion.js');
      io.out(completionScript(await completeProgram(deps), shell));
    });
  program
    .command('version', { hidden: true })
    .description('print the version')
    .does(({ io }) => {
      io.out(versionLine());
    });
  return program;
}

/** The program with every command's own definition in place of its stand-in (for completion). */
async function completeProgram(deps: GovDeps): Promise<GovCommand> {
  await Promise.all(COMMANDS.map((e) => e.load()));
  const program = govProgram(deps);
  const full = govCommand('gov');
  for (const o of program.options) full.addOption(o);
  for (const cmd of program.commands as GovCommand[]) {
    const e = COMMANDS.find((c) => c.name === cmd.name());
    full.addCommand(e?.kind === 'program' ? await loadProgram(e) : cmd);
  }
  return full;
}

/**
 * For each admin command, the summary the index lists beside the one its own definition carries (loads
 * every module). The two must agree: a test compares them.
 */
export async function indexedSummaries(): Promise<Array<{ name: string; listed: string; defined: string }>> {
  const commands = COMMANDS.filter((e) => e.kind === 'command');
  return Promise.all(
    commands.map(async (e) => ({
      name: e.name,
      listed: e.summary,
      defined: (await e.load())().description(),
    })),
  );
}

/** Runs `gov ARGV...`; returns the exit code. Loads the module of the command named, and only that one. */
export async function main(argv: string[], given: CliIO, deps: GovDeps = {}): Promise<number> {
  // stderr carries only the CLI's own words and what the master and agents said (errors, reasons): never a
  // terminal control (terminalText); stdout is made safe where such text is printed (print, table), while
  // `gov logs` and `gov exec` pass a handler's own output through.
  // Copied by descriptor, not spread: a spread reads `interrupted`, and that getter (entryIO) installs the
  // SIGINT/SIGTERM listeners, after which Ctrl-C no longer ends a command that does not race against it.
  const io = Object.defineProperties({}, Object.getOwnPropertyDescriptors(given)) as CliIO;
  io.err = (t) => given.err(terminalText(t));
  let args = argv.length === 0 ? ['--help'] : argv;
  const isAdmin = (name: string) => COMMANDS.some((e) => e.name === name && e.group === 'admin:');
  // local.ts is loaded only when its flags or GOV_SOCKET are there: `gov --version` loads no more than before.
  if (io.env.GOV_SOCKET || args.some((a) => a === '--local' || a.startsWith('--socket'))) {
    try {
      const local = (await import('./local.js')).resolveLocal(args, io, isAdmin);
      args = local.args;
      const socket = local.socket;
      if (socket !== null)
        deps = {
          ...deps,
          connect: async (conn) => (await import('./local-connect.js')).localConnector(socket)(conn),
        };
    } catch (err) {
      return reportError(err, io);
    }
  }
  return runLoaded(
    commandsFor(args).filter((e) => e.kind === 'command'),
    deps,
    args,
    io,
  );
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

/** Runs `gov` as the process: ARGV's command, its exit code the process's. What gov.ts calls. */
export function runGov(argv: string[]): void {
  // `gov executions | head`: a closed pipe ends the output, not in a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw err;
  });
  main(argv, entryIO()).then(
    (code) => {
      process.exitCode = code;
      exitOnceWritten();
    },
    (err: unknown) => {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
      process.exitCode = EXIT_FAILED;
      exitOnceWritten();
    },
  );
}

/** How long a finished command's process may linger on handles nobody uses any more. */
const EXIT_GRACE_MS = 200;

/**
 * The command is over (a daemon's too: its `main` resolves when it stops): once its output is written, the
 * process ends even if a handle it no longer needs holds the event loop — a connection to a master that
 * took the TCP connection but never answered TLS (hung, SIGSTOPped) kept `gov ps` alive after its error,
 * for minutes. A process with nothing left exits at once as before (the timer does not hold it).
 */
function exitOnceWritten(): void {
  process.stdout.write('', () =>
    process.stderr.write('', () => setTimeout(() => process.exit(), EXIT_GRACE_MS).unref()),
  );
}
