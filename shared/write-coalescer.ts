/**
 * Coalesced writes of a store's whole state: callers ask for a write of what memory holds now (`request`),
 * one write runs at a time, and every request made while it runs is served by the next one (one write for
 * many changes). A failed write fails everyone waiting — its own callers and those who asked meanwhile — and
 * the next request writes again. The store says what a write is (`write`: a file, an etcd transaction) and
 * what a failure does to memory (`failed`: roll back, or keep it for a retry), run before anyone waiting
 * hears of it and with nothing in between, so a change made meanwhile shares its waiters' fate.
 */

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class WriteCoalescer {
  private running: Promise<void> | null = null;
  private dirty = false;
  private waiters: Waiter[] = [];

  constructor(
    private readonly write: () => Promise<void>,
    private readonly failed: (err: unknown) => void = () => {},
  ) {}

  /** Resolves when a write started after this call has finished; rejects with that write's error. */
  request(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.dirty = true;
      if (!this.running) this.running = this.loop();
    });
  }

  /** Resolves once no write runs and none is asked for. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const batch = this.waiters;
      this.waiters = [];
      try {
        await this.write();
        for (const w of batch) w.resolve();
      } catch (err) {
        const waiting = [...batch, ...this.waiters];
        this.waiters = [];
        this.dirty = false;
        this.failed(err);
        for (const w of waiting) w.reject(err);
      }
    }
    this.running = null;
  }
}
