/**
 * An instance's health-check hooks: runs the HealthMonitor of its current process, keeps the verdict and
 * the readiness flags, and says what a verdict change means for the instance. The instance applies that
 * (it alone changes its state).
 */
import type { Logger } from '../../shared/logger.js';
import type { HandlerSpec, HealthSpec } from '../../shared/spec.js';
import type { Clock } from '../../shared/clock.js';
import { INITIAL_HEALTH, describeCheck, type HealthCounts, type HealthStatus } from '../health/checks.js';
import { HealthMonitor } from '../health/monitor.js';
import type { Probe, ProbeContext } from '../health/probe.js';
import type { InstanceState } from './lifecycle.js';

export interface InstanceHealthDeps {
  clock: Clock;
  probe: Probe;
  /** The instance's logger. */
  log: Logger;
}

/** What a verdict change means for the instance, applied in this order. */
export interface HealthOutcome {
  /** The first healthy verdict the start window waited for: `starting` → `running` with this message. */
  running: string | null;
  /** Events to record (no state change). */
  events: Array<{ type: string; message: string }>;
  /** `restart_on_unhealthy`: restart the instance. */
  restart: boolean;
}

export type HealthChange = (next: HealthCounts, prev: HealthCounts, deadline: boolean) => void;

export class InstanceHealth {
  private counts: HealthCounts = INITIAL_HEALTH;
  private monitor: HealthMonitor | null = null;
  /** The start window (start_seconds) elapsed while the check had not passed yet. */
  private awaiting = false;
  /** The readiness deadline passed without a healthy verdict: `start()` settles (still `starting`). */
  notReady = false;

  constructor(private readonly deps: InstanceHealthDeps) {}

  /** The status fields: `none` without a check. */
  report(spec: HandlerSpec): { health: HealthStatus; health_reason: string } {
    return spec.health
      ? { health: this.counts.status, health_reason: this.counts.reason }
      : { health: 'none', health_reason: '' };
  }

  /**
   * The start window elapsed: true when the instance may be `running` now; false when a check has not
   * passed yet (then `running` waits for the first healthy verdict).
   */
  mayRun(spec: HandlerSpec): boolean {
    if (!spec.health || this.counts.status === 'healthy') return true;
    this.awaiting = true;
    return false;
  }

  /**
   * Starts the check of a new (or adopted) process, if the spec has one, an exec check run like the
   * handler (`ctx`); `readyWithinMs` ≤ 0: no grace.
   * `onChange` hears only this monitor's verdicts.
   */
  start(spec: HandlerSpec, ctx: ProbeContext, readyWithinMs: number, onChange: HealthChange): void {
    this.stop();
    this.awaiting = false;
    this.notReady = false;
    const h = spec.health;
    if (!h) return;
    this.keepReasonOnly();
    const monitor = new HealthMonitor(h, ctx, {
      clock: this.deps.clock,
      probe: this.deps.probe,
      onChange: (next, prev, deadline) => {
        if (this.monitor === monitor) onChange(next, prev, deadline);
      },
    });
    this.monitor = monitor;
    monitor.start(Math.max(0, readyWithinMs));
  }

  /** Stops probing (the process is stopping or gone); the verdict becomes unknown, the last reason stays. */
  stop(): void {
    if (!this.monitor) return;
    this.monitor.stop();
    this.monitor = null;
    this.keepReasonOnly();
  }

  /** Takes a verdict change of the instance in `state`; returns what the instance must do. */
  accept(
    h: HealthSpec,
    change: { next: HealthCounts; prev: HealthCounts; deadline: boolean },
    state: InstanceState,
    desired: 'running' | 'stopped',
  ): HealthOutcome {
    const { next, prev, deadline } = change;
    const out: HealthOutcome = { running: null, events: [], restart: false };
    this.counts = next;
    this.deps.log.info('health', { from: prev.status, to: next.status, reason: next.reason || undefined });
    if (next.status === 'healthy') {
      this.notReady = false;
      if (state === 'starting' && this.awaiting) {
        this.awaiting = false;
        out.running = `RUNNING healthy (${describeCheck(h)})`;
      } else if (prev.status === 'unhealthy') {
        out.events.push({ type: 'HEALTHY', message: `HEALTHY ${describeCheck(h)}` });
      }
    } else if (next.status === 'unhealthy') {
      if (state === 'starting' && deadline) {
        this.notReady = true;
        out.events.push({
          type: 'NOT_READY',
          message: `NOT_READY not healthy by its deadline: ${next.reason}`,
        });
      } else if (state === 'running' && prev.status !== 'unhealthy') {
        out.events.push({ type: 'UNHEALTHY', message: `UNHEALTHY ${next.reason}` });
        if (h.restart_on_unhealthy && desired === 'running') {
          out.events.push({ type: 'RESTARTING', message: 'RESTARTING restart_on_unhealthy' });
          out.restart = true;
        }
      }
    }
    return out;
  }

  private keepReasonOnly(): void {
    this.counts = { ...INITIAL_HEALTH, reason: this.counts.reason };
  }
}
