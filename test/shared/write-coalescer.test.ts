/**
 * Coalesced writes (shared/write-coalescer.ts, behind the file store and the etcd store): one write at a time,
 * every request made during a write served by one more write, and a failure reaching everyone waiting — after
 * the store's failure step, with nothing in between.
 */
import assert from 'node:assert/strict';
import { WriteCoalescer } from '../../shared/write-coalescer.js';

/** A write the test finishes by hand. */
function manualWrites() {
  const pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  let started = 0;
  const write = () =>
    new Promise<void>((resolve, reject) => {
      started++;
      pending.push({ resolve, reject });
    });
  return { write, pending, started: () => started };
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !pred(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(pred(), 'condition never held');
}

describe('write coalescer: one write at a time, requests during a write served by one more', () => {
  it('requests made while a write runs share the next write, and each resolves only after a write that started after it', async () => {
    const w = manualWrites();
    const c = new WriteCoalescer(w.write);
    const done: string[] = [];
    const first = c.request().then(() => done.push('first'));
    await until(() => w.started() === 1);
    const later = [1, 2, 3].map((n) => c.request().then(() => done.push(`later-${n}`)));
    w.pending.shift()!.resolve();
    await first;
    assert.deepEqual(done, ['first'], 'the later requests wait for a write that started after them');
    await until(() => w.started() === 2);
    w.pending.shift()!.resolve();
    await Promise.all(later);
    assert.equal(w.started(), 2, 'three requests during the first write cost one more write');
    await c.idle();
  });

  it('a failed write runs the failure step first, then rejects its callers and those who asked meanwhile; the next request writes again', async () => {
    const w = manualWrites();
    const steps: string[] = [];
    const c = new WriteCoalescer(w.write, (err) => steps.push(`failed: ${String(err)}`));
    const first = c.request().catch((e: unknown) => steps.push(`first: ${String(e)}`));
    await until(() => w.started() === 1);
    const meanwhile = c.request().catch((e: unknown) => steps.push(`meanwhile: ${String(e)}`));
    w.pending.shift()!.reject('disk full');
    await Promise.all([first, meanwhile]);
    assert.deepEqual(steps, ['failed: disk full', 'first: disk full', 'meanwhile: disk full']);
    assert.equal(w.started(), 1, 'the waiters of a failed write are not written for again on their own');
    const again = c.request();
    await until(() => w.started() === 2);
    w.pending.shift()!.resolve();
    await again;
    await c.idle();
  });
});
