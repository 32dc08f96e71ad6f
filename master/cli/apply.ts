/** `gov apply -f FILE`: validates the handlers file locally (nothing sent when invalid), then applies it. */
import path from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { EXIT_FAILED } from '../../shared/cli-io.js';
import { GovError, errorMessage } from '../../shared/errors.js';
import { parseHandlersFile } from '../../shared/spec.js';
import { readYamlFile } from '../../shared/yaml-input.js';
import { adminCommand } from './admin-command.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { describeExecution, executionJson, printJson, reportFailures } from './format.js';
import { followRolloutsOfApply } from './rollout-apply.js';

function readSpecFile(file: string, cwd: string): string {
  try {
    return readYamlFile(path.resolve(cwd, file), file);
  } catch (err) {
    if (err instanceof GovError) throw err; // too large
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : errorMessage(err);
    throw new GovError('INVALID_ARGUMENT', `cannot read ${file}: ${why}`, { cause: err });
  }
}

export function applyCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'apply',
    summary: 'validate a handlers file locally, then store its specs and push them to their agents',
    options: [
      new Option('-f, --file <FILE>', 'handlers YAML file')
        .makeOptionMandatory()
        // commander keeps the last of a repeated option: the other files would be left out without a word.
        .argParser((file: string, earlier: string | undefined) => {
          if (earlier !== undefined)
            throw new InvalidArgumentError(
              `one handlers file per apply (${earlier} was given too): put every handler in one file`,
            );
          return file;
        }),
      new Option('--detach', 'do not wait for the rolling update it starts'),
    ],
    check: (_args, o, io) => {
      const file = o.file as string;
      const yaml = readSpecFile(file, io.cwd);
      // Refused locally with `file: key: reason`; nothing is sent.
      parseHandlersFile(yaml, file);
      return { file, yaml, detach: o.detach === true };
    },
    call: async (api, { file, yaml, detach }, out) => {
      const { io, json } = out;
      const res = await api.apply(yaml, file);
      if (!json) {
        if (res.handlers.length === 0) io.out('no handlers in file\n');
        for (const h of res.handlers) {
          const where = h.agents.length > 0 ? ` → ${h.agents.join(', ')}` : ' (no agents matched)';
          io.out(`handler ${h.name}: ${h.change} (version ${h.version})${where}\n`);
        }
        for (const r of res.executions) io.out(`${describeExecution(r)}\n`);
      }
      const failed = reportFailures(io, res.executions);
      // Changed specs on running instances start one rolling update: follow it (DESIGN §5).
      const followed = await followRolloutsOfApply(api, res.rollouts, io, { json, detach });
      if (json) {
        printJson(io, {
          handlers: res.handlers,
          executions: res.executions.map(executionJson),
          rollouts: followed.rollouts,
        });
      }
      return failed ? EXIT_FAILED : followed.exit;
    },
  });
}
