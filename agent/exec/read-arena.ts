/**
 * Where a program's output is read (net.Socket `onread`): buffers reused from turn to turn of the event
 * loop instead of a new 64 KiB Buffer per read. Each read gets a buffer of its own (the chunks of one turn
 * stay valid side by side until they are sent); `reset` takes back the buffers of the chunks read so far
 * once they were copied into their frame (session.ts). The buffer the socket will read into next is never
 * taken back. At 100 MB/s the per-read Buffers were a third of the agent's allocations, and the external
 * memory they add up to is what drove its garbage collections.
 */

/**
 * Bytes of a read buffer: Node's own read size, which is also how far one chunk may go past the output
 * credit (session.ts).
 */
const READ_BYTES = 64 * 1024;
/** Buffers kept for reuse beyond the one being read into (a turn reads a socket pair's ~200 KiB in 3-4). */
const KEEP = 4;

export class ReadArena {
  private readonly free: Buffer[] = [];
  private readonly taken: Buffer[] = [];
  private next: Buffer | null = null;

  /** The buffer the next read goes into (`onread.buffer`: asked for once, then after every read). */
  space(): Buffer {
    this.next ??= this.free.pop() ?? Buffer.allocUnsafe(READ_BYTES);
    return this.next;
  }

  /** The `n` bytes just read into `space()`: valid until `reset`. */
  take(n: number): Buffer {
    const buf = this.space();
    this.next = null;
    this.taken.push(buf);
    return buf.subarray(0, n);
  }

  /** Every chunk taken was copied: their buffers are read into again. */
  reset(): void {
    for (const buf of this.taken.splice(0)) if (this.free.length < KEEP) this.free.push(buf);
  }
}
