/** `gov apply -f FILE`: validates the handlers file locally (nothing sent when invalid), then applies it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT_FAILED, EXIT_OK, UsageError, parseFlags, type Command } from '../../shared/cli-io.js';
import { GovError, errorMessage } from '../../shared/errors.js';
import { parseHandlersFile } from '../../shared/spec.js';
import { COMMON_FLAGS, expectPositionals, helpText, printedHelp, runGuarded } from './command-kit.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { describeExecution, executionJson, printJson, reportFailures } from './format.js';
import { followRolloutsOfApply } from './rollout-apply.js';

export const APPLY_USAGE = 'gov apply -f FILE [--detach] [--json]';

function readSpecFile(file: string, cwd: string): string {
  try {
    return readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : errorMessage(err);
    throw new GovError('INVALID_ARGUMENT', `cannot read ${file}: ${why}`, { cause: err });
  }
}

export function applyCommand(connect: AdminConnector = connectAdmin): Command {
  const cmd: Command = {
    name: 'apply',
    summary: 'validate a handlers file locally, then store its specs and push them to their agents',
    usage: APPLY_USAGE,
    run: (args, io) =>
      runGuarded(io, APPLY_USAGE, async () => {
        const { values, positionals } = parseFlags(args, {
          ...COMMON_FLAGS,
          file: { type: 'string', short: 'f' },
          detach: { type: 'boolean' },
        });
        const flagsHelp =
          '  -f, --file FILE  handlers YAML file\n  --detach  do not wait for the rolling updates it starts';
        if (printedHelp(values, io, helpText(cmd, flagsHelp))) return EXIT_OK;
        expectPositionals(positionals, []);
        if (!values.file) throw new UsageError('missing -f FILE');
        const conn = resolveAdminConnection(values, io);
        const yaml = readSpecFile(values.file, io.cwd);
        // Refused locally with `file: key: reason`; nothing is sent.
        parseHandlersFile(yaml, values.file);
        const json = values.json === true;
        return withAdmin(connect, conn, async (api) => {
          const res = await api.apply(yaml, values.file as string);
          if (!json) {
            if (res.handlers.length === 0) io.out('no handlers in file\n');
            for (const h of res.handlers) {
              const where = h.agents.length > 0 ? ` → ${h.agents.join(', ')}` : ' (no agents matched)';
              io.out(`handler ${h.name}: ${h.change} (version ${h.version})${where}\n`);
            }
            for (const r of res.executions) io.out(`${describeExecution(r)}\n`);
          }
          const failed = reportFailures(io, res.executions);
          // A changed spec on running instances starts rolling updates: follow them (DESIGN §5).
          const followed = await followRolloutsOfApply(api, res.rollouts, io, {
            json,
            detach: values.detach === true,
          });
          if (json) {
            printJson(io, {
              handlers: res.handlers,
              executions: res.executions.map(executionJson),
              rollouts: followed.rollouts,
            });
          }
          return failed ? EXIT_FAILED : followed.exit;
        });
      }),
  };
  return cmd;
}
