/**
 * `gov delete HANDLER... | --all | --selector K=V`: stops the handlers' instances everywhere and deletes their
 * specs. Whole handlers only: an instance key or `--agent` is refused (a handler is deleted on every agent;
 * `gov stop` stops some instances). Asks nothing, prints what it deleted.
 */
import { Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../../shared/cli-io.js';
import { adminCommand } from './admin-command.js';
import { agentsOption, readTargets, requireTargets, selectorOption } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { executionJson, instanceJson, outcomeLines, outcomesJson, reportOutcomeFailures } from './format.js';

export function deleteCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'delete',
    summary: 'stop handlers everywhere and delete their specs',
    args: [['[HANDLER...]', 'handler names (not instances: a handler is deleted on every agent)']],
    options: [
      new Option('--all', 'every handler'),
      selectorOption(),
      agentsOption('refused: a handler is deleted on every agent'),
    ],
    check: (names, o) => {
      const keys = names.filter((n) => n.includes('@') || n.includes('#'));
      if (keys.length > 0)
        throw new UsageError(
          `delete takes handler names, not instances (${keys.join(', ')}): a handler is deleted on every ` +
            'agent; to stop some instances use gov stop',
        );
      if (o.agent !== undefined)
        throw new UsageError(
          'delete takes no --agent: a handler is deleted on every agent; to stop it on some agents use gov stop, ' +
            'or change its agents/selector and gov apply',
        );
      return requireTargets(readTargets(names, o), 'gov delete', 'handler names');
    },
    call: async (api, targets, out) => {
      const res = await api.deleteHandler(targets);
      const outcomes = outcomesJson(res);
      const deleted = [...new Set(outcomes.map((o) => o.handler))];
      if (deleted.length === 0 && targets.names.length > 0) deleted.push(...targets.names);
      out.print(
        {
          handler: targets.names.length === 1 ? targets.names[0] : null,
          handlers: deleted,
          executions: res.executions.map(executionJson),
          instances: res.instances.map(instanceJson),
          outcomes,
        },
        () =>
          outcomeLines(
            { ...res, outcomes: res.outcomes.filter((o) => o.agent !== '') },
            () => 'stopped and forgotten',
          ) +
          (deleted.length === 0
            ? 'no handlers to delete: the targets name none\n'
            : deleted.map((h) => `handler ${h} deleted\n`).join('')),
      );
      return reportOutcomeFailures(out.io, 'delete', res) ? EXIT_FAILED : EXIT_OK;
    },
  });
}
