/**
 * Re-attaching an instance to its persisted record after an agent restart: the pure decision of what the
 * record and the backend's identity check mean (adopt a verified process, account for one that exited,
 * never signal the rest). The instance applies the plan; it alone changes its state.
 */
import type { HandlerSpec } from '../../shared/spec.js';
import type { ExitStatus, Handle, RecoverResult } from '../process/backend.js';
import { describePids } from '../process/main-process.js';
import { readinessDeadlineMs } from '../../shared/handler-waits.js';
import { decideRestart, describeExit, type RestartDecision } from './restart-policy.js';
import type { InstanceRecord } from '../supervisor/state-store.js';

export type RestorePlan =
  /** The recorded process failed verification: `unknown`, the handle kept as unverified, never signalled. */
  | { kind: 'refuse'; handle: Handle; message: string }
  /**
   * The verified process exited while the agent was down: account for its exit (restart policy); `stopped`:
   * it was being stopped (not by a restart), so the stop is done. `signalledAt`: when that stop signalled
   * its group (what is left there got the signal then).
   */
  | {
      kind: 'gone';
      handle: Handle;
      message: string;
      exit: ExitStatus;
      stopped: boolean;
      signalledAt?: number;
    }
  /**
   * The verified process is alive: adopt it, `starting` for the rest of its start window (`startLeftMs`)
   * or `running`; its health check gets `readyWithinMs` of readiness grace (0: none). `then`: `stop` when it
   * was being stopped or is wanted stopped; `restart` when a restart was stopping it (still wanted running).
   */
  | {
      kind: 'adopt';
      handle: Handle;
      to: 'starting' | 'running';
      message: string;
      startLeftMs: number;
      readyWithinMs: number;
      then: 'stop' | 'restart' | null;
    }
  /** No process, and the record ended in an outcome to show again. */
  | { kind: 'settle'; to: 'fatal' | 'exited' | 'unknown'; message: string }
  /**
   * No process; the record is `exited` but still wanted running: the agent died before the restart the
   * exit called for. `decision` is the restart policy applied again to the recorded last exit.
   */
  | { kind: 'resume'; message: string; decision: RestartDecision }
  /**
   * No process and nothing to show: stay stopped, or `start` — the agent died between an exit and its
   * restart, or in the middle of a restart (`message` then says so; `leftovers`: the handle of the process
   * that restart was stopping, whose group may still hold what ignored the stop signal it got at
   * `signalledAt`: stopped first).
   */
  | { kind: 'rest'; start: boolean; message?: string; leftovers?: Handle; signalledAt?: number };

/**
 * `recovered` is the backend's verdict on `rec.handle` (null when the record has none); for a live one the
 * handle already carries its main process as verified now (instance.ts).
 */
export function planRestore(
  rec: InstanceRecord,
  recovered: RecoverResult | null,
  spec: HandlerSpec,
  now: number,
): RestorePlan {
  const h = rec.handle;
  // A restart keeps its instance wanted running while it stops the old process (instance.ts stopNow).
  const restarting = rec.state === 'stopping' && rec.desired === 'running';
  if (h && recovered) {
    if (recovered.kind === 'mismatch') {
      const message = `RESTORE_FAILED ${recovered.reason}; not adopted, never signalled`;
      return { kind: 'refuse', handle: h, message };
    }
    if (recovered.kind === 'gone') {
      if (restarting) {
        const message = `RESTORED ${describePids(h)} stopped by a restart while the agent was down: starting it`;
        return { kind: 'rest', start: true, message, leftovers: h, signalledAt: rec.stopping_since };
      }
      const stopped = rec.state === 'stopping';
      const message = `RESTORED ${describePids(h)} ${stopped ? 'stopped' : 'exited'} while the agent was down`;
      const exit = recovered.exit ?? { code: null, signal: null };
      const signalledAt = stopped ? rec.stopping_since : undefined;
      return { kind: 'gone', handle: h, message, exit, stopped, signalledAt };
    }
    const then = restarting
      ? 'restart'
      : rec.state === 'stopping' || rec.desired === 'stopped'
        ? 'stop'
        : null;
    const startLeftMs = h.spawned_at + spec.start_seconds * 1000 - now;
    // A notify handler is starting until it says READY=1 (its start timeout counts from the spawn); others
    // for the rest of their start window.
    if (rec.state === 'starting' && (spec.notify === true || startLeftMs > 0)) {
      const message = `ADOPTED ${describePids(h)} (still starting)`;
      const readyWithinMs = h.spawned_at + readinessDeadlineMs(spec) - now;
      return { kind: 'adopt', handle: h, to: 'starting', message, startLeftMs, readyWithinMs, then };
    }
    const message = `ADOPTED ${describePids(h)}`;
    return { kind: 'adopt', handle: h, to: 'running', message, startLeftMs: 0, readyWithinMs: 0, then };
  }
  switch (rec.state) {
    case 'fatal':
      return { kind: 'settle', to: 'fatal', message: 'RESTORED fatal' };
    case 'exited':
      return resumeExited(rec, spec, now) ?? { kind: 'settle', to: 'exited', message: 'RESTORED exited' };
    case 'backoff':
      // The agent died while the policy's delay ran: the policy decides again from the recorded failed
      // starts (a fresh start would forget them, and a crash loop under a restarting agent never ends fatal).
      return resumeExited(rec, spec, now) ?? { kind: 'rest', start: rec.desired === 'running' };
    case 'unknown':
      return {
        kind: 'settle',
        to: 'unknown',
        message: 'RESTORED unknown: the recorded process was never verified',
      };
    default:
      // Wanted running with no process: an exit whose restart had not begun, or a restart between its stop
      // and its spawn (`stopped`, still wanted running).
      return { kind: 'rest', start: rec.desired === 'running' };
  }
}

/**
 * An `exited` (or `backoff`) record wanted running, with its last exit: the restart policy's decision again
 * (a restart, or `fatal` past start_retries), its delay counted from the exit; null when the policy does not
 * restart it (stays exited). The recorded `failed_starts` already counts that exit, so the decision starts from the
 * count before it.
 */
function resumeExited(rec: InstanceRecord, spec: HandlerSpec, now: number): RestorePlan | null {
  const exit = rec.last_exit;
  if (rec.desired !== 'running' || !exit) return null;
  const spawnedAt = rec.started_at ?? 0;
  const history = { failedStarts: Math.max(0, rec.failed_starts - 1) };
  // The delay is not random here: jitter stays at its middle.
  const decided = decideRestart(spec, history, { ...exit, spawnedAt }, exit.at, () => 0.5);
  if (decided.action === 'none') return null;
  // The delay ran from the exit: what is left of it (an agent restarting more often than the delay would
  // otherwise put the restart off for ever).
  const decision = { ...decided, delayMs: Math.max(0, exit.at + decided.delayMs - now) };
  const message = `RESTORED ${rec.state} (${describeExit(exit)}) with a restart pending: ${decision.reason}`;
  return { kind: 'resume', message, decision };
}
