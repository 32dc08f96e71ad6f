/**
 * The master's Prometheus metrics from what it already holds (a fleet with fake agent reports, no agent
 * asked): per-instance series with handler/agent/instance labels, a cold-start histogram that counts each
 * cold start once (and none from the first report after a master start), execution counters that count
 * each execution once when it ends, and the cardinality cap of --metrics-instances.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { InstanceMetrics__Output } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import type { MetricsReport__Output } from '../../proto/generated/governor/v1/MetricsReport.js';
import type { AgentSession } from '../../master/fleet/agent-session.js';
import { Fleet } from '../../master/fleet/fleet.js';
import { COLD_START_BUCKETS_S, MasterMetrics, newColdStartsMs } from '../../master/api/prometheus.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { Registry } from '../../master/state/registry.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { Logger, silentLogger } from '../../shared/logger.js';
import { parseHandler } from '../../shared/spec.js';
import { tempDir } from '../helpers/common.js';
import { histogramOf, parseExposition, promtoolCheck, samples, valueOf } from '../helpers/prometheus.js';

class ConnectedSession extends EventEmitter {
  readonly state = 'connected';
  constructor(readonly agentId: string) {
    super();
  }
  close(): void {}
}

function metricsOf(over: Partial<InstanceMetrics__Output> & { handler: string }): InstanceMetrics__Output {
  return {
    pid: 0,
    cpu_percent: 0,
    memory_bytes: 0,
    uptime_ms: 0,
    restarts: 0,
    state: 'running',
    last_exit: null,
    mode: 'always-on',
    temperature: '',
    cold_starts: 0,
    last_cold_start_ms: 0,
    last_hot_memory_bytes: 0,
    recent_cold_starts_ms: [],
    index: 0,
    instance: over.handler,
    cpu_seconds: 0,
    ...over,
  };
}

const HOST = {
  load1: 0.5,
  load5: 0.25,
  load15: 0.125,
  mem_total_bytes: 8e9,
  mem_free_bytes: 2e9,
  cpus: 4,
  agent_rss_bytes: 5e7,
  notify_ignored: 3,
};

describe('master Prometheus metrics from what the master holds', () => {
  let store: MasterStore;
  let reg: Registry;
  let log: ExecutionLog;
  let fleet: Fleet;
  let warnings: string[];
  let metrics: MasterMetrics;

  const report = (agent: string, instances: InstanceMetrics__Output[]): void => {
    const r: MetricsReport__Output = { instances, host: HOST };
    fleet.changes.emit('metrics', agent, r);
  };
  const scrape = async () => parseExposition(await metrics.metrics());

  async function setup(maxInstances: number): Promise<void> {
    store = await openMasterStore(tempDir('gov-prom-'));
    reg = new Registry(store);
    log = new ExecutionLog(store);
    fleet = new Fleet(
      reg,
      log,
      { heartbeatIntervalMs: 1000, heartbeatGraceMs: 3000, metricsIntervalMs: 1000, commandTimeoutMs: 5000 },
      silentLogger,
    );
    warnings = [];
    const logger = new Logger('', {
      level: 'warn',
      format: 'json',
      sink: { write: (line: string) => void warnings.push(line) },
    });
    metrics = new MasterMetrics(fleet, { maxInstances }, logger);
    for (const id of ['edge-1', 'edge-2']) {
      await reg.upsertAgent({ agent_id: id });
      fleet.hub.add(new ConnectedSession(id) as unknown as AgentSession);
    }
    await reg.applySpecs(
      [
        { name: 'web', agents: ['edge-1', 'edge-2'], count: 2 },
        { name: 'od', agents: ['edge-1'], mode: 'on-demand' },
      ].map((raw, i) => parseHandler({ command: ['node', 'x.js'], ...raw }, `handlers[${i}]`)),
    );
    for (const agent of ['edge-1', 'edge-2'])
      for (const [instance, index] of [
        ['web', 0],
        ['web#1', 1],
      ] as const)
        await reg.reportStatus(agent, {
          handler: 'web',
          instance,
          index,
          state: 'running',
          pid: 100 + index,
          health: 'healthy',
          restarts: index + 2,
        });
    await reg.reportStatus('edge-1', {
      handler: 'od',
      instance: 'od',
      state: 'stopped',
      mode: 'on-demand',
      temperature: 'cold',
      health: 'none',
    });
  }

  afterEach(async () => {
    metrics.close();
    await store.close();
  });

  describe('with room for every instance', () => {
    beforeEach(() => setup(100));

    it('per-instance series carry handler, agent and instance labels and the reported figures', async () => {
      report('edge-1', [
        metricsOf({ handler: 'web', cpu_seconds: 12.5, memory_bytes: 1000 }),
        metricsOf({ handler: 'web', instance: 'web#1', index: 1, cpu_seconds: 3, memory_bytes: 2000 }),
        metricsOf({
          handler: 'od',
          mode: 'on-demand',
          state: 'stopped',
          temperature: 'cold',
          last_cold_start_ms: 1500,
          last_hot_memory_bytes: 4096,
        }),
      ]);
      const f = await scrape();
      const web1 = { handler: 'web', agent: 'edge-1', instance: 'web#1@edge-1' };
      assert.equal(valueOf(f, 'governor_instance_cpu_seconds_total', web1), 3);
      assert.equal(valueOf(f, 'governor_instance_resident_memory_bytes', web1), 2000);
      assert.equal(valueOf(f, 'governor_instance_restarts_total', web1), 3);
      assert.equal(valueOf(f, 'governor_instance_state', { ...web1, state: 'running' }), 1);
      assert.equal(valueOf(f, 'governor_instance_health', { ...web1, health: 'healthy' }), 1);
      assert.equal(samples(f, 'governor_instance_state').length, 5, 'one state series per instance');
      assert.equal(samples(f, 'governor_instance_state', web1).length, 1);
      const od = { handler: 'od', agent: 'edge-1', instance: 'od@edge-1' };
      assert.equal(valueOf(f, 'governor_instance_temperature', { ...od, temperature: 'cold' }), 1);
      assert.equal(samples(f, 'governor_instance_temperature').length, 1, 'on-demand instances only');
      assert.equal(valueOf(f, 'governor_instance_last_cold_start_seconds', od), 1.5);
      // edge-2 has reported no metrics: its instances have state series but no CPU or memory.
      assert.equal(valueOf(f, 'governor_instance_state', { agent: 'edge-2', instance: 'web@edge-2' }), 1);
      assert.equal(samples(f, 'governor_instance_cpu_seconds_total', { agent: 'edge-2' }).length, 0);
      assert.equal(f.get('governor_instance_cpu_seconds_total')?.type, 'COUNTER');
      // Fleet telemetry and host figures.
      assert.equal(valueOf(f, 'governor_fleet_memory_saved_bytes'), 4096);
      assert.equal(valueOf(f, 'governor_fleet_on_demand_instances', { temperature: 'cold' }), 1);
      assert.equal(valueOf(f, 'governor_fleet_memory_bytes'), 3000);
      assert.equal(valueOf(f, 'governor_agent_load1', { agent: 'edge-1' }), 0.5);
      assert.equal(valueOf(f, 'governor_agent_memory_free_bytes', { agent: 'edge-1' }), 2e9);
      assert.equal(valueOf(f, 'governor_agent_load1', { agent: 'edge-2' }), undefined);
      assert.equal(valueOf(f, 'governor_agent_connected', { agent: 'edge-2' }), 1);
      assert.equal(valueOf(f, 'governor_instance_series_omitted'), 0);
    });

    it('a state, health or temperature outside the vocabulary is `unknown`: one series, the right count', async () => {
      for (const [instance, index, state] of [
        ['web', 0, 'run\u0000a'],
        ['web#1', 1, 'run\u0000b'],
      ] as const)
        await reg.reportStatus('edge-2', {
          handler: 'web',
          instance,
          index,
          state,
          health: 'x"} 1\nfake',
          pid: 9,
        });
      await reg.reportStatus('edge-1', {
        handler: 'od',
        instance: 'od',
        state: 'stopped',
        mode: 'on-demand',
        temperature: 'lukewarm',
        health: 'none',
      });
      report('edge-1', [
        metricsOf({ handler: 'od', mode: 'on-demand', state: 'stopped', temperature: 'lukewarm' }),
      ]);
      const f = await scrape();
      const byState = samples(f, 'governor_instances', { handler: 'web' });
      assert.deepEqual(
        byState.map((x) => `${x.labels?.state}=${x.value}`).sort(),
        ['running=2', 'unknown=2'],
        'one series per state, the odd ones counted as unknown',
      );
      assert.equal(valueOf(f, 'governor_instance_state', { instance: 'web@edge-2', state: 'unknown' }), 1);
      assert.equal(valueOf(f, 'governor_instance_health', { instance: 'web@edge-2', health: 'unknown' }), 1);
      assert.equal(
        valueOf(f, 'governor_instance_temperature', { instance: 'od@edge-1', temperature: 'unknown' }),
        1,
      );
      assert.equal(valueOf(f, 'governor_fleet_on_demand_instances', { temperature: 'unknown' }), 1);
    });

    it('a disconnected agent’s last figures are not served as current', async () => {
      report('edge-1', [metricsOf({ handler: 'web', cpu_seconds: 1 })]);
      (fleet.hub.get('edge-1') as unknown as EventEmitter).emit('closed');
      await reg.setConnected('edge-1', false);
      const f = await scrape();
      assert.equal(valueOf(f, 'governor_agent_connected', { agent: 'edge-1' }), 0);
      assert.equal(samples(f, 'governor_instance_cpu_seconds_total', { agent: 'edge-1' }).length, 0);
      assert.equal(samples(f, 'governor_agent_load1', { agent: 'edge-1' }).length, 0);
    });

    it('cold starts: none from the first report after a master start; growth observes the newest durations once', async () => {
      const od = (cold_starts: number, recent: number[]) =>
        metricsOf({
          handler: 'od',
          mode: 'on-demand',
          temperature: 'hot',
          cold_starts,
          recent_cold_starts_ms: recent,
        });
      const histogram = async () =>
        histogramOf(await metrics.metrics(), 'governor_cold_start_duration_seconds', { handler: 'od' });
      report('edge-1', [od(5, [100, 200])]);
      assert.equal(await histogram(), undefined, 'the first report only sets the baseline');
      report('edge-1', [od(7, [100, 200, 300, 40_000])]);
      let h = await histogram();
      assert.equal(h?.count, 2);
      assert.equal(h?.sum, 40.3);
      assert.equal(h?.buckets['0.5'], 1);
      assert.equal(h?.buckets['60'], 2);
      assert.equal(h?.buckets['+Inf'], 2);
      report('edge-1', [od(7, [100, 200, 300, 40_000])]);
      report('edge-1', [od(7, [300, 40_000])]); // the hour window moved on: nothing new
      h = await histogram();
      assert.equal(h?.count, 2, 'the same cold starts are never counted twice');
      report('edge-1', [od(8, [40_000, 50])]);
      h = await histogram();
      assert.equal(h?.count, 3);
      assert.equal(h?.buckets['0.05'], 1);
      assert.equal(Object.keys(h?.buckets ?? {}).length, COLD_START_BUCKETS_S.length + 1);
      // The parser reads it as a histogram family.
      assert.equal((await scrape()).get('governor_cold_start_duration_seconds')?.type, 'HISTOGRAM');
    });

    it('executions are counted once when they end, by kind and status; a late correction is counted apart', async () => {
      const a = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'alice' });
      let f = await scrape();
      assert.equal(samples(f, 'governor_executions_finished_total').length, 0, 'running: not counted yet');
      await log.complete(a.id, { status: 'success' });
      await log.complete(a.id, { status: 'success' }); // a second completion changes nothing
      const b = log.begin({ kind: 'stop', handler: 'web', agent: 'edge-1', issued_by: 'alice' });
      await log.complete(b.id, { status: 'timeout', unanswered: true });
      await log.completeLate(b.id, 'edge-1', { status: 'success' });
      await log.recordDone({
        ...a,
        id: 'local-1',
        kind: 'start',
        status: 'error',
        completed_at: a.started_at,
      });
      f = await scrape();
      const count = (kind: string, status: string) =>
        valueOf(f, 'governor_executions_finished_total', { kind, status });
      assert.equal(count('restart', 'success'), 1);
      assert.equal(count('stop', 'timeout'), 1);
      assert.equal(count('stop', 'success'), undefined, 'a late answer does not count the execution again');
      assert.equal(count('start', 'error'), 1);
      assert.equal(
        valueOf(f, 'governor_execution_late_corrections_total', { kind: 'stop', status: 'success' }),
        1,
      );
    });

    it('promtool finds nothing to say about the exposition', async function () {
      const od = (cold_starts: number) =>
        metricsOf({ handler: 'od', mode: 'on-demand', cold_starts, recent_cold_starts_ms: [120] });
      report('edge-1', [metricsOf({ handler: 'web', cpu_seconds: 1 }), od(1)]);
      report('edge-1', [metricsOf({ handler: 'web', cpu_seconds: 2 }), od(2)]);
      const e = log.begin({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'alice' });
      await log.complete(e.id, { status: 'success' });
      const text = await metrics.metrics();
      assert.ok(histogramOf(text, 'governor_cold_start_duration_seconds', { handler: 'od' }));
      const r = promtoolCheck(text);
      if ('skipped' in r) {
        console.log(`    skipped: ${r.skipped}`);
        this.skip();
      }
      assert.equal(r.problems, '');
    });
  });

  describe('with a cap of 3 instances', () => {
    beforeEach(() => setup(3));

    it('only the first 3 instances get per-instance series; a gauge counts the rest and one warning is logged', async () => {
      report('edge-1', [metricsOf({ handler: 'web', cpu_seconds: 1 })]);
      let f = await scrape();
      await scrape();
      assert.equal(samples(f, 'governor_instance_state').length, 3);
      assert.equal(valueOf(f, 'governor_instance_series_omitted'), 2);
      assert.equal(
        samples(f, 'governor_instances').reduce((n, s) => n + Number(s.value), 0),
        5,
        'the counts by state still cover every instance',
      );
      assert.equal(warnings.filter((w) => w.includes('--metrics-instances')).length, 1, warnings.join(''));
      f = await scrape();
      assert.deepEqual(
        samples(f, 'governor_instance_state').map((s) => s.labels?.instance),
        ['od@edge-1', 'web@edge-1', 'web#1@edge-1'],
        'in gov ps order',
      );
    });
  });
});

describe('cold starts to observe from an instance report', () => {
  it('newColdStartsMs: growth takes the newest durations, a lower counter is a new baseline', () => {
    const m = (cold_starts: number, recent: number[]) =>
      metricsOf({ handler: 'x', cold_starts, recent_cold_starts_ms: recent });
    assert.deepEqual(newColdStartsMs(undefined, m(3, [1, 2, 3])), []);
    assert.deepEqual(newColdStartsMs(1, m(3, [1, 2, 3])), [2, 3]);
    assert.deepEqual(newColdStartsMs(1, m(9, [1, 2, 3])), [1, 2, 3], 'never more than the agent listed');
    assert.deepEqual(newColdStartsMs(5, m(2, [1, 2])), []);
    assert.deepEqual(newColdStartsMs(3, m(3, [1, 2, 3])), []);
  });
});
