/**
 * The policy actions that hold on an instance after they are taken — a `limit_cpu` / `limit_memory`
 * override (the cgroup's limit files) and a `freeze` (the cgroup freezer) — kept in the agent's data dir
 * (`policy-held.json`: instance key → the rules holding it). The kernel keeps both when the agent stops,
 * while the rule that would revert them lives in the agent's memory only: without this record a restarted
 * agent would leave the limit or the freeze in place for good (a limited or frozen process rarely breaches
 * again, so its rule never fires and never clears). The next agent puts them back at its start (actuators.ts
 * `restore`) and its rules begin anew.
 */
import path from 'node:path';
import { DurableStore } from '../../shared/durable-store.js';
import { StateError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';

export const HELD_ACTIONS_FILE = 'policy-held.json';

/** instance key → names of the rules whose action holds on it. */
export interface HeldActions {
  limit: Record<string, string[]>;
  freeze: Record<string, string[]>;
}

function emptyHeld(): HeldActions {
  return { limit: {}, freeze: {} };
}

function checkHeld(data: unknown, file: string): HeldActions {
  const out = emptyHeld();
  const d = data as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d))
    throw new StateError(`${file}: expected an object with "limit" and "freeze"`);
  for (const kind of ['limit', 'freeze'] as const) {
    const m = d[kind] ?? {};
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw new StateError(`${file}: "${kind}" must be an object of instance key → rule names`);
    for (const [key, rules] of Object.entries(m as Record<string, unknown>)) {
      if (!Array.isArray(rules) || !rules.every((r) => typeof r === 'string'))
        throw new StateError(`${file}: "${kind}.${key}" must be a list of rule names`);
      out[kind][key] = rules as string[];
    }
  }
  return out;
}

/** Opens the record in `dataDir` (written with retries, as the agent's state: it never rejects a change). */
export function openHeldActions(dataDir: string, logger: Logger): Promise<DurableStore<HeldActions>> {
  const file = path.join(dataDir, HELD_ACTIONS_FILE);
  return DurableStore.open<HeldActions>(file, emptyHeld(), {
    validate: checkHeld,
    retry: {
      onError: (err) => logger.error('policy record write failed; retrying until it succeeds', { file, err }),
      onRecovered: (failures) =>
        logger.info('policy record written again', { file, failed_writes: failures }),
    },
  });
}
