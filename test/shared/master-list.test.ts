/**
 * The masters a client dials: `--master`/`GOV_MASTER`/`master:` lists are checked with one rule, and the
 * rotation tries them in order, jumps to a leader a follower names, and ends a round after as many failures
 * as there are addresses.
 */
import assert from 'node:assert/strict';
import { MAX_MASTERS, parseMasterList } from '../../shared/master-list.js';
import { MasterRotation } from '../../shared/master-rotation.js';

const parse = (text: string, source = '--master') => parseMasterList(text, source, (m) => new Error(m));

describe('master list', () => {
  it('one address or a comma-separated list, in order, spaces allowed, repeats kept once', () => {
    assert.deepEqual(parse('127.0.0.1:7070'), ['127.0.0.1:7070']);
    assert.deepEqual(parse('m1:7070, m2:7070,[::1]:7070,m1:7070'), ['m1:7070', 'm2:7070', '[::1]:7070']);
  });

  it('a bad entry is refused naming where the list came from and the entry', () => {
    assert.throws(() => parse('m1:7070,m2', 'GOV_MASTER'), /^Error: GOV_MASTER: "m2" is not HOST:PORT/);
    assert.throws(() => parse('m1:7070,,m2:7070'), /^Error: --master "m1:7070,,m2:7070": an empty address/);
    assert.throws(() => parse('m1:70700'), /--master: "m1:70700" is not HOST:PORT/);
    assert.throws(() => parse(''), /--master "": an empty address/);
    const many = Array.from({ length: MAX_MASTERS + 1 }, (_, i) => `m${i}:7070`).join(',');
    assert.throws(() => parse(many), new RegExp(`at most ${MAX_MASTERS} masters`));
  });
});

describe('master rotation', () => {
  it('tries the list in order and says when a whole round has failed', () => {
    const r = new MasterRotation(['a:1', 'b:1', 'c:1']);
    assert.equal(r.current, 'a:1');
    assert.equal(r.failed(), false);
    assert.equal(r.current, 'b:1');
    assert.equal(r.failed(), false);
    assert.equal(r.current, 'c:1');
    assert.equal(r.failed(), true, 'three failures over three addresses: a round');
    assert.equal(r.current, 'a:1');
  });

  it("a follower's hint is tried next; a leader not in the list is learned", () => {
    const r = new MasterRotation(['a:1', 'b:1', 'c:1']);
    r.failed('c:1');
    assert.equal(r.current, 'c:1');
    r.succeeded();
    assert.equal(r.current, 'c:1', 'the master that answered stays first');
    r.failed('d:1');
    assert.equal(r.current, 'd:1');
    assert.deepEqual(r.addresses, ['a:1', 'b:1', 'c:1', 'd:1']);
  });

  it('hints bouncing between two stale followers still end a round', () => {
    const r = new MasterRotation(['a:1', 'b:1']);
    assert.equal(r.failed('b:1'), false);
    assert.equal(r.current, 'b:1');
    assert.equal(r.failed('a:1'), true);
  });

  it('learned leaders are bounded (hints are remote input)', () => {
    const r = new MasterRotation(['a:1']);
    for (let i = 0; i < 100; i++) r.failed(`x${i}:1`);
    assert.ok(r.addresses.length <= 9, `${r.addresses.length} addresses`);
    assert.equal(r.addresses[0], 'a:1');
  });
});
