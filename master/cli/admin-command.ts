/**
 * `adminCommand()`: the shape every admin command shares, so a command file holds only what is its own.
 * It adds `--json` and the connection flags to the command's own flags, resolves the connection
 * (flags > env > defaults, checked without touching the network), checks the arguments before anything
 * connects, then connect → call → print one JSON document or text, and always closes the client.
 */
import { Option, type OptionValues } from 'commander';
import { terminalText, type CliIO } from '../../shared/cli-io.js';
import { govCommand, type GovCommand } from '../../shared/cli-program.js';
import type { AdminApi } from './admin-client.js';
import { connectionOptions, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { printJson } from './format.js';

/** Where a connected command prints. */
export interface Output {
  io: CliIO;
  /** `--json` was given: print exactly one JSON document. */
  json: boolean;
  /** One JSON document with `--json`, otherwise the text (made only when needed). */
  print(doc: unknown, text: string | (() => string)): void;
}

export interface AdminCommandDef<Req> {
  name: string;
  summary: string;
  /** Positional arguments in commander syntax, `<HANDLER>` (required) or `[ID]` (optional), with a description when the summary does not say it all. */
  args?: Array<string | [string, string]>;
  /** The command's own flags (`--json` and the connection flags are added). */
  options?: Option[];
  /** What `--json` prints, for the help (default: one JSON document); null: not listed (a live view). */
  jsonHelp?: string | null;
  /** Checks arguments and flags before anything connects (throws UsageError); returns what `call` needs. */
  check(args: string[], opts: OptionValues, io: CliIO): Req;
  /** Asks the master and prints through `out`; returns the exit code (nothing means 0). */
  call(api: AdminApi, req: Req, out: Output): Promise<number | void>;
}

export function adminCommand<Req>(connect: AdminConnector, def: AdminCommandDef<Req>): GovCommand {
  const cmd = govCommand(def.name).description(def.summary);
  for (const a of def.args ?? []) {
    if (typeof a === 'string') cmd.argument(a);
    else cmd.argument(a[0], a[1]);
  }
  for (const o of def.options ?? []) cmd.addOption(o);
  const json = new Option('--json', def.jsonHelp ?? 'print one JSON document');
  cmd.addOption(def.jsonHelp === null ? json.hideHelp() : json);
  for (const o of connectionOptions()) cmd.addOption(o);
  return cmd.does(async ({ args, opts, io }) => {
    const conn = resolveAdminConnection(opts, io);
    const req = def.check(args, opts, io);
    const json = opts.json === true;
    const out: Output = {
      io,
      json,
      print: (doc, text) =>
        json ? printJson(io, doc) : io.out(terminalText(typeof text === 'function' ? text() : text)),
    };
    return withAdmin(connect, conn, (api) => def.call(api, req, out));
  });
}
