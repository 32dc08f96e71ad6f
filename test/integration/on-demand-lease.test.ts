/**
 * Leases end to end (real `gov master` and `gov agent`, driven by the `gov` CLI): `gov ensure NAME --hold 2s`
 * wakes an on-demand handler and holds it hot past its idle_timeout until the lease ends, then it cools;
 * `gov release` ends a long lease at once; `gov ps` shows the lease as the busy reason and `--json` carries
 * it; a lease on an always-on handler is refused (exit 1) and a bad --hold is a usage error (exit 2).
 */
import assert from 'node:assert/strict';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';

interface Execution {
  kind: string;
  status: string;
  result: string;
  params_summary: string;
}

interface Ps extends PsInstance {
  temperature: string | null;
  idle_ms: number;
  cools_in_ms: number;
  busy_reason: string | null;
  lease_until: string | null;
  events: Array<{ at: string; type: string; message: string }>;
}

describe('on-demand leases end to end (gov ensure --hold, gov release)', function () {
  this.timeout(90_000);
  this.slow(20_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
    const ticker = [process.execPath, fixture('ticker.mjs')];
    const file = c.writeHandlers([
      { name: 'held', agents: ['edge-1'], mode: 'on-demand', idle_timeout: '500ms', command: ticker },
      { name: 'ao', agents: ['edge-1'], command: ticker, start_seconds: 0 },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('ao', 1, (i) => i.state === 'running');
  });
  after(async () => {
    await c?.stop();
  });

  const held = async (): Promise<Ps> => (await c.instances('held'))[0] as Ps;

  it('ensure --hold 2s holds it hot past idle_timeout, then it cools', async () => {
    const r = await c.govJson<{ executions: Execution[]; instances: Ps[]; hold_ms: number }>([
      'ensure',
      'held',
      '--hold',
      '2s',
    ]);
    assert.equal(r.hold_ms, 2000);
    assert.equal(r.executions[0]?.status, 'success');
    assert.equal(r.executions[0]?.params_summary, 'hold 2s');
    assert.match(r.executions[0]?.result ?? '', /^hot pid \d+, cold start \d+ms, held until \d{4}-.*Z$/);
    const hot = r.instances[0]!;
    assert.equal(hot.temperature, 'hot');
    assert.match(hot.busy_reason ?? '', /^lease until /);
    assert.equal(hot.cools_in_ms, -1);
    const until = Date.parse(hot.lease_until ?? '');
    assert.ok(Number.isFinite(until), `lease_until ${hot.lease_until}`);

    const cold = await c.waitInstances(
      'held',
      1,
      (i) => i.temperature === 'cold',
      'held cold after its lease',
    );
    const idle = (cold[0] as Ps).events.find((e) => e.type === 'IDLE');
    assert.ok(idle, JSON.stringify((cold[0] as Ps).events));
    assert.ok(
      Date.parse(idle.at) >= until,
      `cooled at ${idle.at}, before the lease ended (${hot.lease_until})`,
    );
    assert.equal((cold[0] as Ps).lease_until || null, null, 'an ended lease is not shown');
  });

  it('gov ps shows the lease as the busy reason; release ends a long lease at once, it cools idle_timeout later', async () => {
    const r = await c.gov(['ensure', 'held', '--hold', '1h']);
    assert.equal(r.code, 0, r.stderr);
    const leased = await held();
    assert.match(leased.busy_reason ?? '', /^lease until /);
    // (the 2s lease above may end before a gov process has started on a busy host: this one holds)
    const text = await c.gov(['ps', 'held']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /IDLE FOR\s+COOLS IN/);
    assert.match(
      text.stdout,
      /held\s+edge-1\s+running \(hot\)\s+\d+\s+\d+\s+\S+\s+busy: lease until \S+\s+-\s/,
    );

    const rel = await c.govJson<{ executions: Execution[]; instances: Ps[] }>(['release', 'held']);
    assert.equal(rel.executions[0]?.kind, 'release');
    assert.equal(rel.executions[0]?.status, 'success');
    assert.equal(rel.executions[0]?.result, 'held: lease released');
    assert.equal(rel.instances[0]?.lease_until, null);
    // No lease holds it now (its own start's CPU may still count as busy for a sample: not a lease).
    assert.doesNotMatch(rel.instances[0]?.busy_reason ?? '', /lease/);
    // An hour's lease: cooling within seconds proves the release ended it.
    await c.waitInstances('held', 1, (i) => i.temperature === 'cold', 'held cold after release', 15_000);
  });

  it('a viewer reading its logs all the time does not hold it hot (a viewer changes nothing); it cools', async () => {
    await c.govJson(['ensure', 'held']);
    const viewer = c.admin('viewer-viewer');
    let reads = 0;
    const cold = await waitFor(
      async () => {
        // Far more often than idle_timeout (500ms): as a use, each read would keep it hot for ever.
        await viewer.tailLogs({ handler: 'held', agent: 'edge-1', tail: 1 });
        reads++;
        return (await held()).temperature === 'cold';
      },
      { timeoutMs: 20_000, intervalMs: 50, what: 'held cold while a viewer reads its logs' },
    );
    assert.ok(cold);
    assert.ok(reads > 5, `${reads} reads`);
  });

  it('refusals: a lease on an always-on handler (exit 1, nothing held); a bad --hold (exit 2)', async () => {
    const ao = await c.gov(['ensure', 'ao', '--hold', '1m']);
    assert.equal(ao.code, 1, ao.stdout + ao.stderr);
    assert.match(ao.stderr, /ao is always-on: it has no idle timer, so a lease \(--hold\) means nothing/);
    const rel = await c.gov(['release', 'ao']);
    assert.equal(rel.code, 1, rel.stdout + rel.stderr);
    const bad = await c.gov(['ensure', 'held', '--hold', 'forever']);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /--hold: "forever" is not a duration/);
  });
});
