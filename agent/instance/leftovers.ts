/**
 * Process groups an instance's handler left behind: when the main process (and with it the shim) exits,
 * children it started in its group may live on. They are stopped like a stop would (stop_signal, SIGKILL
 * after stop_timeout, until the group is empty) so they never accumulate across restarts (DESIGN §8 item
 * 11). The groups being drained are part of the instance's record, so an agent that dies meanwhile hands
 * them to the next one (no process of a handler the next agent does not know, §8 item 8).
 */
import type { Logger } from '../../shared/logger.js';
import type { Handle, ProcessBackend } from '../process/backend.js';
import type { Clock } from '../../shared/clock.js';
import { stopGroup } from './stop.js';

export interface LeftoverDeps {
  backend: ProcessBackend;
  clock: Clock;
  log: Logger;
  pollMs: number;
  /** True once the instance is disposed: waiting ends, processes are left for the next agent. */
  cancelled(): boolean;
  note(type: string, message: string): void;
  /** Persists the instance's record (which lists `handles()`). */
  persist(): Promise<void>;
}

export class Leftovers {
  private readonly draining = new Map<number, Handle>();
  private readonly runs = new Set<Promise<void>>();

  constructor(private readonly deps: LeftoverDeps) {}

  /** The groups being drained, for the record. */
  handles(): Handle[] {
    return [...this.draining.values()];
  }

  /** Stops what is left in `h`'s group (nothing when it is empty or not provably ours). */
  drain(h: Handle, signal: NodeJS.Signals, timeoutMs: number): void {
    const { backend } = this.deps;
    if (this.draining.has(h.pgid) || !backend.groupAlive(h)) return;
    this.draining.set(h.pgid, h);
    this.deps.note(
      'LEFTOVERS',
      `LEFTOVERS group ${h.pgid} still has processes after its main exited; stopping them`,
    );
    const run = this.run(h, signal, timeoutMs);
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
  }

  /** Resolves once every group being drained now is empty (or its stop ended otherwise). */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.all([...this.runs]);
  }

  private async run(h: Handle, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const { deps } = this;
    try {
      await deps.persist();
      const res = await stopGroup(h, {
        backend: deps.backend,
        clock: deps.clock,
        signal,
        timeoutMs,
        pollMs: deps.pollMs,
        cancelled: deps.cancelled,
        note: deps.note,
      });
      if (res.kind === 'cancelled') return;
      if (res.kind === 'refused' || res.kind === 'stuck') {
        deps.note('STOP_FAILED', `STOP_FAILED leftovers of group ${h.pgid}: ${res.reason}`);
      }
      this.draining.delete(h.pgid);
      await deps.persist();
    } catch (err) {
      deps.log.error('stopping leftovers failed', { pgid: h.pgid, err });
    }
  }
}
