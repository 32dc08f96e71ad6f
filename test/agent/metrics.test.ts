/** CPU % and RSS of a busy handler; open fds stay bounded under spawn/exit churn with sampling. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('metrics', function () {
  this.slow(10_000);
  let sup: Supervisor | null = null;
  afterEach(async () => {
    for (const s of sup?.status() ?? []) trackPid(s.pgid ?? undefined, true);
    await sup?.shutdown();
    sup = null;
  });

  it('a busy-loop handler reads near 100 % CPU with RSS > 0; fds return to a small bound after 300 spawn/exit cycles', async function () {
    this.timeout(60_000);
    sup = await Supervisor.create({ dataDir: tempDir(), metricsIntervalMs: 100, pollIntervalMs: 100 });
    const s = sup;
    await s.applySpecs([
      parseHandler({ name: 'busy', command: ['node', fixture('busy.mjs')], start_seconds: 0 }, 'h', 't'),
    ]);
    trackPid(s.status('busy')[0]?.pgid ?? undefined, true);
    const busy = await waitFor(
      async () => {
        const m = (await s.metrics()).find((x) => x.handler === 'busy');
        return m && m.cpu_percent > 70 ? m : null;
      },
      { intervalMs: 300, what: 'busy handler CPU near 100%' },
    );
    assert.ok(busy.cpu_percent < 210, `cpu ${busy.cpu_percent}% is one busy thread`);
    assert.ok(busy.memory_bytes > 1024 * 1024, `rss ${busy.memory_bytes}`);
    assert.ok(busy.processes >= 2, 'summed over the tree (shim + node)');
    assert.ok(busy.uptime_ms > 0);
    await s.stop('busy');

    await s.metrics();
    const baseline = openFds();
    await s.applySpecs([
      parseHandler({ name: 'churn', command: ['true'], start_seconds: 0, restart: 'always' }, 'h', 't'),
    ]);
    let samples = 0;
    const deadline = Date.now() + 40_000;
    while (s.status('churn')[0]!.restarts < 300) {
      assert.ok(Date.now() < deadline, `only ${s.status('churn')[0]!.restarts} restarts before the deadline`);
      await s.metrics();
      samples++;
      await new Promise((r) => setTimeout(r, 20));
    }
    await s.stop('churn');
    assert.ok(samples > 10, `sampled ${samples} times during the churn`);
    const peak = openFds();
    await waitFor(() => openFds() <= baseline + 5, {
      timeoutMs: 10_000,
      what: `open fds back near ${baseline} (peak ${peak}, now ${openFds()})`,
    });
  });
});
