/**
 * `gov rollout restart HANDLER [flags]` and `gov rollout status|pause|resume|abort [ID]` (DESIGN §5, §6).
 * `restart` and `resume` follow the rollout until it settles (unless --detach); with `--json` each
 * subcommand prints one document. Exit codes: 0 success, 1 failed/aborted/paused (instance + reason on
 * stderr), 2 usage. Without an ID, status lists rollouts; pause/abort take the latest active one and
 * resume the latest paused one.
 */
import { EXIT_OK, UsageError, parseFlags, table, type CliIO, type Command } from '../../shared/cli-io.js';
import { StateError } from '../../shared/errors.js';
import { compileUpdateFields, type UpdateKey } from '../../shared/update-policy.js';
import type { AdminApi, Rollout } from './admin-client.js';
import {
  COMMON_FLAGS,
  checkHandlerName,
  expectPositionals,
  helpText,
  printedHelp,
  runGuarded,
} from './command-kit.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { printJson } from './format.js';
import { outcome, summaryLine, watchRollout } from './rollout-watch.js';

export const ROLLOUT_USAGE =
  'gov rollout restart HANDLER [--batch-size N|N%] [--min-healthy DUR] [--healthy-deadline DUR]\n' +
  '           [--progress-deadline DUR] [--on-failure pause|abort|rollback] [--wait-between DUR] [--detach] [--json]\n' +
  '       gov rollout status|pause|resume|abort [ID] [--detach] [--json]';

const FLAGS_HELP =
  '  --batch-size N|N%        instances per batch (percent rounds up; default: the spec update block)\n' +
  '  --min-healthy DUR        how long an instance must stay running and healthy\n' +
  '  --healthy-deadline DUR   per instance: time to become healthy for --min-healthy\n' +
  '  --progress-deadline DUR  the whole rollout\n' +
  '  --on-failure P           pause | abort | rollback (rollback: rolling updates only)\n' +
  '  --wait-between DUR       pause between batches\n' +
  '  --detach                 start (or resume) and return at once';

