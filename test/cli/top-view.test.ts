/**
 * The view model of `gov top`: events applied in order, a snapshot replacing the state (in parts), a
 * removed instance gone, metrics filling CPU and memory, sorting by CPU, memory and name, and the
 * rendering fitting the terminal's width and height.
 */
import assert from 'node:assert/strict';
import { TopView } from '../../master/cli/top-view.js';
import type { InstanceInfo, WatchEvent } from '../../master/cli/admin-client.js';
import { agent, execution, instance, instanceEvent, METRICS, watchEvent } from './fake-admin.js';

const NOW = Date.parse('2025-01-01T12:00:05Z');
const render = (v: TopView, over: Partial<Parameters<TopView['render']>[0]> = {}) =>
  v.render({ width: 200, height: 60, sort: 'cpu', now: NOW, master: '127.0.0.1:7070', ...over });

function info(key: string, agentId: string, pid = 100): InstanceInfo {
  const base = instance({ agent: agentId, pid });
  return { ...base, status: { ...base.status!, handler: key.split('#')[0]!, instance: key } };
}

function metricsEvent(agentId: string, rows: Array<[string, number, number]>): WatchEvent {
  const base = METRICS.instances[0]!.metrics!;
  return watchEvent({
    kind: 'metrics',
    handler: '',
    agent: agentId,
    body: 'metrics',
    metrics: {
      host: METRICS.agents[0]!.host,
      instances: rows.map(([key, cpu, rss]) => ({
        ...base,
        handler: key.split('#')[0]!,
        instance: key,
        cpu_percent: cpu,
        memory_bytes: rss,
      })),
    },
  });
}

function snapshot(instances: InstanceInfo[], more = false): WatchEvent {
  return watchEvent({
    kind: 'snapshot',
    handler: '',
    agent: '',
    body: 'snapshot',
    snapshot: {
      agents: [agent({ id: 'edge-1' }), agent({ id: 'edge-2', connected: false })],
      instances,
      rollouts: [],
      more,
    },
  });
}

/** The INSTANCE column of the instance table, in the order shown. */
function shownInstances(lines: string[]): string[] {
  const at = lines.findIndex((l) => l.startsWith('INSTANCE'));
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l === '') break;
    out.push(l.split(/\s+/)[0]!);
  }
  return out;
}

describe('gov top: view model', () => {
  it('applies events in order: the last change of an instance wins', () => {
    const v = new TopView();
    v.apply(instanceEvent({ index: 1, state: 'starting', pid: 0 }));
    v.apply(instanceEvent({ index: 2, state: 'running', pid: 11 }));
    v.apply(instanceEvent({ index: 3, state: 'running', pid: 12, previousPid: 11 }));
    const row = v.instances.get('web#1@edge-1')!;
    assert.equal(row.state, 'running');
    assert.equal(row.pid, 12);
  });

  it('a removed instance leaves the view', () => {
    const v = new TopView();
    v.apply(instanceEvent({ index: 1, key: 'web#1' }));
    v.apply(instanceEvent({ index: 2, key: 'web#2' }));
    v.apply(instanceEvent({ index: 3, key: 'web#1', removed: true }));
    assert.deepEqual([...v.instances.keys()], ['web#2@edge-1']);
    assert.doesNotMatch(render(v).join('\n'), /web#1@edge-1/);
  });

  it('a snapshot replaces the state once its last part came, keeping known CPU and memory figures', () => {
    const v = new TopView();
    v.apply(instanceEvent({ key: 'old' }));
    v.apply(metricsEvent('edge-1', [['web', 5, 1000]]));
    v.apply(snapshot([info('web', 'edge-1')], true));
    assert.ok(v.instances.has('old@edge-1'), 'nothing replaced before the last part');
    v.apply(snapshot([info('api', 'edge-2')]));
    assert.deepEqual([...v.instances.keys()].sort(), ['api@edge-2', 'web@edge-1']);
    assert.equal(v.instances.get('web@edge-1')!.cpu, 5);
    assert.deepEqual([...v.agents.keys()].sort(), ['edge-1', 'edge-2']);
    assert.match(render(v)[0]!, /agents 1\/2 connected/);
  });

  it('sorts instances by CPU (default), memory or name', () => {
    const v = new TopView();
    v.apply(snapshot([info('a', 'edge-1'), info('b', 'edge-1'), info('c', 'edge-1')]));
    v.apply(
      metricsEvent('edge-1', [
        ['a', 1, 300],
        ['b', 50, 100],
        ['c', 20, 200],
      ]),
    );
    assert.deepEqual(shownInstances(render(v, { sort: 'cpu' })), ['b@edge-1', 'c@edge-1', 'a@edge-1']);
    assert.deepEqual(shownInstances(render(v, { sort: 'mem' })), ['a@edge-1', 'c@edge-1', 'b@edge-1']);
    assert.deepEqual(shownInstances(render(v, { sort: 'name' })), ['a@edge-1', 'b@edge-1', 'c@edge-1']);
  });

  it('the first GetMetrics fills agents and instances with their figures', () => {
    const v = new TopView();
    v.applyMetrics(METRICS);
    const text = render(v).join('\n');
    assert.match(text, /^web@edge-1 +running +- +- +12\.5 +50\.0 MiB +2 +4321$/m);
    assert.match(text, /^edge-1 +yes +0\.50 +4\.0 GiB \/ 8\.0 GiB$/m);
  });

  it('no text an agent reports reaches the terminal as escapes (state, health, temperature, names)', () => {
    const v = new TopView();
    const hostile = info('web#1\x1b]0;owned\x07', 'edge\x1b[2J');
    hostile.status = {
      ...hostile.status!,
      state: 'running\x1b[31m',
      health: 'ok\r',
      temperature: 'hot\x9b1A',
    };
    v.apply(snapshot([hostile]));
    for (const l of render(v))
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(l), JSON.stringify(l));
  });

  it('fits the terminal: no line wider than the width, no more lines than the height, "… N more" when cut', () => {
    const v = new TopView();
    v.apply(snapshot(Array.from({ length: 40 }, (_, i) => info(`h${i}`, 'edge-1'))));
    for (let i = 0; i < 10; i++)
      v.apply(
        watchEvent({
          kind: 'execution',
          body: 'execution',
          execution: execution({ id: `ex-${i}`, started_at: `2025-01-01T11:59:5${i}.000Z` }),
        }),
      );
    for (const [width, height] of <Array<[number, number]>>[
      [80, 24],
      [30, 10],
      [200, 60],
      [10, 3],
    ]) {
      const lines = render(v, { width, height });
      assert.ok(lines.length <= height, `${lines.length} lines for height ${height}`);
      for (const l of lines) assert.ok(l.length <= width, `${JSON.stringify(l)} is wider than ${width}`);
    }
    const lines = render(v, { width: 80, height: 24 });
    assert.equal(lines.length, 24);
    assert.ok(
      lines.some((l) => /^… \d+ more$/.test(l)),
      'the cut list says how many are not shown',
    );
    assert.ok(render(v, { width: 30, height: 24 })[0]!.endsWith('…'), 'a cut line ends with …');
    // Executions: newest first.
    const execs = render(v, { width: 80, height: 60 });
    const first = execs.findIndex((l) => l === 'LAST EXECUTIONS');
    assert.match(execs[first + 1]!, /^11:59:59\.000 {2}restart web@edge-1 success/);
  });
});
