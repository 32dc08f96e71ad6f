/**
 * What one agent can make the master keep (DESIGN §8): only its assigned instances and a capped number
 * of observed ones, every string bounded, its hello's hostname/version/labels bounded and reported only,
 * and its status reports rate-limited.
 */
import assert from 'node:assert/strict';
import {
  AGENT_LIMITS,
  TokenBucket,
  DropCounter,
  boundInstanceMetrics,
} from '../../master/fleet/agent-input.js';
import { MAX_RECENT_COLD_STARTS } from '../../agent/on-demand/policy.js';
import type { InstanceMetrics__Output } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { Registry } from '../../master/state/registry.js';
import { StateError, ValidationError } from '../../shared/errors.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { tempDir } from '../helpers/common.js';

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler({ command: ['node', 'server.js'], ...raw }, 'handlers[0]');
}

const stores: MasterStore[] = [];
async function open(): Promise<Registry> {
  const store = await openMasterStore(tempDir('gov-agent-input-'));
  stores.push(store);
  return new Registry(store);
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('master: what one agent can make the master keep', () => {
  it("an instance's metrics are bounded like its status: strings cut, numbers finite, the agent's own cold-start cap", () => {
    const huge = 'r'.repeat(3 * 1024 * 1024);
    const m = boundInstanceMetrics({
      handler: 'web',
      instance: 'web',
      state: huge,
      mode: huge,
      temperature: huge,
      last_exit: { code: 1, signal: huge, at: huge },
      cpu_percent: Number.NaN,
      memory_bytes: Number.POSITIVE_INFINITY,
      recent_cold_starts_ms: Array.from({ length: 250_000 }, (_, i) => i),
    } as unknown as InstanceMetrics__Output);
    for (const v of [m.state, m.mode, m.temperature, m.last_exit?.signal, m.last_exit?.at])
      assert.ok((v ?? '').length <= AGENT_LIMITS.shortString);
    assert.deepEqual([m.cpu_percent, m.memory_bytes, m.handler], [0, 0, 'web']);
    assert.equal(AGENT_LIMITS.recentColdStarts, MAX_RECENT_COLD_STARTS);
    assert.equal(m.recent_cold_starts_ms.length, MAX_RECENT_COLD_STARTS);
    assert.equal(m.recent_cold_starts_ms.at(-1), 249_999, 'the newest are kept');
  });

  it('hello labels are reported only: selectors match admin-set labels; hostname, version and labels bounded', async () => {
    const reg = await open();
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'.repeat(10_000)]));
    await reg.upsertAgent({
      agent_id: 'edge-1',
      hostname: 'h'.repeat(100_000),
      version: 'v'.repeat(100_000),
      labels: { region: 'west', ...many },
    });
    await reg.applySpecs([spec({ name: 'west', selector: { region: 'west' } })]);
    assert.deepEqual(reg.specsForAgent('edge-1'), [], 'a label the agent declared selects nothing');
    const a = reg.getAgent('edge-1')!;
    assert.deepEqual(a.labels, {});
    assert.equal(Object.keys(a.reported_labels).length, AGENT_LIMITS.reportedLabels);
    assert.ok(Object.values(a.reported_labels).every((v) => v.length <= AGENT_LIMITS.shortString));
    assert.ok(a.hostname.length <= AGENT_LIMITS.shortString && a.version.length <= AGENT_LIMITS.shortString);

    await reg.setLabels('edge-1', { set: { region: 'west' } });
    assert.deepEqual(
      reg.specsForAgent('edge-1').map((s) => s.name),
      ['west'],
    );
    // A reconnecting agent cannot change them.
    await reg.upsertAgent({ agent_id: 'edge-1', labels: { region: 'east' } });
    assert.deepEqual(reg.getAgent('edge-1')?.labels, { region: 'west' });
    await reg.setLabels('edge-1', { remove: ['region'] });
    assert.deepEqual(reg.specsForAgent('edge-1'), []);
    await assert.rejects(reg.setLabels('edge-1', { set: { 'bad key': 'x' } }), ValidationError);
    await assert.rejects(reg.setLabels('edge-1', { set: { k: 'a\nb' } }), ValidationError);
    await assert.rejects(reg.setLabels('nobody', { set: { k: 'v' } }), /unknown agent/);
  });

  it('keeps only statuses of instances assigned to the agent, below the count, strings bounded', async () => {
    const reg = await open();
    await reg.upsertAgent({ agent_id: 'edge-1' });
    await reg.upsertAgent({ agent_id: 'edge-2' });
    await reg.applySpecs([
      spec({ name: 'web', agents: ['edge-1'], count: 2 }),
      spec({ name: 'api', agents: ['edge-2'] }),
    ]);
    assert.equal(
      await reg.reportStatus('edge-1', { handler: 'web', instance: 'web#1', index: 1, state: 'running' }),
      null,
    );
    assert.match(
      (await reg.reportStatus('edge-1', { handler: 'web', instance: 'web#2', index: 2, state: 'running' }))!,
      /beyond the handler's count/,
    );
    assert.match(
      (await reg.reportStatus('edge-1', { handler: 'api', state: 'running' }))!,
      /not assigned to edge-1/,
    );
    assert.match((await reg.reportStatus('edge-1', { handler: 'nope', state: 'running' }))!, /not assigned/);
    assert.match(
      (await reg.reportStatus('edge-1', { handler: 'web', instance: 'api', state: 'running' }))!,
      /does not match handler/,
    );
    await reg.reportStatus('edge-1', {
      handler: 'web',
      instance: 'web',
      state: 'r'.repeat(10_000),
      health_reason: 'x'.repeat(100_000),
      events: Array.from({ length: 500 }, () => ({ type: 'T', message: 'm'.repeat(10_000) })),
    });
    const web = reg.listInstances({ handler: 'web' }).find((i) => i.status.instance === 'web')!;
    assert.ok(JSON.stringify(web).length < 100_000, `one status stays small (${JSON.stringify(web).length})`);
    assert.equal(web.status.events?.length, AGENT_LIMITS.eventsPerStatus);
    assert.deepEqual(
      reg.listInstances().map((i) => [i.agent, i.status.instance]),
      [
        ['edge-1', 'web'],
        ['edge-1', 'web#1'],
      ],
    );

    // The hello inventory follows the same rule, and a huge one is refused.
    const dropped = await reg.replaceInventory('edge-2', [
      { handler: 'api', state: 'running' },
      { handler: 'web', state: 'running' },
    ]);
    assert.equal(dropped, 1);
    const huge = Array.from({ length: AGENT_LIMITS.helloInstances + 1 }, () => ({ handler: 'api' }));
    await assert.rejects(reg.replaceInventory('edge-2', huge), /more than the \d+ allowed/);
  });

  it('observed processes: kept within the per-agent cap, never under the name of an assigned handler', async () => {
    const reg = await open();
    await reg.upsertAgent({ agent_id: 'edge-1' });
    await reg.applySpecs([spec({ name: 'web', agents: ['edge-1'] })]);
    const obs = (name: string) => ({ handler: name, instance: name, state: 'running', observed: true });
    for (let i = 0; i < AGENT_LIMITS.observedPerAgent + 50; i++)
      await reg.reportStatus('edge-1', obs(`cron-${i}`));
    const kept = reg.listInstances({ agent: 'edge-1' }).filter((i) => i.status.observed);
    assert.equal(kept.length, AGENT_LIMITS.observedPerAgent);
    assert.equal(await reg.reportStatus('edge-1', obs('cron-0')), null, 'a kept one may still change');
    // One that ended makes room for a new one; the total stays at the cap.
    assert.equal(await reg.reportStatus('edge-1', { ...obs('cron-1'), state: 'exited' }), null);
    assert.equal(await reg.reportStatus('edge-1', obs('late-1')), null);
    const names = reg
      .listInstances({ agent: 'edge-1' })
      .filter((i) => i.status.observed)
      .map((i) => i.status.instance);
    assert.equal(names.length, AGENT_LIMITS.observedPerAgent);
    assert.ok(names.includes('late-1') && !names.includes('cron-1'));
    assert.match((await reg.reportStatus('edge-1', obs('late-2')))!, /more than 256 observed/);
    assert.match((await reg.reportStatus('edge-1', obs('web')))!, /takes the name of a handler/);
    assert.match((await reg.reportStatus('edge-1', obs('Bad Name')))!, /not a valid name/);
  });

  it('a label change that would assign a handler named like an observed process is refused, nothing changed', async () => {
    const reg = await open();
    await reg.upsertAgent({ agent_id: 'edge-1' });
    await reg.reportStatus('edge-1', {
      handler: 'cron',
      instance: 'cron',
      state: 'running',
      observed: true,
      pid: 42,
    });
    await reg.applySpecs([spec({ name: 'cron', selector: { role: 'cron' } })]);
    await assert.rejects(
      reg.setLabels('edge-1', { set: { role: 'cron' } }),
      (err: unknown) =>
        err instanceof StateError &&
        /handler cron and the observed process cron \(pid 42\) on agent edge-1/.test(err.message),
    );
    assert.deepEqual(reg.getAgent('edge-1')?.labels, {});
  });

  it('the status token bucket allows a burst, then the refill rate; drops are warned about at most once per interval', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
    now += 500; // one token back
    assert.deepEqual([bucket.take(), bucket.take()], [true, false]);
    now += 60_000;
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);

    const drops = new DropCounter(10_000, () => now);
    assert.equal(drops.note('edge-1'), 1);
    for (let i = 0; i < 999; i++) assert.equal(drops.note('edge-1'), null);
    now += 10_000;
    assert.equal(drops.note('edge-1'), 1000);
  });
});
