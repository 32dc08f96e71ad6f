/**
 * A write that fails on a really full disk (a small tmpfs) changes nothing in memory, leaves no temp
 * file, is reported to its callers, and a later write succeeds once space is freed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DurableStore } from '../../shared/durable-store.js';
import { useSmallDisk } from '../helpers/full-disk.js';

interface Doc {
  items: string[];
  meta: { note: string };
}

describe('durable store on a full disk', function () {
  const disk = useSmallDisk('1m');

  it('a failed write leaves memory as before, removes its temp file, rejects its callers; a later write succeeds', async () => {
    const file = path.join(disk.dir, 'state.json');
    const store = await DurableStore.open<Doc>(file, { items: [], meta: { note: 'first' } });
    await store.update((d) => d.items.push('a'));
    const root = store.data;
    disk.fill();
    const big = 'x'.repeat(8192);
    for (let i = 0; i < 20; i++) {
      const first = store.update((d) => {
        d.items.push(`${big}${i}`);
        d.meta.note = 'changed';
      });
      const second = store.update((d) => d.items.push('queued behind it'));
      await assert.rejects(first, (e: NodeJS.ErrnoException) => e.code === 'ENOSPC');
      await assert.rejects(second, (e: NodeJS.ErrnoException) => e.code === 'ENOSPC');
      assert.deepEqual(store.data, { items: ['a'], meta: { note: 'first' } });
      assert.equal(store.data, root, 'the root object is kept (owners hold it)');
    }
    assert.deepEqual(
      readdirSync(disk.dir).filter((n) => n.endsWith('.tmp')),
      [],
      'no temp file left after 20 failed writes',
    );
    disk.free();
    await store.update((d) => d.items.push('b'));
    await store.close();
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { items: ['a', 'b'], meta: { note: 'first' } });
  });

  it('in retry mode a failed write is never lost: kept in memory, logged once, written when space is freed', async () => {
    const file = path.join(disk.dir, 'agent.json');
    const errors: string[] = [];
    let recovered = 0;
    const store = await DurableStore.open<Doc>(
      file,
      { items: [], meta: { note: '' } },
      {
        retry: {
          initialMs: 20,
          maxMs: 50,
          onError: (e) => errors.push(String(e)),
          onRecovered: () => recovered++,
        },
      },
    );
    disk.fill();
    for (let i = 0; i < 5; i++) await store.update((d) => d.items.push(`${'y'.repeat(8192)}${i}`));
    assert.equal(store.data.items.length, 5, 'memory keeps every change');
    assert.equal(errors.length, 1, 'one log line per failure streak');
    assert.match(errors[0] ?? '', /ENOSPC/);
    assert.deepEqual(
      readdirSync(disk.dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
    disk.free();
    const deadline = Date.now() + 10_000;
    while (recovered === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(recovered, 1, 'a retry wrote the changes once space was freed');
    await store.close();
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as Doc).items.length, 5);
  });
});
