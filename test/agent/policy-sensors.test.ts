/**
 * The control loop's sensors: host memory, load and pressure stall information read from /proc (here a
 * directory of the test's own), a missing sensor reported with its reason rather than a number, and the
 * per-instance readings (CPU share, RSS growth between samples of one process, restarts in the last hour,
 * open fds of a real process tree, pressure only on cgroup v2).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  instanceInput,
  isUnavailable,
  parsePressure,
  ProcSensors,
  type InstanceInput,
  type Reading,
} from '../../agent/control/sensors.js';
import type { HostMetric, InstanceMetric } from '../../shared/policy-rules.js';
import { tempDir } from '../helpers/common.js';
import { readProcStat } from '../../shared/proc.js';

const PSI =
  'some avg10=12.50 avg60=3.00 avg300=1.00 total=100\nfull avg10=4.25 avg60=1.00 avg300=0.50 total=50\n';

function fakeProc(): string {
  const root = tempDir('gov-proc-');
  mkdirSync(path.join(root, 'pressure'));
  writeFileSync(path.join(root, 'meminfo'), 'MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable:     2048 kB\n');
  writeFileSync(path.join(root, 'loadavg'), '1.25 0.50 0.10 1/100 4242\n');
  writeFileSync(path.join(root, 'pressure', 'memory'), PSI);
  writeFileSync(path.join(root, 'pressure', 'cpu'), 'some avg10=0.75 avg60=0.00 avg300=0.00 total=1\n');
  return root;
}

/** One instance's fields at a sample (the record's own fields aside). */
type InputFields = Partial<Omit<InstanceInput, 'key' | 'metrics' | 'values' | 'unavailable'>>;

function input(fields: InputFields): InputFields {
  return {
    running: true,
    root: process.pid,
    tree: { key: 'web', root: process.pid, rootStart: readProcStat(process.pid)!.startTime },
    cpu_percent: 0,
    memory_bytes: 0,
    restarts: 0,
    cgroup: { unavailable: 'cgroup v1 has no per-cgroup pressure files (v2 only)' },
    ...fields,
  };
}

/** One sample of the instance `web` (`fields`) through `sensors`: its readings of `wanted` by metric. */
function read(
  sensors: ProcSensors,
  fields: InputFields,
  wanted: ReadonlySet<InstanceMetric>,
  now: number,
): Map<InstanceMetric, Reading> {
  const i = Object.assign(instanceInput('web', [...wanted]), fields);
  sensors.instances([i], now);
  return new Map(
    i.metrics.map((m, j) => [m, i.unavailable[j] ? { unavailable: i.unavailable[j] } : i.values[j]!]),
  );
}

describe('policy sensors', () => {
  it('parse the avg10 of both lines of a pressure file', () => {
    assert.deepEqual(parsePressure(PSI), { some: 12.5, full: 4.25 });
    assert.deepEqual(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), { some: 0 });
  });

  it('read host memory available, load1, pressure and on-demand hot count; a missing sensor says why', () => {
    const sensors = new ProcSensors({ procRoot: fakeProc(), onDemandHot: () => 3 });
    const wanted = new Set<HostMetric>([
      'host.memory.available',
      'host.load1',
      'host.memory.pressure.some',
      'host.memory.pressure.full',
      'host.cpu.pressure.some',
      'host.cpu.pressure.full',
      'host.io.pressure.some',
      'on_demand.hot',
    ]);
    const r = sensors.host(wanted);
    assert.equal(r.get('host.memory.available'), 2048 * 1024);
    assert.equal(r.get('host.load1'), 1.25);
    assert.equal(r.get('host.memory.pressure.some'), 12.5);
    assert.equal(r.get('host.memory.pressure.full'), 4.25);
    assert.equal(r.get('host.cpu.pressure.some'), 0.75);
    assert.equal(r.get('on_demand.hot'), 3);
    const cpuFull = r.get('host.cpu.pressure.full');
    assert.ok(
      isUnavailable(cpuFull) && /has no "full" line/.test(cpuFull.unavailable),
      JSON.stringify(cpuFull),
    );
    const io = r.get('host.io.pressure.some');
    assert.ok(isUnavailable(io) && /no pressure stall information/.test(io.unavailable), JSON.stringify(io));
    assert.equal(sensors.host(new Set<HostMetric>(['host.load1'])).size, 1, 'only what is asked is read');
  });

  it('read the real host pressure files where the kernel has them', function () {
    const r = new ProcSensors({ onDemandHot: () => 0 }).host(
      new Set<HostMetric>(['host.memory.pressure.some']),
    );
    const v = r.get('host.memory.pressure.some');
    assert.ok(typeof v === 'number' || (isUnavailable(v) && v.unavailable.length > 0), JSON.stringify(v));
  });

  it('give per-instance cpu share, rss growth between samples of one process, restarts in the last hour', () => {
    const sensors = new ProcSensors({ onDemandHot: () => 0 });
    const wanted = new Set<InstanceMetric>([
      'cpu',
      'rss',
      'rss_growth',
      'restarts_1h',
      'pressure.memory.some',
    ]);
    const t0 = 1_000_000;
    const first = read(sensors, input({ cpu_percent: 50, memory_bytes: 100 << 20 }), wanted, t0);
    assert.equal(first.get('cpu'), 0.5);
    assert.equal(first.get('rss'), 100 << 20);
    assert.ok(isUnavailable(first.get('rss_growth')), 'no growth from one sample');
    assert.equal(first.get('restarts_1h'), 0);
    const psi = first.get('pressure.memory.some');
    assert.ok(isUnavailable(psi) && /v2 only/.test(psi.unavailable));
    const second = read(sensors, input({ memory_bytes: 110 << 20, restarts: 2 }), wanted, t0 + 2000);
    assert.equal(second.get('rss_growth'), (10 << 20) / 2, 'bytes per second');
    assert.equal(second.get('restarts_1h'), 2);
    const newProcess = read(
      sensors,
      input({ root: 1, memory_bytes: 10 << 20, restarts: 3 }),
      wanted,
      t0 + 3000,
    );
    assert.ok(isUnavailable(newProcess.get('rss_growth')), 'a new process starts its growth afresh');
    assert.equal(newProcess.get('restarts_1h'), 3);
    const later = read(sensors, input({ root: 1, restarts: 3 }), wanted, t0 + 3000 + 3_600_000);
    assert.equal(later.get('restarts_1h'), 0, 'restarts older than an hour no longer count');
    const stopped = read(sensors, input({ running: false, root: null }), wanted, t0 + 3_700_000);
    assert.ok(
      isUnavailable(stopped.get('rss')) && isUnavailable(stopped.get('cpu')),
      'no value while not running',
    );
  });

  it('count the open file descriptors of a real process tree', () => {
    const sensors = new ProcSensors({ onDemandHot: () => 0 });
    const fds = read(sensors, input({}), new Set<InstanceMetric>(['fds']), Date.now()).get('fds');
    assert.equal(typeof fds, 'number');
    assert.ok((fds as number) >= 3, `this process has at least stdin, stdout, stderr (${String(fds)})`);
    // The tree is the handler's as metrics read it (process-tree.ts): a root that is not the recorded
    // process (a stranger on a reused PID) has nothing of the handler's to count.
    const stranger = { key: 'web', root: process.pid, rootStart: '1' };
    assert.equal(
      read(sensors, input({ tree: stranger }), new Set<InstanceMetric>(['fds']), Date.now()).get('fds'),
      0,
    );
  });
});
