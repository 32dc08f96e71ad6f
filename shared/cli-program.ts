/**
 * The CLI framework (commander) set up the way every `gov` command behaves: output through the injected
 * `io`, `run(args, io) → exit code` (0 success, 1 the operation failed, 2 usage error), errors printed as
 * `error: …` followed by the command's usage, help generated from the definitions (lowercase headings,
 * value names without angle brackets) and a usage line generated from the same definitions, so each
 * command states its arguments and flags once. Used by the admin commands and by both daemons.
 */
import { Command, CommanderError, Option, type Help, type HelpContext, type OptionValues } from 'commander';
import { EXIT_OK, EXIT_USAGE, UsageError, reportError, type CliIO } from './cli-io.js';

/** Help and usage lines wrap at this width (the output may be a pipe; no terminal width to ask). */
const HELP_WIDTH = 100;
/** The name every usage line starts with. */
const PROGRAM = 'gov';

/** What a command's action gets: its operands, its flags (with those of its parents), the io. */
export interface RunContext {
  args: string[];
  opts: OptionValues;
  io: CliIO;
}

export type RunBody = (ctx: RunContext) => Promise<number | void> | number | void;

interface RunState {
  io: CliIO;
  code: number;
  /** The command that was being parsed or run last: its usage goes with a usage error. */
  at: GovCommand;
}

/** Options that may be given several times (`--agent a --agent b`): collected in order. */
const repeatable = new WeakSet<Option>();

/** An option that collects every occurrence into an array (shown as `[--flag X]...` in the usage). */
export function repeatableOption(flags: string, description: string): Option {
  const o = new Option(flags, description).argParser<string[]>((v, prev) => [...(prev ?? []), v]);
  repeatable.add(o);
  return o;
}

const HELP_CONFIG: Partial<Help> = {
  styleTitle: (title) => title.charAt(0).toLowerCase() + title.slice(1),
  commandUsage: (cmd) => usageLine(cmd as GovCommand),
  optionTerm: (option) => option.flags.replace(/<([^>]+)>/g, '$1'),
  // The index of `gov` lists names only; a command's own subcommands are listed with their arguments.
  subcommandTerm: (cmd) =>
    cmd.parent?.parent ? [cmd.name(), ...cmd.registeredArguments.map(argumentText)].join(' ') : cmd.name(),
};

/** A commander command whose output, errors and exit codes follow the `gov` conventions. */
export class GovCommand extends Command {
  private govState: RunState | undefined;
  private govBody: RunBody | undefined;
  /** A usage line written by hand instead of the generated one (the `gov` index only). */
  fixedUsage: string | undefined;
  /** Appended to the usage line printed after a usage error. */
  errorHint = '';
  /** This command's own wording of commander's parse errors, by commander error code. */
  usageErrors: Record<string, string> = {};

  constructor(name?: string) {
    super(name);
    this.exitOverride();
    this.enablePositionalOptions();
    this.helpOption('-h, --help', 'this help');
    this.helpCommand(false);
    this.configureOutput({
      writeOut: (s) => this.state().io.out(s),
      writeErr: (s) => this.state().io.err(s),
      outputError: () => {},
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
    this.configureHelp(HELP_CONFIG);
  }

  override createCommand(name?: string): GovCommand {
    return new GovCommand(name);
  }

  /** The action: `body` returns the exit code (nothing means 0). */
  does(body: RunBody): this {
    this.govBody = body;
    return this.action(async () => {
      const state = this.state();
      state.at = this;
      const code = await body({ args: this.args, opts: this.optsWithGlobals(), io: state.io });
      state.code = typeof code === 'number' ? code : EXIT_OK;
    });
  }

  /** True when the command does something itself (not only through subcommands). */
  get runnable(): boolean {
    return this.govBody !== undefined;
  }

  /** Parses `args` with this command as the root, runs its action; prints errors; returns the exit code. */
  async run(args: string[], io: CliIO): Promise<number> {
    const state: RunState = { io, code: EXIT_OK, at: this };
    this.govState = state;
    try {
      await this.parseAsync(flagsAfterSubcommands(this, args), { from: 'user' });
      return state.code;
    } catch (err) {
      // Help and version end the parse through exitOverride: 0, unless the help stood for an error.
      if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      const usage = err instanceof UsageError ? usageLine(state.at) + state.at.errorHint : undefined;
      return reportError(err, io, usage);
    } finally {
      this.govState = undefined;
    }
  }

  /** Commander's parse errors, in our words, as a UsageError (exit 2 with the usage line). */
  override error(message: string, opts?: { code?: string; exitCode?: number }): never {
    this.state().at = this;
    throw new UsageError(this.reword(message.replace(/^error: /, ''), opts?.code));
  }

  /** A command with subcommands and no action of its own, run without one. */
  override help(context?: HelpContext): never;
  override help(cb: (str: string) => string): never;
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === 'object' && context.error)
      this.error(`missing subcommand (${this.subcommandNames()})`);
    return super.help(context as HelpContext);
  }

