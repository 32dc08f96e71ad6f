/**
 * The agent's estimate of the master's clock, from the send times the master stamps on its welcome and
 * heartbeats. One sample `master_sent_at - local_now_on_read` is the true offset minus the time the
 * message spent in transit and waiting to be read — never more. A message read late (the agent was busy
 * or frozen, SIGSTOP) gives a sample that is far too low, and trusting it would make an expired command
 * look fresh. So the estimate is the HIGHEST of the recent samples (the one that waited least), as NTP's
 * minimum-delay filter does; the window keeps it following real clock changes.
 */
export const CLOCK_SAMPLES = 16;

export class ClockOffset {
  private readonly samples: number[] = [];

  constructor(private readonly window = CLOCK_SAMPLES) {}

  /** Records one message stamped `masterMs` by the master and read at `localMs` here. */
  sample(masterMs: number, localMs: number): void {
    if (!Number.isFinite(masterMs) || masterMs <= 0) return;
    this.samples.push(masterMs - localMs);
    if (this.samples.length > this.window) this.samples.shift();
  }

  /** The master's clock minus ours, ms (0 before any sample). */
  get offsetMs(): number {
    return this.samples.length === 0 ? 0 : Math.max(...this.samples);
  }

  /** Our estimate of the master's clock at local time `localMs`. */
  masterNow(localMs: number): number {
    return localMs + this.offsetMs;
  }
}
