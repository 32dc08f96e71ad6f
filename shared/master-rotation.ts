/**
 * Which master to try next (DESIGN §9 "HA"), for the agent's dial loop (agent/link/master-link.ts) and the
 * CLI (master/cli/master-failover.ts): the configured list in order, starting where the last success was;
 * a follower's refusal names the leader, which is tried next (added to the list when it was not in it,
 * e.g. an address the masters advertise). A round is over when as many attempts failed in a row as there
 * are addresses: the caller backs off before the next (a stale hint bouncing between two followers ends a
 * round like any other failure). No timers here: the callers own the waiting.
 */

/** Leader addresses learned from hints that were not in the configured list (bounded: hints are remote input). */
const MAX_LEARNED = 8;

export class MasterRotation {
  private readonly list: string[];
  private readonly configured: number;
  private index = 0;
  /** Failures since the last success or the end of the last round. */
  private failures = 0;

  constructor(masters: readonly string[]) {
    if (masters.length === 0) throw new Error('MasterRotation needs at least one address');
    this.list = [...masters];
    this.configured = masters.length;
  }

  /** The address to try now. */
  get current(): string {
    return this.list[this.index]!;
  }

  /** Every address known: the configured ones, then the leaders learned from hints. */
  get addresses(): readonly string[] {
    return this.list;
  }

  /**
   * The attempt at `current` failed; `leader` is the hint of a follower's refusal ('' or absent: none).
   * Moves to the next address to try and says whether a whole round has now failed (back off first).
   */
  failed(leader?: string): boolean {
    this.failures++;
    if (leader && leader !== this.current) this.index = this.learn(leader);
    else this.index = (this.index + 1) % this.list.length;
    if (this.failures < this.list.length) return false;
    this.failures = 0;
    return true;
  }

  /** The attempt at `current` succeeded: it stays the first choice, and a new round starts. */
  succeeded(): void {
    this.failures = 0;
  }

  /** Index of `address`, added (bounded, oldest learned one replaced) when it is new. */
  private learn(address: string): number {
    const at = this.list.indexOf(address);
    if (at >= 0) return at;
    if (this.list.length - this.configured >= MAX_LEARNED) this.list.splice(this.configured, 1);
    this.list.push(address);
    return this.list.length - 1;
  }
}
