/**
 * The agent's estimate of the master's clock, from the send times the master stamps on its welcome and
 * heartbeats. One sample `master_sent_at - local_now_on_read` is the true offset minus the time the
 * message spent in transit and waiting to be read — never more. A message read late (the agent was busy
 * or frozen, SIGSTOP) gives a sample that is far too low, and trusting it would make an expired command
 * look fresh. So the estimate is the HIGHEST of the recent samples (the one that waited least), as NTP's
 * minimum-delay filter does.
 *
 * "Recent" is a span of the MASTER's clock, not a count of samples: a freeze queues a heartbeat per
 * interval, and however many are read at once, the samples taken before the freeze stay in the window as
 * long as it outlasts the freeze. The link sets the window above the master's heartbeat grace (a longer
 * silence is refused on its own), so a command the master may have given up on is always judged against a
 * sample read on time. The window also lets the estimate follow a real change of either clock: a step back
 * of the master's at once (a stamp older than the newest drops the samples after it), one of ours within
 * the window.
 */
export const CLOCK_WINDOW_MS = 30_000;
/** Bounds memory whatever the heartbeat rate: the newest samples win. */
export const CLOCK_MAX_SAMPLES = 1024;

export class ClockOffset {
  /** Master stamp and offset of each sample in the window, oldest first. */
  private readonly samples: Array<{ masterMs: number; offsetMs: number }> = [];

  /** The span of the master's clock whose samples count. */
  constructor(public windowMs = CLOCK_WINDOW_MS) {}

  /** Records one message stamped `masterMs` by the master and read at `localMs` here. */
  sample(masterMs: number, localMs: number): void {
    if (!Number.isFinite(masterMs) || masterMs <= 0) return;
    // The master's clock stepped back: stamps after this one no longer tell its time.
    while (this.samples.length > 0 && this.samples[this.samples.length - 1]!.masterMs > masterMs) {
      this.samples.pop();
    }
    this.samples.push({ masterMs, offsetMs: masterMs - localMs });
    const from = masterMs - this.windowMs;
    let drop = 0;
    while (drop < this.samples.length - 1 && this.samples[drop]!.masterMs < from) drop++;
    drop = Math.max(drop, this.samples.length - CLOCK_MAX_SAMPLES);
    if (drop > 0) this.samples.splice(0, drop);
  }

  /** The master's clock minus ours, ms (0 before any sample). */
  get offsetMs(): number {
    let best = -Infinity;
    for (const s of this.samples) if (s.offsetMs > best) best = s.offsetMs;
    return this.samples.length === 0 ? 0 : best;
  }

  /** Our estimate of the master's clock at local time `localMs`. */
  masterNow(localMs: number): number {
    return localMs + this.offsetMs;
  }
}
