/**
 * The watch side of one fleet: the hub (ring + watchers), the metrics history, and the change feed that
 * fills both. One per fleet: the master opens it at start (so history and indexes begin with the master),
 * and the Admin handlers find it through `fleetWatch(fleet)`.
 */
import type { Fleet } from '../fleet/fleet.js';
import type { RolloutEngine } from '../rollout/engine.js';
import { attachChangeFeed } from './change-feed.js';
import { MetricsHistory } from './metrics-history.js';
import { WatchHub } from './watch-hub.js';

export interface WatchOptions {
  /** Kept events held for resume (`--watch-events`). */
  watchEvents: number;
  /** Live events a watcher may have waiting before it is dropped (`--watch-buffer`). */
  watchBuffer: number;
  /** How far back the metrics history goes, ms (`--metrics-history`). */
  metricsHistoryMs: number;
  /** The agents' metrics interval, ms. */
  metricsIntervalMs: number;
}

export const WATCH_DEFAULTS: WatchOptions = {
  watchEvents: 10_000,
  watchBuffer: 1_000,
  metricsHistoryMs: 15 * 60_000,
  metricsIntervalMs: 5_000,
};

export class FleetWatch {
  readonly hub: WatchHub;
  readonly history: MetricsHistory;
  private readonly detach: () => void;

  constructor(
    fleet: Fleet,
    rollouts: RolloutEngine | null,
    readonly options: WatchOptions,
    now: () => number = Date.now,
  ) {
    this.history = new MetricsHistory({
      windowMs: options.metricsHistoryMs,
      intervalMs: options.metricsIntervalMs,
    });
    this.hub = new WatchHub({
      ringSize: options.watchEvents,
      bufferSize: options.watchBuffer,
      now,
      snapshot: () => ({
        agents: fleet.agentInfos(),
        instances: fleet.registry.listInstances(),
        rollouts: rollouts?.list() ?? [],
      }),
    });
    this.detach = attachChangeFeed(fleet, rollouts?.changes ?? null, this.hub, this.history, now);
  }

  /** Ends every watch stream (with `status` when given, else UNAVAILABLE) and stops following changes. */
  close(status?: Error & { code: number }): void {
    this.detach();
    this.hub.close(status);
  }
}

const opened = new WeakMap<Fleet, FleetWatch>();

/** Opens the watch side of `fleet` (the master's start); a second open of the same fleet is refused. */
export function openFleetWatch(
  fleet: Fleet,
  rollouts: RolloutEngine | null,
  options: WatchOptions = WATCH_DEFAULTS,
  now?: () => number,
): FleetWatch {
  if (opened.has(fleet)) throw new Error('the watch side of this fleet is already open');
  const w = new FleetWatch(fleet, rollouts, options, now);
  opened.set(fleet, w);
  return w;
}

/** The watch side of `fleet`, opened with the defaults when the master did not open it (unit tests). */
export function fleetWatch(fleet: Fleet, rollouts: RolloutEngine | null): FleetWatch {
  return opened.get(fleet) ?? openFleetWatch(fleet, rollouts);
}
