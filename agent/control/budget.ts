/**
 * The agent's global action budget (DESIGN §9): at most `max` actions per `windowMs`, over a sliding
 * window of the times actions were taken. Pure: time passed in.
 */
export class ActionBudget {
  private readonly taken: number[] = [];

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Takes one action at `t` if the window has room (and records it); false: held back. */
  take(t: number): boolean {
    this.prune(t);
    if (this.taken.length >= this.max) return false;
    this.taken.push(t);
    return true;
  }

  /** Actions counted in the window ending at `t`. */
  used(t: number): number {
    this.prune(t);
    return this.taken.length;
  }

  describe(): string {
    return `the agent's budget of ${this.max} actions per ${Math.round(this.windowMs / 1000)}s is spent`;
  }

  private prune(t: number): void {
    while (this.taken.length > 0 && (this.taken[0] as number) <= t - this.windowMs) this.taken.shift();
  }
}