  private reword(message: string, code: string | undefined): string {
    const own = code === undefined ? undefined : this.usageErrors[code];
    if (own !== undefined) return own;
    const first = JSON.stringify(this.args[0] ?? '');
    switch (code) {
      case 'commander.unknownCommand':
        return this.name() === PROGRAM
          ? `unknown command ${first}`
          : `unknown subcommand ${first} (${this.subcommandNames()})`;
      case 'commander.unknownOption': {
        // Before a subcommand, a flag is always misplaced: it belongs to the command after it.
        if (this.runnable) return message;
        const flag = /'([^']+)'/.exec(message)?.[1] ?? '';
        return `unknown flag ${JSON.stringify(flag)} (flags go after the command)`;
      }
      case 'commander.excessArguments': {
        const extra = JSON.stringify(this.args[this.registeredArguments.length] ?? '');
        return this.commands.length > 0
          ? `unknown subcommand ${extra} (${this.subcommandNames()})`
          : `unexpected argument ${extra}`;
      }
      case 'commander.missingMandatoryOptionValue':
        return `${/'([^']+)'/.exec(message)?.[1]?.replace(/<([^>]+)>/g, '$1') ?? 'an option'} is required`;
      case 'commander.missingArgument':
        return `missing ${/'([^']+)'/.exec(message)?.[1] ?? 'argument'}`;
      default:
        return message;
    }
  }

  private subcommandNames(): string {
    return visibleSubcommands(this)
      .map((c) => c.name())
      .join(', ');
  }

  /** The run this command takes part in: its own (a root) or its parent's. */
  private state(): RunState {
    const s = this.govState ?? (this.parent instanceof GovCommand ? this.parent.state() : undefined);
    if (!s) throw new Error(`gov: command ${this.name()} used outside run()`);
    return s;
  }
}

/** The subcommands help lists (hidden ones work but are not shown). */
export function visibleSubcommands(cmd: Command): GovCommand[] {
  return cmd.createHelp().visibleCommands(cmd) as GovCommand[];
}

/** A new root or standalone command. */
export function govCommand(name: string): GovCommand {
  return new GovCommand(name);
}

/** `gov rollout restart`: the names from the top, `gov` first. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  if (names[0] !== PROGRAM) names.unshift(PROGRAM);
  return names.join(' ');
}

function argumentText(arg: { name(): string; required: boolean; variadic: boolean }): string {
  const name = arg.name() + (arg.variadic ? '...' : '');
  return arg.required ? name : `[${name}]`;
}

/** `-f FILE`, `[--agent ID]`, `[--json]`, `[--agent ID]...`: the short form when there is one. */
function optionText(o: Option): string {
  const value = /<([^>]+)>/.exec(o.flags)?.[1] ?? /\[([^\]]+)\]/.exec(o.flags)?.[0];
  const text = `${o.short ?? o.long ?? ''}${value ? ` ${value}` : ''}`;
  return (o.mandatory ? text : `[${text}]`) + (repeatable.has(o) ? '...' : '');
}

/** Joins words into lines that fit HELP_WIDTH after `usage: `, continuation lines indented by `indent`. */
function wrap(words: string[], indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > HELP_WIDTH - 'usage: '.length) {
      lines.push(line);
      line = ' '.repeat(indent) + w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return lines.join('\n       ');
}

/**
 * The usage of a command, generated from its definition: path, arguments, and the flags of its own
 * (default) option group; flags in a named group (the connection flags) are listed in the help only. A
 * command with subcommands shows one line per way to call it.
 */
export function usageLine(cmd: GovCommand): string {
  if (cmd.fixedUsage) return cmd.fixedUsage;
  const path = commandPath(cmd);
  const lines: string[] = [];
  if (cmd.runnable || cmd.commands.length === 0) {
    const words = [
      path,
      ...cmd.registeredArguments.map(argumentText),
      ...cmd.options.filter((o) => !o.hidden && o.helpGroupHeading === undefined).map(optionText),
    ];
    lines.push(wrap(words, path.length + 1));
  }
  for (const sub of visibleSubcommands(cmd)) lines.push(usageLine(sub));
  return lines.join('\n       ');
}

/** Every option of a command and of the commands below it. */
function optionsBelow(cmd: Command): Option[] {
  return [...cmd.options, ...cmd.commands.flatMap(optionsBelow)];
}

/**
 * Flags written before a subcommand (`gov rollout --json status`) moved after it, where the subcommand
 * parses them: a command with subcommands has no flags of its own, and `gov rollout`, `gov agents` and
 * `gov executions` always accepted their flags anywhere after their own name. A flag's value (`--on-failure pause restart web`) is never taken for the
 * subcommand.
 */
function flagsAfterSubcommands(cmd: Command, args: string[]): string[] {
  if (cmd.commands.length === 0) return args;
  const takesValue = new Set(
    optionsBelow(cmd)
      .filter((o) => o.required || o.optional)
      .flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)),
  );
  const leading: string[] = [];
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-') && args[i] !== '--') {
    const flag = args[i]!;
    leading.push(flag);
    i += 1;
    if (!flag.includes('=') && takesValue.has(flag) && i < args.length) leading.push(args[i++]!);
  }
  const sub =
    i < args.length
      ? cmd.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i]!))
      : undefined;
  // `gov --json ps` was always refused (exit 2): only a command's own subcommands take its leading flags.
  if (!sub || (leading.length > 0 && cmd.name() === PROGRAM)) return args;
  return [args[i]!, ...flagsAfterSubcommands(sub, [...leading, ...args.slice(i + 1)])];
}
