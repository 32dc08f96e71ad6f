/**
 * Runs async operations one at a time, in the order they were queued: an operation that checks, then writes
 * after an await, sees no other operation of the same queue between its check and its write. One failing
 * does not stop the ones queued after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
