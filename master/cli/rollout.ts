/**
 * `gov rollout restart TARGET… [--all] [--selector] [--agent] [flags]` (ONE rollout over every instance the
 * set names, across handlers and agents) and `gov rollout status|pause|resume|abort [ID]` (DESIGN §5, §6).
 * `restart` and `resume` follow the rollout until it settles (unless --detach); with `--json` each
 * subcommand prints one document. Exit codes: 0 success, 1 failed/aborted/paused (instance + reason on
 * stderr), 2 usage. Without an ID, status lists rollouts; pause/abort take the latest active one and
 * resume the latest paused one.
 */
import { Option } from 'commander';
import { EXIT_OK, UsageError, table, type CliIO } from '../../shared/cli-io.js';
import { govCommand } from '../../shared/cli-program.js';
import { StateError } from '../../shared/errors.js';
import { isEmptyTarget } from '../../shared/targets.js';
import {
  checkUpdate,
  compileUpdateFields,
  DEFAULT_UPDATE,
  type OnFailure,
  type UpdateKey,
} from '../../shared/update-policy.js';
import type { AdminApi, Rollout } from './admin-client.js';
import { adminCommand } from './admin-command.js';
import { readTargets, targetOptions } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { failurePolicy } from '../rollout/plan.js';
import type { RolloutKind } from '../rollout/types.js';
import { printJson, rolloutProgress } from './format.js';
import { handlersLabel, outcome, rolloutHandlers, summaryLine, watchRollout } from './rollout-watch.js';

type Sub = 'status' | 'pause' | 'resume' | 'abort';

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
  const handlers = rolloutHandlers(r);
  if (handlers.length > 1) {
    text += `  batch size ${r.batch_size}, on failure ${onFailureText(r)}, issued by ${r.issued_by}\n`;
    text += `  handlers (${handlers.length}):\n`;
    for (const h of handlers) {
      const mine = r.instances.filter((i) => (i.handler || r.handler) === h.name);
      const back = h.rollback_version ? `, rolled back as ${h.rollback_version}` : '';
      text += `    ${h.name}: versions ${h.from_version} → ${h.to_version}${back}, ${rolloutProgress(mine)}\n`;
    }
  } else {
    text += `  versions ${r.from_version} → ${r.to_version}, batch size ${r.batch_size}, on failure ${onFailureText(r)}, issued by ${r.issued_by}\n`;
  }
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

/** What a failed batch does (plan.ts failurePolicy): a restart asked to roll back aborts, and says so. */
function onFailureText(r: Rollout): string {
  const does = failurePolicy(r.kind as RolloutKind, r.on_failure as OnFailure);
  return does === r.on_failure
    ? r.on_failure
    : `${does} (${r.on_failure} asked: a restart has nothing to roll back)`;
}

/**
 * Resolves a missing ID: the newest rollout for `status`; for the others the one rollout `sub` can act on, refused
 * when there are several (listed): an implicit pause or abort must not land on one the operator forgot.
 */
async function resolveId(api: AdminApi, id: string | undefined, sub: Sub): Promise<string> {
  if (id) return id;
  const wanted =
    sub === 'resume' ? ['paused'] : sub === 'status' ? [] : ['pending', 'running', 'paused', 'rolling_back'];
  const { rollouts } = await api.listRollouts();
  const found = rollouts.filter((r) => wanted.length === 0 || wanted.includes(r.state));
  if (found.length === 0) {
    throw new StateError(
      `no ${wanted.length ? `${wanted.join('/')} ` : ''}rollout to ${sub}; pass an ID (see gov rollout status)`,
    );
  }
  if (sub !== 'status' && found.length > 1)
    throw new UsageError(
      `${found.length} rollouts could be meant (${found
        .slice(0, 10)
        .map((r) => `${r.id} ${r.state} ${handlersLabel(rolloutHandlers(r).map((h) => h.name))}`)
        .join('; ')}${found.length > 10 ? '; …' : ''}): pass the ID of the one to ${sub}`,
    );
  return found[0]!.id;
}

