/**
 * One rollout over several handlers runs under ONE update policy: the handlers' own `update` blocks merged
 * field by field by the STRICTEST (DESIGN §5; the README's "Rollouts over many handlers" says the same). The
 * one place that rule lives:
 * - batch_size: the smallest batch in instances, each block's size taken against the whole rollout's
 *   instance count (`25%` of 12 instances is 3; `2` beats it). A handler without a block brings the default
 *   `1`, so it rolls one instance at a time.
 * - min_healthy_time: the longest (every instance proves itself at least as long as its own spec asks).
 * - healthy_deadline: the longest (no instance is judged failed sooner than its own spec allows; it stays
 *   longer than the merged min_healthy_time, as each block's deadline is longer than its own minimum).
 * - progress_deadline: the longest (it bounds the whole rollout, which now covers more than any one
 *   handler's budget planned for).
 * - wait_between: the longest.
 * - on_failure: rollback if any block asks for it (an update one handler wants undone is undone), else
 *   pause if any asks for it (nothing more is changed and the operator decides), else abort.
 */
import { DEFAULT_UPDATE, type OnFailure, type UpdateSpec } from '../../shared/update-policy.js';
import { batchSizeOf } from './plan.js';

const ON_FAILURE_RANK: readonly OnFailure[] = ['rollback', 'pause', 'abort'];

/** The strictest of `blocks` for a rollout of `total` instances (DEFAULT_UPDATE when there is none). */
export function strictestPolicy(blocks: readonly UpdateSpec[], total: number): UpdateSpec {
  const [first, ...rest] = blocks;
  if (!first) return { ...DEFAULT_UPDATE };
  const out = { ...first };
  for (const b of rest) {
    if (batchSizeOf(b.batch_size, total) < batchSizeOf(out.batch_size, total)) out.batch_size = b.batch_size;
    out.min_healthy_time_ms = Math.max(out.min_healthy_time_ms, b.min_healthy_time_ms);
    out.healthy_deadline_ms = Math.max(out.healthy_deadline_ms, b.healthy_deadline_ms);
    out.progress_deadline_ms = Math.max(out.progress_deadline_ms, b.progress_deadline_ms);
    out.wait_between_ms = Math.max(out.wait_between_ms, b.wait_between_ms);
    if (ON_FAILURE_RANK.indexOf(b.on_failure) < ON_FAILURE_RANK.indexOf(out.on_failure))
      out.on_failure = b.on_failure;
  }
  return out;
}
