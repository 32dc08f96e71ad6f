/**
 * One control request (admin.proto ControlRequest) checked by one rule, whoever serves it — the master's
 * Admin service or an agent's local control socket: the action, the signal (an unknown name is refused
 * before any target is looked at, so nothing is sent), the lease of `ensure --hold`, and what the
 * execution records as its parameters.
 */
import { formatDuration, holdProblem } from './durations.js';
import { ValidationError } from './errors.js';
import { parseSignal } from './signals.js';

export const CONTROL_ACTIONS = ['start', 'stop', 'restart', 'ensure', 'release', 'signal'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];
/** The agent command kind of each action (agent_link.proto CommandKind). */
export type ControlKind = Uppercase<ControlAction>;

export interface CheckedControl {
  action: ControlAction;
  kind: ControlKind;
  /** signal: the canonical name (`SIGHUP`) and whether to the main process only. */
  signal?: NodeJS.Signals;
  main: boolean;
  /** ensure: the lease length (0: none). */
  holdMs: number;
  /** What the execution records as its params (`SIGHUP group`, `hold 10m`); empty when nothing. */
  paramsSummary: string;
}

/** Checks a request's action, signal and hold_ms; throws ValidationError naming the field. */
export function checkControl(req: {
  action: string;
  signal?: string;
  main?: boolean;
  hold_ms?: number;
}): CheckedControl {
  if (!CONTROL_ACTIONS.includes(req.action as ControlAction)) {
    throw new ValidationError(
      `action ${JSON.stringify(req.action)} must be one of ${CONTROL_ACTIONS.join(', ')}`,
      { fields: ['action'] },
    );
  }
  const action = req.action as ControlAction;
  const kind = action.toUpperCase() as ControlKind;
  if (action === 'signal') {
    const signal = parseSignal(req.signal ?? '');
    const main = req.main === true;
    checkHold(action, req.hold_ms ?? 0); // a lease on a signal is refused as on any other action
    return { action, kind, signal, main, holdMs: 0, paramsSummary: signalSummary(signal, main) };
  }
  const holdMs = checkHold(action, req.hold_ms ?? 0);
  return { action, kind, main: false, holdMs, paramsSummary: holdMs ? `hold ${formatDuration(holdMs)}` : '' };
}

/**
 * hold_ms: a lease length for `ensure` (durations.ts holdProblem), 0 otherwise. Only an exact 0 means "no
 * lease": NaN, a negative or a fractional length is refused like any other bad one, never taken for none.
 */
export function checkHold(action: string, ms: number): number {
  if (ms === 0) return 0;
  if (action.toLowerCase() !== 'ensure')
    throw new ValidationError(`hold_ms only applies to action ensure, not ${action}`, {
      fields: ['hold_ms'],
    });
  const problem = holdProblem(ms);
  if (problem) throw new ValidationError(`hold_ms: ${problem}`, { fields: ['hold_ms'] });
  return ms;
}

/** `SIGHUP group` / `SIGHUP main`: what a signal execution records in params_summary. */
export function signalSummary(signal: string, main: boolean): string {
  return `${signal} ${main ? 'main' : 'group'}`;
}
