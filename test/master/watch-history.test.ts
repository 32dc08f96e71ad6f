/**
 * The per-instance metrics history: the samples of the window only, oldest first; a bounded ring per
 * instance (the oldest overwritten); an instance forgotten when removed; the filter applied.
 */
import assert from 'node:assert/strict';
import type { MetricsReport__Output } from '../../proto/generated/governor/v1/MetricsReport.js';
import { MetricsHistory, slotsFor } from '../../master/watch/metrics-history.js';

const report = (cpu: number, mem: number, keys = ['web']): MetricsReport__Output =>
  ({
    host: null,
    instances: keys.map((k) => ({
      handler: k.split('#')[0],
      instance: k,
      cpu_percent: cpu,
      memory_bytes: mem,
    })),
  }) as unknown as MetricsReport__Output;
const all = () => true;

describe('watch metrics history', () => {
  it('answers the samples of the window, oldest first', () => {
    const h = new MetricsHistory({ windowMs: 10_000, intervalMs: 1000 });
    for (let t = 0; t <= 20; t++) h.record('edge-1', report(t, 1000 + t), t * 1000);
    const [s] = h.query(20_000, all);
    assert.deepEqual(
      s?.at_ms,
      Array.from({ length: 11 }, (_, i) => (10 + i) * 1000),
    );
    assert.deepEqual(s?.cpu_percent.slice(0, 2), [10, 11]);
    assert.deepEqual(s?.memory_bytes.at(-1), 1020);
    assert.deepEqual([s?.agent, s?.handler, s?.instance], ['edge-1', 'web', 'web']);
  });

  it('keeps a bounded ring per instance whatever the report rate', () => {
    const opts = { windowMs: 10_000, intervalMs: 1000 };
    const h = new MetricsHistory(opts);
    for (let t = 0; t < 10_000; t++) h.record('edge-1', report(1, 1), 15_000 + t); // a report every ms
    const [s] = h.query(25_000, all);
    assert.equal(s?.at_ms.length, slotsFor(opts));
    assert.equal(s?.at_ms.at(-1), 24_999, 'the newest kept');
    assert.ok(slotsFor({ windowMs: 24 * 3600_000, intervalMs: 1 }) <= 4096, 'capped');
  });

  it('forgets a removed instance; the filter narrows the answer', () => {
    const h = new MetricsHistory({ windowMs: 60_000, intervalMs: 1000 });
    h.record('edge-1', report(1, 1, ['web', 'web#1', 'db']), 1000);
    h.record('edge-2', report(1, 1, ['web']), 1000);
    assert.equal(h.size(), 4);
    h.forget('edge-1', 'web#1');
    h.forget('edge-2', 'web');
    assert.equal(h.size(), 2);
    assert.deepEqual(
      h.query(2000, (handler) => handler === 'web').map((s) => `${s.instance}@${s.agent}`),
      ['web@edge-1'],
    );
  });
});
