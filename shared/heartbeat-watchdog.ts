/**
 * The application heartbeat of one stream, on both ends (the master's agent session and the agent's
 * master link): every interval it sends a beat, and it gives the peer up once nothing was heard from it
 * for longer than the grace. Starvation-aware: a tick that comes late means our own event loop was
 * starved (e.g. busy spawning) — what the peer sent meanwhile is still unread — so that silence is not
 * held against the peer; the count starts again from the late tick.
 */
import type { Clock, TimerHandle } from './clock.js';

export interface HeartbeatWatchdogOptions {
  clock: Clock;
  /** How often to beat and check, ms. */
  intervalMs: number;
  /** How long the peer may be silent, ms; more, and it is given up. */
  graceMs: number;
  /** Sends our heartbeat (each tick while the peer counts as alive). */
  beat(now: number): void;
  /** The peer was silent for `silentMs`, longer than the grace: called once, the watchdog has stopped. */
  silent(silentMs: number): void;
}

/** A tick later than this many intervals is our starvation, not the peer's silence. */
const LATE_TICK_INTERVALS = 2;

export class HeartbeatWatchdog {
  private lastHeard: number;
  private lastTick: number;
  private timer: TimerHandle | null = null;
  private running = false;

  constructor(private readonly opts: HeartbeatWatchdogOptions) {
    this.lastHeard = this.lastTick = opts.clock.now();
  }

  /** Starts ticking (counting silence from now). Idempotent. */
  start(): this {
    if (this.running) return this;
    this.running = true;
    this.lastHeard = this.lastTick = this.opts.clock.now();
    this.schedule();
    return this;
  }

  /** Something arrived from the peer. */
  heard(): void {
    this.lastHeard = this.opts.clock.now();
  }

  /** How long the peer has been silent, ms. */
  silentMs(): number {
    return this.opts.clock.now() - this.lastHeard;
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.opts.clock.after(this.opts.intervalMs, () => this.tick());
  }

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    const now = this.opts.clock.now();
    if (now - this.lastTick > this.opts.intervalMs * LATE_TICK_INTERVALS) this.lastHeard = now;
    this.lastTick = now;
    const silent = now - this.lastHeard;
    if (silent > this.opts.graceMs) {
      this.stop();
      this.opts.silent(silent);
      return;
    }
    this.schedule();
    this.opts.beat(now);
  }
}