const SUBCOMMANDS = ['restart', 'status', 'pause', 'resume', 'abort'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

const ROLLOUT_FLAGS = {
  ...COMMON_FLAGS,
  'batch-size': { type: 'string' },
  'min-healthy': { type: 'string' },
  'healthy-deadline': { type: 'string' },
  'progress-deadline': { type: 'string' },
  'on-failure': { type: 'string' },
  'wait-between': { type: 'string' },
  detach: { type: 'boolean' },
} as const;

/** The flag that sets each field of the update block. */
const UPDATE_FLAGS: Record<UpdateKey, string> = {
  batch_size: '--batch-size',
  min_healthy_time: '--min-healthy',
  healthy_deadline: '--healthy-deadline',
  progress_deadline: '--progress-deadline',
  on_failure: '--on-failure',
  wait_between: '--wait-between',
};

/** Follows a rollout (unless detached) and reports it: one JSON document or text; returns the exit code. */
export async function followAndReport(
  api: AdminApi,
  r: Rollout,
  io: CliIO,
  opts: { json: boolean; detach: boolean },
): Promise<number> {
  if (opts.detach) {
    if (opts.json) printJson(io, r);
    else io.out(`rollout ${r.id} ${r.state}; follow it with gov rollout status ${r.id}\n`);
    return EXIT_OK;
  }
  const { rollout, interrupted } = await watchRollout(api, r, io, { json: opts.json });
  if (opts.json) printJson(io, rollout);
  else io.out(summaryLine(rollout));
  return interrupted ? EXIT_OK : outcome(io, rollout);
}

function statusText(r: Rollout): string {
  let text = summaryLine(r);
  text += `  versions ${r.from_version} → ${r.to_version}, batch size ${r.batch_size}, on failure ${r.on_failure}, issued by ${r.issued_by}\n`;
  if (r.error) text += `  ${r.state === 'succeeded' ? 'note' : 'error'}: ${r.error}\n`;
  text += table(
    ['BATCH', 'INSTANCE', 'AGENT', 'STATE', 'OLD PID', 'NEW PID', 'REASON'],
    r.instances.map((i) => [
      i.batch + 1,
      i.instance,
      i.agent,
      i.state,
      i.old_pid || '-',
      i.new_pid || '-',
      i.reason || '',
    ]),
  );
  return text;
}

/** Resolves a missing ID: the newest rollout matching `pick`. */
async function resolveId(api: AdminApi, id: string | undefined, sub: Sub): Promise<string> {
  if (id) return id;
  const wanted =
    sub === 'resume' ? ['paused'] : sub === 'status' ? [] : ['pending', 'running', 'paused', 'rolling_back'];
  const { rollouts } = await api.listRollouts();
  const found = rollouts.find((r) => wanted.length === 0 || wanted.includes(r.state));
  if (!found) {
    throw new StateError(
      `no ${wanted.length ? `${wanted.join('/')} ` : ''}rollout to ${sub}; pass an ID (see gov rollout status)`,
    );
  }
  return found.id;
}

export function rolloutCommand(connect: AdminConnector = connectAdmin): Command {
  const cmd: Command = {
    name: 'rollout',
    summary: 'health-gated rolling restart; status, pause, resume or abort a rollout',
    usage: ROLLOUT_USAGE,
    run: (args, io) =>
      runGuarded(io, ROLLOUT_USAGE, async () => {
        const { values, positionals } = parseFlags(args, ROLLOUT_FLAGS);
        if (printedHelp(values, io, helpText(cmd, FLAGS_HELP))) return EXIT_OK;
        const [sub, ...rest] = positionals;
        if (sub === undefined) throw new UsageError(`missing subcommand (${SUBCOMMANDS.join(', ')})`);
        if (!SUBCOMMANDS.includes(sub as Sub))
          throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} (${SUBCOMMANDS.join(', ')})`);
        const json = values.json === true;
        const detach = values.detach === true;
        if (sub === 'restart') {
          const [handler] = expectPositionals(rest, ['HANDLER']) as [string];
          checkHandlerName(handler);
          const given = {
            batch_size: values['batch-size'],
            min_healthy_time: values['min-healthy'],
            healthy_deadline: values['healthy-deadline'],
            progress_deadline: values['progress-deadline'],
            on_failure: values['on-failure'],
            wait_between: values['wait-between'],
          };
          // Refused here, naming the flag (the master checks them again); sent as written.
          compileUpdateFields(given, (key, reason) => {
            throw new UsageError(`${UPDATE_FLAGS[key]}: ${reason}`);
          });
          const req = {
            handler,
            batch_size: given.batch_size ?? '',
            min_healthy_time: given.min_healthy_time ?? '',
            healthy_deadline: given.healthy_deadline ?? '',
            progress_deadline: given.progress_deadline ?? '',
            on_failure: given.on_failure ?? '',
            wait_between: given.wait_between ?? '',
          };
          const conn = resolveAdminConnection(values, io);
          return withAdmin(connect, conn, async (api) =>
            followAndReport(api, await api.startRollout(req), io, { json, detach }),
          );
        }
        const [id] = expectPositionals(rest, ['ID'], 0);
        const conn = resolveAdminConnection(values, io);
        return withAdmin(connect, conn, async (api) => {
          if (sub === 'status' && id === undefined) {
            const { rollouts } = await api.listRollouts();
            if (json) printJson(io, { rollouts });
            else if (rollouts.length === 0) io.out('no rollouts\n');
            else
              io.out(
                table(
                  ['ID', 'HANDLER', 'KIND', 'STATE', 'INSTANCES', 'BATCH', 'CREATED', 'ERROR'],
                  rollouts.map((r) => [
                    r.id,
                    r.handler,
                    r.kind,
                    r.state,
                    r.instances.length,
                    `${Math.min(r.current_batch + 1, r.batches.length)}/${r.batches.length}`,
                    r.created_at,
                    r.error.slice(0, 80),
                  ]),
                ),
              );
            return EXIT_OK;
          }
          const target = await resolveId(api, id, sub as Sub);
          if (sub === 'status') {
            const r = await api.getRollout(target);
            if (json) printJson(io, r);
            else io.out(statusText(r));
            return EXIT_OK;
          }
          if (sub === 'resume')
            return followAndReport(api, await api.resumeRollout(target), io, { json, detach });
          const r = sub === 'pause' ? await api.pauseRollout(target) : await api.abortRollout(target);
          if (json) printJson(io, r);
          else
            io.out(
              sub === 'pause' && r.state === 'running'
                ? `rollout ${r.id} pauses before its next batch\n`
                : `rollout ${r.id} ${r.state}\n`,
            );
          return EXIT_OK;
        });
      }),
  };
  return cmd;
}
