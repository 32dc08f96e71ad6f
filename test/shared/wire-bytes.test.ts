/**
 * Messages written as wire bytes (shared/wire-bytes.ts) are the messages protobufjs writes: exec output
 * built from its read chunks reads back on the other side as the same frame, whatever the lengths (one-,
 * two- and three-byte varints) and however the data was cut.
 */
import assert from 'node:assert/strict';
import { outputFrame } from '../../agent/exec/exec-sessions.js';
import { Encoded, bytesField, retagged, stringField } from '../../shared/wire-bytes.js';
import { fieldNumber } from '../../shared/proto.js';
import { execFromAgent, execToCli } from '../helpers/wire.js';

function data(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

/** `b` cut into pieces of `size` bytes. */
function cut(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

describe('messages as wire bytes', () => {
  for (const n of [0, 1, 127, 128, 16_383, 16_384, 1024 * 1024 + 5]) {
    it(`an agent's output frame of ${n} bytes in chunks reads back as the frame protobufjs would write`, () => {
      const d = data(n);
      for (const stream of ['stdout', 'stderr'] as const) {
        const wire = execFromAgent(outputFrame('s-1', { stream, chunks: cut(d, 65_536), bytes: n }));
        const object = execFromAgent({ session: 's-1', [stream]: d });
        assert.deepEqual(wire, object);
        assert.ok((wire[stream] as Buffer).equals(d));
      }
    });
  }

  it('the master relays output to the CLI as the frame protobufjs would write', () => {
    const d = data(70_000);
    const field = fieldNumber('governor.v1.ExecServerFrame', 'stderr');
    assert.deepEqual(execToCli(bytesField(field, [d], d.length)), execToCli({ stderr: d }));
  });

  for (const n of [8192, 70_000, 1024 * 1024]) {
    it(`the master relays a received frame's ${n} bytes of output as the CLI frame, retagged in place`, () => {
      const d = data(n);
      for (const stream of ['stdout', 'stderr'] as const) {
        const received = execFromAgent(outputFrame('s-1', { stream, chunks: cut(d, 65_536), bytes: n }));
        const chunk = received[stream] as Buffer;
        const frame = retagged(
          chunk,
          fieldNumber('governor.v1.ExecFrame', stream),
          fieldNumber('governor.v1.ExecServerFrame', stream),
        );
        assert.ok(frame, 'copied');
        assert.equal(frame.toBuffer().buffer, chunk.buffer, 'not the received bytes');
        assert.deepEqual(execToCli(frame), execToCli({ [stream]: d }));
      }
    });
  }

  it('retags nothing but a large value just behind its own field header (else it is copied)', () => {
    const from = fieldNumber('governor.v1.ExecFrame', 'stdout');
    const to = fieldNumber('governor.v1.ExecServerFrame', 'stdout');
    // Small: it may be carved out of Node's shared pool, next to another Buffer's bytes.
    const small = execFromAgent(outputFrame('s-1', { stream: 'stdout', chunks: [data(100)], bytes: 100 }));
    assert.equal(retagged(small.stdout as Buffer, from, to), null);
    // A Buffer of its own: no header before it.
    assert.equal(retagged(data(70_000), from, to), null);
    // A view whose bytes before it are something else: left as they are.
    const other = data(80_000);
    const before = Buffer.from(other.subarray(0, 10));
    assert.equal(retagged(other.subarray(10), from, to), null);
    assert.ok(other.subarray(0, 10).equals(before));
  });

  it('writes no empty string field (a proto3 default) and copies nothing for a single part', () => {
    assert.equal(stringField(1, '').length, 0);
    const one = Buffer.from('abc');
    assert.equal(new Encoded([one], 3).toBuffer(), one);
  });

  it('names a field the proto does not have', () => {
    assert.throws(() => fieldNumber('governor.v1.ExecFrame', 'nope'), /ExecFrame has no field nope/);
  });
});
