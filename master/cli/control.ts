/**
 * `gov start|stop|restart|ensure|release TARGET... [--all] [--selector K=V] [--agent ID]...`: one call for
 * the whole set; the master fans out (one execution per handler and agent) and answers every instance's
 * outcome, printed one line each (`web@edge-1: running, pid 123`). Exit 1 when any instance failed.
 * `ensure --hold DUR` also takes (or renews) a lease on the instance woken: it counts as busy, and does not
 * cool, until the lease ends or `gov release` ends it.
 */
import { Option, type OptionValues } from 'commander';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../../shared/cli-io.js';
import { holdProblem, parseDuration } from '../../shared/durations.js';
import type { ControlAction, ControlResponse } from './admin-client.js';
import { adminCommand, type Output } from './admin-command.js';
import { readTargets, requireTargets, TARGET_ARGS, targetOptions } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import {
  executionJson,
  instanceJson,
  outcomeLines,
  outcomesJson,
  reportOutcomeFailures,
  type outcomeJson,
} from './format.js';
import type { TargetSet } from '../../shared/targets.js';

export const CONTROL_ACTIONS: readonly Exclude<ControlAction, 'signal'>[] = [
  'start',
  'stop',
  'restart',
  'ensure',
  'release',
];

const SUMMARY: Record<(typeof CONTROL_ACTIONS)[number], string> = {
  start: 'start handlers or instances on their agents',
  stop: 'stop handlers or instances on their agents',
  restart: 'restart handlers or instances; prints the new PIDs',
  ensure: 'make sure handlers run (wakes an on-demand handler; --hold keeps it hot)',
  release: 'end the leases of ensure --hold: on-demand handlers may cool again',
};

export function controlCommand(
  action: (typeof CONTROL_ACTIONS)[number],
  connect: AdminConnector = connectAdmin,
) {
  const hold =
    action === 'ensure'
      ? [
          new Option(
            '--hold <DUR>',
            'also hold it hot this long (10m, 2h): busy until then; renewed by another --hold, ended by gov release',
          ),
        ]
      : [];
  return adminCommand(connect, {
    name: action,
    summary: SUMMARY[action],
    args: [TARGET_ARGS],
    options: [...hold, ...targetOptions()],
    check: (names, o) => ({
      targets: requireTargets(readTargets(names, o), `gov ${action}`),
      holdMs: readHold(o),
    }),
    call: async (api, { targets, holdMs }, out) =>
      printOutcomes(
        action,
        targets,
        await (holdMs
          ? api.control(action, targets, undefined, { hold_ms: holdMs })
          : api.control(action, targets)),
        out,
        holdMs ? { hold_ms: holdMs } : {},
      ),
  });
}

/** `--hold DUR` → ms (0 when not given); a bad duration is a usage error (exit 2) naming the flag. */
function readHold(o: OptionValues): number {
  if (o.hold === undefined) return 0;
  let ms: number;
  try {
    ms = parseDuration(String(o.hold));
  } catch (err) {
    throw new UsageError(`--hold: ${(err as Error).message}`);
  }
  const problem = holdProblem(ms);
  if (problem) throw new UsageError(`--hold ${JSON.stringify(o.hold)}: must be longer than 0 (e.g. 10m)`);
  return ms;
}

/**
 * The answer of a control call: `--json` {action, targets, executions, instances, outcomes}, otherwise one
 * line per instance; failures on stderr. Returns the exit code.
 */
export function printOutcomes(
  action: ControlAction,
  targets: TargetSet,
  res: ControlResponse,
  out: Output,
  extra: Record<string, unknown> = {},
  done?: (o: ReturnType<typeof outcomeJson>) => string,
): number {
  out.print(
    {
      action,
      // The one handler named, as the one-handler form printed it (null for a set).
      handler: targets.names.length === 1 && !targets.names[0]!.includes('@') ? targets.names[0] : null,
      targets,
      ...extra,
      executions: res.executions.map(executionJson),
      instances: res.instances.map(instanceJson),
      outcomes: outcomesJson(res),
    },
    () => {
      const lines = outcomeLines(res, done);
      return lines || `no instances to ${action}: the targets name none (gov ps lists them)\n`;
    },
  );
  return reportOutcomeFailures(out.io, action, res) ? EXIT_FAILED : EXIT_OK;
}
