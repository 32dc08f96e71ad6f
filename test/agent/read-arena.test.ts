/**
 * The read buffers of a program's output (agent/exec/read-arena.ts): a chunk read stays as read until the
 * session says it was copied, and only then is its buffer read into again.
 */
import assert from 'node:assert/strict';
import { ReadArena } from '../../agent/exec/read-arena.js';

/** A read of `text` into the arena's space, as the socket does it. */
function read(a: ReadArena, text: string): Buffer {
  const space = a.space();
  const n = space.write(text);
  return a.take(n);
}

describe('exec read arena', () => {
  it('never reads into the buffer of a chunk not yet copied', () => {
    const a = new ReadArena();
    const chunks = ['one', 'two', 'three', 'four'].map((t) => read(a, t));
    assert.deepEqual(
      chunks.map((c) => c.toString()),
      ['one', 'two', 'three', 'four'],
    );
    assert.equal(new Set(chunks.map((c) => c.buffer)).size, 4, 'two chunks shared a buffer');
  });

  it('reads into the same buffers again once the chunks were copied', () => {
    const a = new ReadArena();
    const first = [read(a, 'a'), read(a, 'b')].map((c) => c.buffer);
    a.reset();
    const again = [read(a, 'c'), read(a, 'd')].map((c) => c.buffer);
    assert.deepEqual(new Set(again), new Set(first));
  });

  it('keeps the buffer the socket reads into next through a reset', () => {
    const a = new ReadArena();
    read(a, 'x');
    const next = a.space(); // the socket holds it for its next read
    a.reset();
    next.write('late');
    assert.equal(a.take(4).toString(), 'late');
    assert.notEqual(a.space().buffer, next.buffer, 'the buffer being read into was handed out again');
  });
});
