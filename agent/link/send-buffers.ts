/**
 * The buffers exec output frames are copied into on their way to the master (wire bytes, shared/wire-bytes.ts),
 * each reused once grpc-js has copied it into its own framed message, instead of a new Buffer of the output's
 * size per frame (two, with the envelope's own copy before). At 100 MB/s those Buffers were a good part of
 * what the agent collected: 18 % of its CPU in the garbage collector, 10 % without them (`npm run bench --
 * exec` under --cpu-prof; grpc-js's framed copy is still a new Buffer per frame).
 *
 * When a buffer may be reused: grpc-js (1.14, resolving-call.ts) frames a message — the compression filter
 * copies it behind its 5-byte prefix — before it hands it to the call below, and only that call runs the
 * write's callback; a message still queued in the stream (its `_write` not yet called) is not serialized
 * yet. So the write's callback without an error means the bytes were copied. A write that ends in an
 * error keeps its buffer out of the pool (the garbage collector takes it).
 */
import type { Encoded } from '../../shared/wire-bytes.js';

/** Smallest buffer made: a turn's pipe reads (~200 KiB, agent/exec/session.ts) fit, with their headers. */
const MIN_BYTES = 256 * 1024;
/**
 * Bytes of free buffers kept: the master's output window (4 MiB, master/exec/exec-relay.ts), which is how much
 * output one session may have on its way, and so about the buffers a session at full speed has in flight
 * at once (grpc-js calls a write back once its http2 write completed, behind the ones before it). With four
 * buffers kept, 45 % of the frames at 100 MB/s came to an empty pool (most buffers given back were
 * dropped); with this, 2 %.
 */
const KEEP_BYTES = 4 * 1024 * 1024;
/** The free buffers are dropped after this long without a frame (a quiet agent holds none). */
const IDLE_MS = 10_000;

export class SendBuffers {
  private readonly free: ArrayBuffer[] = [];
  private freeBytes = 0;
  private used = false;
  private trim: NodeJS.Timeout | null = null;

  /** `message` copied into a buffer of the pool; the bytes stay as they are until `release(bytes)`. */
  copy(message: Encoded): Buffer {
    this.used = true;
    const n = message.length;
    const i = this.free.findIndex((b) => b.byteLength >= n);
    let bytes: Buffer;
    if (i >= 0) {
      const space = this.free.splice(i, 1)[0]!;
      this.freeBytes -= space.byteLength;
      bytes = Buffer.from(space, 0, n);
    } else {
      // Not zero-filled: only the `n` bytes written below are ever sent.
      bytes = Buffer.allocUnsafeSlow(Math.max(n, MIN_BYTES)).subarray(0, n);
    }
    let at = 0;
    for (const part of message.parts) at += part.copy(bytes, at);
    return bytes;
  }

  /** The bytes of `copy` were copied out (grpc-js framed them): their buffer is written into again. */
  release(bytes: Buffer): void {
    const space = bytes.buffer as ArrayBuffer;
    if (this.freeBytes + space.byteLength <= KEEP_BYTES) {
      this.free.push(space);
      this.freeBytes += space.byteLength;
    }
    this.trim ??= setTimeout(() => this.dropIdle(), IDLE_MS).unref();
  }

  /** Bytes of the free buffers held (tests). */
  get held(): number {
    return this.freeBytes;
  }

  private dropIdle(): void {
    this.trim = null;
    if (this.used) {
      this.used = false;
      this.trim = setTimeout(() => this.dropIdle(), IDLE_MS).unref();
    } else {
      this.free.length = 0;
      this.freeBytes = 0;
    }
  }
}
