/**
 * Spawns one at a time, with a turn of the event loop between them. `child_process.spawn` forks and waits
 * for the exec synchronously, so a burst started in one tick (an APPLY of 50 handlers, a restart of all of
 * them) would hold the loop for the whole burst: on a loaded host that is seconds, long enough for the
 * link's keepalive to give up on the agent and for heartbeats to stall. Paced, the link's I/O runs between
 * two spawns and a burst costs the same total time.
 */
export class SpawnPacer {
  private tail: Promise<void> = Promise.resolve();

  /**
   * Resolves when it is the caller's turn to spawn: after every earlier caller's turn and one more turn of
   * the event loop (setImmediate queued from a check-phase callback runs after the next I/O poll).
   */
  turn(): Promise<void> {
    const t = this.tail.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.tail = t;
    return t;
  }
}
