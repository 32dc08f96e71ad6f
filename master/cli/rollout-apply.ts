/**
 * `gov apply` and the rolling update it starts (one rollout for the whole change): follow it (unless
 * --detach) with live progress, returning once it settled.
 */
import { EXIT_FAILED, EXIT_OK, type CliIO } from '../../shared/cli-io.js';
import type { AdminApi, Rollout } from './admin-client.js';
import { handlersLabel, outcome, rolloutHandlers, summaryLine, watchRollout } from './rollout-watch.js';

/** Follows the rollouts (one from this master; several from an older one) in turn; exit 1 if any did not succeed. */
export async function followRolloutsOfApply(
  api: AdminApi,
  rollouts: Rollout[],
  io: CliIO,
  opts: { json: boolean; detach: boolean },
): Promise<{ rollouts: Rollout[]; exit: number }> {
  const out: Rollout[] = [];
  let exit = EXIT_OK;
  for (const r of rollouts) {
    if (opts.detach) {
      if (!opts.json)
        io.out(
          `rolling update ${r.id} of ${handlersLabel(rolloutHandlers(r).map((h) => h.name))} started; gov rollout status ${r.id}\n`,
        );
      out.push(r);
      continue;
    }
    const { rollout, interrupted } = await watchRollout(api, r, io, { json: opts.json });
    out.push(rollout);
    if (!opts.json) io.out(summaryLine(rollout));
    if (interrupted) break;
    if (outcome(io, rollout) !== EXIT_OK) exit = EXIT_FAILED;
  }
  return { rollouts: out, exit };
}
