/**
 * An HA leader that takes over continues the rollouts its predecessor had in flight (issue 16): the store
 * recovery paused them at their stored step (store.ts `recover`: the unfinished steps of the current batch
 * run again, finished batches never), and each is resumed once the agents its unfinished steps need are
 * connected to this leader again — they reconnect within a few seconds of a failover — or, at the latest,
 * after `waitMs` (a step on an agent still away then fails cleanly, and `on_failure` decides).
 * A rollout an operator had asked to pause is not among them (store.ts `recover`): it stays paused.
 */
import type { Logger } from '../../shared/logger.js';
import type { RolloutEngine } from './engine.js';

/** How often the agents are looked at while waiting for them. */
const POLL_MS = 100;

export function continueWhenConnected(
  engine: RolloutEngine,
  ids: readonly string[],
  isConnected: (agent: string) => boolean,
  log: Logger,
  waitMs: number,
  now: () => number = Date.now,
): void {
  const until = now() + waitMs;
  for (const id of ids) {
    const tick = (): void => {
      if (engine.isClosed) return;
      let r;
      try {
        r = engine.get(id);
      } catch {
        return; // gone
      }
      if (r.state !== 'paused') return; // an operator acted on it meanwhile
      const needed = new Set(r.instances.filter((i) => i.state === 'pending').map((i) => i.agent));
      const away = [...needed].filter((a) => !isConnected(a));
      if (away.length > 0 && now() < until) {
        setTimeout(tick, POLL_MS).unref();
        return;
      }
      if (away.length > 0) log.warn('continuing a rollout with agents still away', { rollout: id, away });
      engine.resume(id).then(
        () => log.info('rollout continued after the lead changed', { rollout: id }),
        (err: unknown) => log.warn('rollout not continued', { rollout: id, err }),
      );
    };
    tick();
  }
}
