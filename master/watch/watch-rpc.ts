/**
 * The Admin RPCs of the watch side: `Watch` (a stream; see watch-hub.ts) and `GetMetricsHistory`
 * (targets resolved like the other read RPCs: unknown names refused, observed processes included).
 */
import type { AdminHandlers } from '../../proto/generated/governor/v1/Admin.js';
import { toServiceError } from '../../shared/grpc-status.js';
import { requestTargets } from '../../shared/targets.js';
import { callerIdentity } from '../api/auth.js';
import { unary } from '../api/unary.js';
import type { Fleet } from '../fleet/fleet.js';
import type { RolloutEngine } from '../rollout/engine.js';
import { resolveTargets } from '../state/targets.js';
import { fleetWatch } from './fleet-watch.js';
import { compileWatchFilter } from './watch-filter.js';

export function watchRpcs(
  fleet: Fleet,
  rollouts: RolloutEngine,
): Pick<AdminHandlers, 'Watch' | 'GetMetricsHistory'> {
  return {
    Watch: (call) => {
      let filter;
      try {
        filter = compileWatchFilter(call.request);
      } catch (err) {
        call.emit('error', toServiceError(err));
        return;
      }
      const { cn, role } = callerIdentity(call);
      fleetWatch(fleet, rollouts).hub.watch(call, filter, `${role} ${cn}`);
    },

    GetMetricsHistory: unary(async (req) => {
      const resolved = resolveTargets(fleet.registry, requestTargets({ targets: req.targets, handler: '' }), {
        empty: 'everything',
        observed: 'include',
      });
      const { history, options } = fleetWatch(fleet, rollouts);
      return {
        interval_ms: options.metricsIntervalMs,
        window_ms: options.metricsHistoryMs,
        instances: history.query(Date.now(), resolved.matchesKey),
      };
    }),
  };
}