function restartCommand(connect: AdminConnector) {
  return adminCommand(connect, {
    name: 'restart',
    summary:
      'ONE health-gated rolling restart over every instance named (handlers, instance keys, --all, --selector), followed until it settles',
    args: [['[TARGET...]', 'handler names or instance keys (web, web@edge-1, web#1@edge-1)']],
    options: [
      ...targetOptions(),
      new Option(
        '--batch-size <N|N%>',
        "instances per batch (percent of all the rollout's instances, rounds up; default: the strictest of the specs' update blocks)",
      ),
      new Option('--min-healthy <DUR>', 'how long an instance must stay running and healthy'),
      new Option('--healthy-deadline <DUR>', 'per instance: time to become healthy for --min-healthy'),
      new Option('--progress-deadline <DUR>', 'the whole rollout'),
      new Option(
        '--on-failure <pause|abort|rollback>',
        'what a failed batch does (rollback: rolling updates only)',
      ),
      new Option('--wait-between <DUR>', 'pause between batches'),
      new Option('--detach', 'start it and return at once'),
    ],
    check: (names, o) => {
      const targets = readTargets(names, o);
      if (isEmptyTarget(targets))
        throw new UsageError('name what to restart: TARGET... (web, web@edge-1), --all or --selector');
      const given = {
        batch_size: o.batchSize as string | undefined,
        min_healthy_time: o.minHealthy as string | undefined,
        healthy_deadline: o.healthyDeadline as string | undefined,
        progress_deadline: o.progressDeadline as string | undefined,
        on_failure: o.onFailure as string | undefined,
        wait_between: o.waitBetween as string | undefined,
      };
      // Refused here, naming the flag (the master checks them again); sent as written.
      const refuse = (key: UpdateKey, reason: string): never => {
        throw new UsageError(`${UPDATE_FLAGS[key]}: ${reason}`);
      };
      const u = compileUpdateFields(given, refuse);
      // Both given: they must fit together (one alone is checked with the handlers' blocks by the master).
      if (u.min_healthy_time_ms !== undefined && u.healthy_deadline_ms !== undefined)
        checkUpdate({ ...DEFAULT_UPDATE, ...u }, (key, reason) =>
          refuse(key, reason.replace('min_healthy_time', UPDATE_FLAGS.min_healthy_time)),
        );
      const req = {
        // `handler` is what older masters read; this master reads `targets` (one rollout over the set).
        handler: '',
        targets,
        batch_size: given.batch_size ?? '',
        min_healthy_time: given.min_healthy_time ?? '',
        healthy_deadline: given.healthy_deadline ?? '',
        progress_deadline: given.progress_deadline ?? '',
        on_failure: given.on_failure ?? '',
        wait_between: given.wait_between ?? '',
      };
      return { req, detach: o.detach === true };
    },
    call: async (api, { req, detach }, out) =>
      followAndReport(api, await api.startRollout(req), out.io, { json: out.json, detach }),
  });
}

function rolloutsTable(rollouts: Rollout[]): string {
  if (rollouts.length === 0) return 'no rollouts\n';
  return table(
    ['ID', 'HANDLER', 'KIND', 'STATE', 'INSTANCES', 'BATCH', 'CREATED', 'ERROR'],
    rollouts.map((r) => [
      r.id,
      handlersLabel(rolloutHandlers(r).map((h) => h.name)),
      r.kind,
      r.state,
      r.instances.length,
      `${Math.min(r.current_batch + 1, r.batches.length)}/${r.batches.length}`,
      r.created_at,
      r.error.slice(0, 80),
    ]),
  );
}

const SUBCOMMANDS: Record<Sub, string> = {
  status: 'one rollout in detail, or (no ID) the list of rollouts',
  pause: 'pause before the next batch (default: the latest active rollout)',
  resume: 'resume a paused rollout and follow it (default: the latest paused one)',
  abort: 'stop a rollout where it is (default: the latest active one)',
};

function rolloutActionCommand(sub: Sub, connect: AdminConnector) {
  return adminCommand(connect, {
    name: sub,
    summary: SUBCOMMANDS[sub],
    args: ['[ID]'],
    // `--detach` is accepted by every subcommand, as it always was; only resume follows a rollout.
    options: [
      new Option(
        '--detach',
        sub === 'resume' ? 'resume it and return at once' : 'no effect: returns at once',
      ),
    ],
    check: ([id], o) => ({ id, detach: o.detach === true }),
    call: async (api, { id, detach }, out) => {
      if (sub === 'status' && id === undefined) {
        const { rollouts } = await api.listRollouts();
        return out.print({ rollouts }, () => rolloutsTable(rollouts));
      }
      const target = await resolveId(api, id, sub);
      if (sub === 'status') {
        const r = await api.getRollout(target);
        return out.print(r, () => statusText(r));
      }
      if (sub === 'resume')
        return followAndReport(api, await api.resumeRollout(target), out.io, { json: out.json, detach });
      const r = sub === 'pause' ? await api.pauseRollout(target) : await api.abortRollout(target);
      out.print(
        r,
        sub === 'pause' && r.state === 'running'
          ? `rollout ${r.id} pauses before its next batch\n`
          : `rollout ${r.id} ${r.state}\n`,
      );
    },
  });
}

export function rolloutCommand(connect: AdminConnector = connectAdmin) {
  const rollout = govCommand('rollout').description(
    'health-gated rolling restart; status, pause, resume or abort a rollout',
  );
  rollout.addCommand(restartCommand(connect));
  for (const sub of Object.keys(SUBCOMMANDS) as Sub[]) rollout.addCommand(rolloutActionCommand(sub, connect));
  return rollout;
}
