/**
 * Results the master has not acknowledged yet (MasterMessage.ack). A result written on a stream the
 * master had already given up on — the agent was frozen, the link broke, the master restarted — is lost
 * with that stream; keeping it here until the master says it is recorded, and sending it again after each
 * reconnect, lets the master correct the execution log (a command reported failed that was carried out).
 *
 * Only what the correction needs is kept (id, ok, error, summary: never log lines or metrics), and at most
 * `capacity` results: past that the oldest is dropped and reported through `onDrop`. Kept in memory only:
 * results not yet acknowledged when the agent itself stops are lost (the record then stays as the master
 * wrote it, marked `unanswered`).
 */
import type { CommandResult } from '../../proto/generated/governor/v1/CommandResult.js';

export const OUTBOX_CAPACITY = 512;
/** Longest summary kept for a re-send. */
const SUMMARY_CHARS = 2000;

export class ResultOutbox {
  private readonly unacked = new Map<string, CommandResult>();

  constructor(
    private readonly capacity = OUTBOX_CAPACITY,
    private readonly onDrop: (commandId: string) => void = () => {},
  ) {}

  /** Keeps `result` (slimmed) until acknowledged. */
  add(result: CommandResult & { command_id: string }): void {
    const slim: CommandResult = { command_id: result.command_id, ok: result.ok ?? false };
    if (result.error) slim.error = result.error;
    if (result.summary) slim.summary = result.summary.slice(0, SUMMARY_CHARS);
    this.unacked.delete(result.command_id);
    this.unacked.set(result.command_id, slim);
    while (this.unacked.size > this.capacity) {
      const oldest = this.unacked.keys().next().value as string;
      this.unacked.delete(oldest);
      this.onDrop(oldest);
    }
  }

  /** The master recorded these: forget them. */
  ack(commandIds: readonly string[]): void {
    for (const id of commandIds) this.unacked.delete(id);
  }

  /** Results still waiting for an acknowledgement, oldest first. */
  pending(): CommandResult[] {
    return [...this.unacked.values()];
  }

  get size(): number {
    return this.unacked.size;
  }
}
