/**
 * Messages written as wire bytes (shared/wire-bytes.ts) are the messages protobufjs writes: exec output
 * built from its read chunks reads back on the other side as the same frame, whatever the lengths (one-,
 * two- and three-byte varints) and however the data was cut.
 */
import assert from 'node:assert/strict';
import { outputFrame } from '../../agent/exec/exec-sessions.js';
import { Encoded, bytesField, stringField } from '../../shared/wire-bytes.js';
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

  it('writes no empty string field (a proto3 default) and copies nothing for a single part', () => {
    assert.equal(stringField(1, '').length, 0);
    const one = Buffer.from('abc');
    assert.equal(new Encoded([one], 3).toBuffer(), one);
  });

  it('names a field the proto does not have', () => {
    assert.throws(() => fieldNumber('governor.v1.ExecFrame', 'nope'), /ExecFrame has no field nope/);
  });
});
