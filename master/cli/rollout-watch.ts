/**
 * Following a rollout until it ends: a progress bar (cli-progress, on stderr) on a TTY, one line per
 * change otherwise, nothing with `--json` (the caller prints one document at the end). The outcome maps
 * to the exit code: 0 succeeded, 1 anything else, naming the failed instance and the reason.
 */
import cliProgress from 'cli-progress';
import { EXIT_FAILED, EXIT_OK, flat, type CliIO } from '../../shared/cli-io.js';
import type { AdminApi, Rollout } from './admin-client.js';
import { rolloutProgress } from './format.js';

/** States after which a rollout does not move by itself. */
export const SETTLED_STATES = new Set(['succeeded', 'failed', 'aborted', 'rolled_back', 'paused']);

/**
 * How often a follower asks for the rollout: the CLI returns at most this long after the rollout settles.
 * 50 ms keeps that latency small next to a batch's min_healthy_time, for one small GetRollout per poll.
 */
export const WATCH_POLL_MS = 50;

export interface WatchOptions {
  json: boolean;
  /** Poll interval (default WATCH_POLL_MS). */
  pollMs?: number;
}

function doneCount(r: Rollout): number {
  return r.instances.filter((i) => i.state !== 'pending' && i.state !== 'in_progress').length;
}

/** One line per instance/rollout change (non-TTY progress). */
function changeLines(prev: Rollout | null, r: Rollout): string[] {
  const lines: string[] = [];
  const before = new Map(prev?.instances.map((i) => [`${i.agent}/${i.instance}`, i.state]) ?? []);
  for (const i of r.instances) {
    if (before.get(`${i.agent}/${i.instance}`) === i.state || i.state === 'pending') continue;
    const pids = i.new_pid ? `, pid ${i.old_pid || '-'} → ${i.new_pid}` : '';
    const why = i.reason ? `: ${i.reason}` : '';
    // The reason may be an agent's text (its error): one terminal-safe line.
    lines.push(
      flat(`  batch ${i.batch + 1}/${r.batches.length}  ${i.instance}@${i.agent}  ${i.state}${pids}${why}`),
    );
  }
  if (prev && prev.state !== r.state) lines.push(`rollout ${r.id}: ${r.state}`);
  return lines;
}

/** The handlers a rollout covers (a view from an older master has only `handler`). */
export function rolloutHandlers(r: Rollout): Rollout['handlers'] {
  if (r.handlers?.length) return r.handlers;
  return [
    {
      name: r.handler,
      from_version: r.from_version,
      to_version: r.to_version,
      rollback_version: r.rollback_version,
    },
  ];
}

/** `web`, `web, api`, `web, api +48 more`: a rollout's handlers in one short label. */
export function handlersLabel(names: readonly string[], shown = 2): string {
  if (names.length <= shown + 1) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} +${names.length - shown} more`;
}

const label = (r: Rollout): string => handlersLabel(rolloutHandlers(r).map((h) => h.name));

export function summaryLine(r: Rollout): string {
  const secs =
    r.completed_at && r.created_at
      ? ` in ${((Date.parse(r.completed_at) - Date.parse(r.created_at)) / 1000).toFixed(1)}s`
      : '';
  return (
    `rollout ${r.id} (${r.kind} of ${label(r)}): ${r.state} — ${rolloutProgress(r.instances)}, ` +
    `${r.batches.length} batch(es)${secs}\n`
  );
}

/** The exit code for a settled rollout; prints why on stderr when it is not a success. */
export function outcome(io: CliIO, r: Rollout): number {
  if (r.state === 'succeeded') return EXIT_OK;
  const failed = r.instances.find((i) => i.state === 'failed');
  const where =
    failed && !r.error.includes(failed.instance)
      ? ` (${failed.instance}@${failed.agent}: ${failed.reason})`
      : '';
  io.err(`error: rollout ${r.id} ${r.state}: ${r.error || 'no reason recorded'}${where}\n`);
  if (r.state === 'paused') io.err(`hint: gov rollout resume ${r.id} | gov rollout abort ${r.id}\n`);
  return EXIT_FAILED;
}

/** Polls the rollout until it settles (or the user interrupts); returns its last view. */
export async function watchRollout(
  api: AdminApi,
  first: Rollout,
  io: CliIO,
  opts: WatchOptions,
): Promise<{ rollout: Rollout; interrupted: boolean }> {
  const pollMs = opts.pollMs ?? WATCH_POLL_MS;
  const tty = io.isTTY && !opts.json;
  let bar: cliProgress.SingleBar | null = null;
  if (tty) {
    bar = new cliProgress.SingleBar(
      {
        format: `${label(first)} [{bar}] {value}/{total} | batch {batch} | {instance} | {state}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(first.instances.length, doneCount(first), progressPayload(first));
  } else if (!opts.json) {
    io.out(
      `rollout ${first.id}: ${first.kind} of ${label(first)}, ${first.instances.length} instance(s) in ` +
        `${first.batches.length} batch(es) of ${first.batch_size}\n`,
    );
  }
  let interrupted = false;
  void io.interrupted?.then(() => (interrupted = true));
  let prev: Rollout | null = null;
  let r = first;
  try {
    for (;;) {
      if (bar) bar.update(doneCount(r), progressPayload(r));
      else if (!opts.json) for (const l of changeLines(prev, r)) io.out(`${l}\n`);
      // A just-resumed or just-started rollout may still read as paused/pending for a moment.
      if (SETTLED_STATES.has(r.state) && (prev !== null || r.state !== 'paused')) break;
      if (interrupted) break;
      await new Promise((res) => setTimeout(res, pollMs));
      prev = r;
      r = await api.getRollout(r.id);
    }
  } finally {
    bar?.stop();
  }
  if (interrupted && !opts.json)
    io.out(`stopped following; rollout ${r.id} goes on in the master (gov rollout status ${r.id})\n`);
  return { rollout: r, interrupted };
}

function progressPayload(r: Rollout): Record<string, string> {
  const active = r.instances.filter((i) => i.state === 'in_progress');
  return {
    batch: `${Math.min(r.current_batch + 1, r.batches.length)}/${r.batches.length}`,
    instance: active.map((i) => `${i.instance}@${i.agent}`).join(' ') || '-',
    state: r.state,
  };
}
