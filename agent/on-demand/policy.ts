/**
 * On-demand mode decisions (DESIGN §3), pure, time passed in: the temperature of an instance from its
 * lifecycle state, the idle decision, and the bounded record of recent cold starts.
 */
import type { HandlerMode } from '../../shared/spec.js';
import type { InstanceState } from '../instance/lifecycle.js';

/** `frozen`: paused by the cgroup freezer after idling (`idle_action: freeze`); same PID, thawed by ensure. */
export type Temperature = 'cold' | 'warming' | 'hot' | 'cooling' | 'frozen';

/**
 * cold = stopped (also exited, fatal, and unknown: nothing of ours runs), warming = starting (also
 * backoff: a restart is coming), hot = running, frozen = running but paused by the freezer, cooling =
 * stopping. Empty for always-on instances.
 */
export function temperatureOf(mode: HandlerMode, state: InstanceState, frozen = false): Temperature | '' {
  if (mode !== 'on-demand') return '';
  if (frozen && state === 'running') return 'frozen';
  switch (state) {
    case 'starting':
    case 'backoff':
      return 'warming';
    case 'running':
      return 'hot';
    case 'stopping':
      return 'cooling';
    default:
      return 'cold';
  }
}

export type IdleDecision = { action: 'cool'; idleMs: number } | { action: 'wait'; delayMs: number };

/** Cool once `idleTimeoutMs` passed since the last use; otherwise wait for the rest of it. */
export function decideIdle(lastUse: number, idleTimeoutMs: number, now: number): IdleDecision {
  const idle = now - lastUse;
  if (idle >= idleTimeoutMs) return { action: 'cool', idleMs: idle };
  return { action: 'wait', delayMs: idleTimeoutMs - idle };
}

export interface ColdStart {
  /** Epoch ms when the instance became hot. */
  at: number;
  ms: number;
}

export const COLD_START_WINDOW_MS = 3_600_000;
export const MAX_RECENT_COLD_STARTS = 1000;

/** The cold starts of the last hour (newest last, at most MAX_RECENT_COLD_STARTS), plus `added` if given. */
export function recentColdStarts(list: readonly ColdStart[], now: number, added?: ColdStart): ColdStart[] {
  const out = list.filter((c) => c.at > now - COLD_START_WINDOW_MS);
  if (added) out.push(added);
  return out.length > MAX_RECENT_COLD_STARTS ? out.slice(out.length - MAX_RECENT_COLD_STARTS) : out;
}

const WAKE_PREFERENCE: readonly InstanceState[] = ['running', 'starting', 'backoff', 'stopping'];

/** Which of a handler's instances an `ensure` wakes: a hot one, else a warming/cooling one, else the first. */
export function chooseToWake(states: readonly InstanceState[]): number {
  for (const want of WAKE_PREFERENCE) {
    const i = states.indexOf(want);
    if (i >= 0) return i;
  }
  return 0;
}
