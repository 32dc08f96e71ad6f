/**
 * Protobuf messages written as their wire bytes, for messages that are mostly one `bytes` field (exec
 * output): the field's data goes in as the pieces it was read in, with the tags and lengths before them, and
 * is copied once, when gRPC asks for the message (shared/proto.ts's serializers send an `Encoded` as it is;
 * the agent's link copies its parts at once into a reused buffer instead), or not at all when the master
 * relays what it received (`retagged`).
 * Through protobufjs, the same output was joined into one Buffer, then copied into the writer's buffer
 * (fromObject, encode, finish): a copy and a Buffer of the output's size more for every frame, on a path
 * that moves 100 MB/s. Field numbers come from the proto (shared/proto.ts `fieldNumber`), never written here.
 */

/** A message, or part of one, as wire bytes: `parts` in order, `length` bytes in all. */
export class Encoded {
  constructor(
    readonly parts: readonly Buffer[],
    readonly length: number,
  ) {}

  /** The bytes as one Buffer (the only copy; none when it is one part already). */
  toBuffer(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts as Buffer[], this.length);
  }
}

const LEN = 2; // wire type of length-delimited fields (bytes, string, messages)

function varint(n: number, out: number[]): void {
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** The tag and length of a length-delimited field `field` of `length` bytes. */
function header(field: number, length: number): Buffer {
  const out: number[] = [];
  varint(field * 8 + LEN, out);
  varint(length, out);
  return Buffer.from(out);
}

/** A `bytes` field whose value is `chunks` one after the other (`length`: their total size). */
export function bytesField(field: number, chunks: readonly Buffer[], length: number): Encoded {
  const h = header(field, length);
  return new Encoded([h, ...chunks], h.length + length);
}

/** A `string` field (omitted when empty, as protobuf writes a proto3 default). */
export function stringField(field: number, value: string): Encoded {
  if (value === '') return new Encoded([], 0);
  const bytes = Buffer.from(value, 'utf8');
  const h = header(field, bytes.length);
  return new Encoded([h, bytes], h.length + bytes.length);
}

/** Fields of one message, in order. */
export function fields(...parts: Encoded[]): Encoded {
  return new Encoded(
    parts.flatMap((p) => p.parts),
    parts.reduce((n, p) => n + p.length, 0),
  );
}

/** `message` as the value of the message field `field` of an enclosing message. */
export function messageField(field: number, message: Encoded): Encoded {
  const h = header(field, message.length);
  return new Encoded([h, ...message.parts], h.length + message.length);
}

/**
 * A `bytes` field's value as protobufjs decoded it from a received message (a view of that message's
 * Buffer), sent on as field `to` of a message of its own without a copy: the tag and length just before it
 * (field `from`) are rewritten in place, and the new message is that view widened over them. The received
 * message is changed: only for a value nobody reads afterwards. Null (copy it: `bytesField`) unless the
 * bytes before the value are that header and both tags are as long; a value this large is never carved
 * out of Node's shared Buffer pool, so bytes before it are its message's own.
 */
export function retagged(value: Buffer, from: number, to: number): Encoded | null {
  if (value.length < Buffer.poolSize) return null;
  const was = header(from, value.length);
  const now = header(to, value.length);
  const start = value.byteOffset - was.length;
  if (now.length !== was.length || start < 0) return null;
  const whole = Buffer.from(value.buffer, start, was.length + value.length);
  if (!whole.subarray(0, was.length).equals(was)) return null;
  now.copy(whole);
  return new Encoded([whole], whole.length);
}
