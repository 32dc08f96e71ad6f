/**
 * Metrics are pushed to the master when they changed, not every interval: an unchanged (or merely noisy)
 * sample is held back, a change beyond noise is pushed at the next interval, and a report still goes out
 * at least every METRICS_REFRESH_INTERVALS samples; each new stream starts with a push.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import {
  METRICS_REFRESH_INTERVALS,
  MetricsPushFilter,
  metricsChanged,
} from '../../agent/link/metrics-push.js';
import { MasterLink, type LinkHost } from '../../agent/link/master-link.js';
import type { AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage } from '../../proto/generated/governor/v1/MasterMessage.js';
import type { MetricsReport } from '../../proto/generated/governor/v1/MetricsReport.js';
import type { InstanceMetrics } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import { Logger } from '../../shared/logger.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { waitFor } from '../helpers/common.js';

const MIB = 1024 * 1024;

function inst(over: Partial<InstanceMetrics> = {}): InstanceMetrics {
  return {
    handler: 'web',
    instance: 'web',
    index: 0,
    pid: 100,
    state: 'running',
    cpu_percent: 1.2,
    memory_bytes: 50 * MIB,
    uptime_ms: 1000,
    restarts: 0,
    last_exit: null,
    mode: 'always-on',
    temperature: '',
    cold_starts: 0,
    last_cold_start_ms: 0,
    last_hot_memory_bytes: 0,
    recent_cold_starts_ms: [],
    ...over,
  };
}

const report = (...instances: InstanceMetrics[]): MetricsReport => ({ instances, host: { load1: 0.5 } });

describe('metrics push: changed beyond noise', () => {
  it('noise (CPU < 0.5 points, RSS < 1 MiB / 1 %, uptime, host load) is no change', () => {
    const a = report(inst());
    assert.equal(metricsChanged(a, report(inst({ cpu_percent: 1.6, uptime_ms: 6000 }))), false);
    assert.equal(metricsChanged(a, report(inst({ memory_bytes: 50 * MIB + 512 * 1024 }))), false);
    assert.equal(metricsChanged(a, { ...report(inst()), host: { load1: 3 } }), false);
    // 1 % of a large process is the step: 1 GiB moving by 5 MiB is noise.
    const big = report(inst({ memory_bytes: 1024 * MIB }));
    assert.equal(metricsChanged(big, report(inst({ memory_bytes: 1029 * MIB }))), false);
    assert.equal(metricsChanged(big, report(inst({ memory_bytes: 1040 * MIB }))), true);
  });

  it('a state, PID, restart, CPU or RSS change, or an instance more or less, is a change', () => {
    const a = report(inst());
    for (const over of [
      { state: 'backoff' },
      { pid: 101 },
      { restarts: 1 },
      { cpu_percent: 1.7 },
      { memory_bytes: 52 * MIB },
      { last_exit: { code: 1, signal: '', at: 'x' } },
      { temperature: 'cold' },
      { recent_cold_starts_ms: [40] },
      { last_hot_memory_bytes: 9 * MIB },
    ] as Array<Partial<InstanceMetrics>>) {
      assert.equal(metricsChanged(a, report(inst(over))), true, JSON.stringify(over));
    }
    assert.equal(metricsChanged(a, report(inst(), inst({ instance: 'web#1', index: 1 }))), true);
    assert.equal(metricsChanged(a, report()), true);
  });

  it('the filter pushes the first report, holds unchanged ones, and refreshes every N samples', () => {
    const f = new MetricsPushFilter();
    const pushed: number[] = [];
    for (let i = 0; i < 3 * METRICS_REFRESH_INTERVALS; i++) if (f.admit(report(inst()))) pushed.push(i);
    assert.deepEqual(pushed, [0, METRICS_REFRESH_INTERVALS, 2 * METRICS_REFRESH_INTERVALS]);
    assert.equal(f.admit(report(inst({ restarts: 3 }))), true, 'a change goes out at once');
    assert.equal(f.admit(report(inst({ restarts: 3 }))), false);
  });
});

describe('metrics push: the agent link', () => {
  let server: grpc.Server | null = null;
  let link: MasterLink | null = null;
  after(() => {
    link?.close();
    server?.forceShutdown();
  });

  it('pushes an unchanged sample once, then only a change (sampling every interval); host figures are read only for a pushed report', async () => {
    const pushed: MetricsReport[] = [];
    server = new grpc.Server();
    server.addService(loadProtos().link.governor.v1.AgentLink.service, {
      Connect: (call: grpc.ServerDuplexStream<AgentMessage__Output, MasterMessage>) => {
        call.on('data', (m: AgentMessage__Output) => {
          if (m.body === 'metrics' && m.metrics) pushed.push(m.metrics);
          if (m.body !== 'hello') return;
          call.write({
            welcome: {
              heartbeat_interval_ms: 1000,
              metrics_interval_ms: 20,
              sent_at_ms: Date.now(),
              heartbeat_grace_ms: 60_000,
              protocol: AGENT_LINK_PROTOCOL,
            },
          });
        });
        call.on('error', () => {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    let samples = 0;
    let hostReads = 0;
    let current = report(inst());
    const host: LinkHost = {
      inventory: () => ({ hostname: 'test', version: '0', labels: {}, instances: [], specs_hash: '' }),
      execute: () => Promise.resolve({ summary: 'ok' }),
      metrics: (opts) => {
        samples++;
        assert.equal(opts?.host, false, 'samples are taken without the host figures');
        return Promise.resolve({ instances: current.instances });
      },
      hostMetrics: () => ({ load1: ++hostReads }),
    };
    link = new MasterLink(host, {
      agentId: 'edge-1',
      address: `127.0.0.1:${port}`,
      credentials: grpc.credentials.createInsecure(),
      logger: new Logger('test', { level: 'error' }),
    });
    link.start();
    await link.whenConnected();
    await waitFor(() => samples >= 5 && pushed.length >= 1, {
      what: 'samples taken on the interval',
    });
    // The refresh (every METRICS_REFRESH_INTERVALS samples) has not come due yet.
    assert.equal(pushed.length, 1, `${samples} unchanged samples, ${pushed.length} pushed`);
    assert.equal(hostReads, 1, 'host figures read for the pushed report only');
    current = report(inst({ state: 'backoff', pid: 0 }));
    await waitFor(() => pushed.length === 2, { what: 'the change pushed' });
    assert.equal(pushed[1]!.instances?.[0]?.state, 'backoff');
    assert.equal(hostReads, 2);
    assert.deepEqual(
      pushed.map((p) => p.host?.load1),
      [1, 2],
      'each pushed report carries the host figures read for it',
    );
  });
});
