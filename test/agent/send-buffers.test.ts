/**
 * The buffers the agent link copies exec output frames into (agent/link/send-buffers.ts): a frame's bytes
 * stay as copied until the link gives them back (grpc-js copied them), and only then is their buffer
 * written into again.
 */
import assert from 'node:assert/strict';
import { SendBuffers } from '../../agent/link/send-buffers.js';
import { Encoded } from '../../shared/wire-bytes.js';

function message(...texts: string[]): Encoded {
  const parts = texts.map((t) => Buffer.from(t));
  return new Encoded(
    parts,
    parts.reduce((n, p) => n + p.length, 0),
  );
}

describe('agent link send buffers', () => {
  it('copies the parts of a message, in order, into bytes of its length', () => {
    const bytes = new SendBuffers().copy(message('head', 'er', '-and-data'));
    assert.equal(bytes.toString(), 'header-and-data');
  });

  it('never writes into the bytes of a frame not given back', () => {
    const pool = new SendBuffers();
    const first = pool.copy(message('first'));
    const second = pool.copy(message('second'));
    assert.notEqual(first.buffer, second.buffer);
    assert.equal(first.toString(), 'first');
  });

  it('writes into a buffer again once its bytes were given back, and keeps at most a window of them', () => {
    const pool = new SendBuffers();
    const first = pool.copy(message('first'));
    pool.release(first);
    const again = pool.copy(message('again'));
    assert.equal(again.buffer, first.buffer);
    assert.equal(again.toString(), 'again');
    const many = Array.from({ length: 40 }, (_, i) => pool.copy(message(`m${i}`)));
    for (const b of many) pool.release(b);
    assert.ok(pool.held > 0 && pool.held <= 4 * 1024 * 1024, `${pool.held} bytes held`);
  });

  it('makes a buffer big enough for a frame larger than those it holds', () => {
    const pool = new SendBuffers();
    pool.release(pool.copy(message('small')));
    const big = 'x'.repeat(1024 * 1024);
    assert.equal(pool.copy(message(big, 'y')).toString(), `${big}y`);
  });
});
