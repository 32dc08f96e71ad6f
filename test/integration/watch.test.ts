/**
 * Admin.Watch against a real master and agent: a restart shows up as ordered events with indexes one
 * apart; a watcher that resumes from an index gets exactly the events it missed; a viewer may watch and a
 * certificate from another CA may not; GetMetricsHistory answers the pushed samples.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createGrpcAdminApi, type WatchEvent, type WatchRequest } from '../../master/cli/admin-client.js';
import { clientConnection } from '../../shared/tls.js';
import { Cluster } from '../helpers/cluster.js';
import { tempDir, waitFor } from '../helpers/common.js';
import type { AdminApi } from '../../master/cli/admin-client.js';

const REQ: WatchRequest = { follow: true, kinds: [], handlers: [], agents: [] };

/** A watch that collects what it receives. */
function collect(
  api: AdminApi,
  req: WatchRequest,
): { events: WatchEvent[]; stop: () => void; done: Promise<void> } {
  const events: WatchEvent[] = [];
  const s = api.watch(req, (e) => events.push(e));
  return { events, stop: () => s.cancel(), done: s.done };
}

const kept = (events: WatchEvent[]): WatchEvent[] =>
  events.filter((e) => !['snapshot', 'notice', 'metrics'].includes(e.kind));

describe('integration: Admin.Watch', function () {
  this.slow(20_000);
  let c: Cluster;

  before(async () => {
    // Agents push metrics at the master's interval (its welcome says it): short here, for the history.
    const config = path.join(tempDir(), 'master.yaml');
    writeFileSync(config, 'metrics_interval: 300ms\n');
    c = await Cluster.start({
      agents: ['edge-1'],
      masterArgs: ['--config', config, '--metrics-history', '1m'],
    });
    await c.startTicker(['edge-1']);
  });
  after(async () => {
    await c?.stop();
  });

  it('a restart gives ordered events: execution running, the instance through stopping to running with a new pid, execution success; indexes one apart', async () => {
    const before = (await c.instances('web'))[0]!;
    const w = collect(c.admin(), { ...REQ, handlers: ['web'] });
    await waitFor(
      () =>
        c
          .admin()
          .listAgents()
          .then(() => true),
      { what: 'master answering' },
    );
    const r = await c.admin().control('restart', 'web');
    const id = r.outcomes[0]?.execution_id ?? r.executions[0]?.id;
    await waitFor(
      () =>
        w.events.some(
          (e) => e.kind === 'execution' && e.execution?.id === id && e.execution?.status !== 'running',
        ),
      { what: 'the restart to complete on the watch', timeoutMs: 20_000 },
    );
    w.stop();
    const events = kept(w.events);
    for (let i = 1; i < events.length; i++)
      assert.equal(
        events[i]!.index,
        events[i - 1]!.index + 1,
        `indexes one apart: ${events.map((e) => e.index)}`,
      );
    const lines = events.map((e) =>
      e.kind === 'execution'
        ? `execution ${e.execution?.status}`
        : e.kind === 'instance'
          ? `instance ${e.instance?.instance?.status?.state}`
          : e.kind,
    );
    const at = (line: string, from = 0): number => lines.indexOf(line, from);
    const begun = at('execution running');
    assert.ok(begun >= 0, lines.join('\n'));
    const stopping = lines.findIndex((l, i) => i > begun && /^instance (stopping|stopped|exited)/.test(l));
    assert.ok(stopping > begun, `the instance stops after the execution begins:\n${lines.join('\n')}`);
    const running = at('instance running', stopping);
    assert.ok(running > stopping, lines.join('\n'));
    const runningEvent = events[running]!;
    assert.notEqual(runningEvent.instance?.instance?.status?.pid, before.pid, 'a new pid');
    assert.equal(runningEvent.instance?.previous_state !== '', true);
    assert.ok(at('execution success', begun) > begun, lines.join('\n'));
    assert.ok(
      events.every((e) => e.handler === 'web'),
      'the handler filter holds',
    );
  });

  it('a watcher resuming from the last index it saw gets exactly the events it missed, none twice', async () => {
    const all = collect(c.admin(), REQ);
    const first = collect(c.admin(), REQ);
    await c.admin().control('restart', 'web');
    await waitFor(
      () => kept(first.events).some((e) => e.kind === 'execution' && e.execution?.status === 'success'),
      {
        what: 'the first restart on the watch',
        timeoutMs: 20_000,
      },
    );
    first.stop();
    const last = Math.max(...kept(first.events).map((e) => e.index));
    await c.admin().control('restart', 'web');
    await waitFor(
      () =>
        kept(all.events).filter((e) => e.kind === 'execution' && e.execution?.status === 'success').length >=
        2,
      {
        what: 'the second restart on the watch',
        timeoutMs: 20_000,
      },
    );
    const resumed = collect(c.admin(), { ...REQ, resume: true, since: last });
    const newest = Math.max(...kept(all.events).map((e) => e.index));
    await waitFor(() => resumed.events.some((e) => e.index >= newest), {
      what: 'the resumed watch to catch up',
    });
    resumed.stop();
    all.stop();
    const seen = [...kept(first.events), ...kept(resumed.events)]
      .map((e) => e.index)
      .filter((i) => i <= newest);
    const expected = kept(all.events)
      .map((e) => e.index)
      .filter((i) => i <= newest);
    assert.deepEqual(seen, expected.slice(expected.indexOf(seen[0]!)));
    assert.equal(new Set(seen).size, seen.length, 'none twice');
    assert.ok(kept(resumed.events).every((e) => e.index > last));
  });

  it("agents connecting and leaving, and a rolling restart's progress, are events of their kinds", async () => {
    const w = collect(c.admin(), { ...REQ, kinds: ['agent', 'rollout'] });
    const r = await c.admin().startRollout({ handler: 'web' });
    await waitFor(
      () =>
        w.events.some(
          (e) => e.kind === 'rollout' && e.rollout?.id === r.id && e.rollout.state === 'succeeded',
        ),
      { what: 'the rollout to succeed on the watch', timeoutMs: 30_000 },
    );
    await c.startAgent('edge-2');
    await waitFor(
      () => w.events.some((e) => e.kind === 'agent' && e.agent === 'edge-2' && e.agent_info?.connected),
      {
        what: 'edge-2 connected on the watch',
      },
    );
    await c.killAgent('edge-2');
    await waitFor(
      () =>
        w.events.some((e) => e.kind === 'agent' && e.agent === 'edge-2' && e.agent_info?.connected === false),
      { what: 'edge-2 disconnected on the watch' },
    );
    w.stop();
    assert.ok(
      w.events.every((e) => e.kind === 'agent' || e.kind === 'rollout'),
      'the kinds filter holds',
    );
    const rollouts = w.events.filter((e) => e.kind === 'rollout');
    assert.ok(rollouts.length >= 2, 'progress, not only the end');
    assert.ok(rollouts.every((e) => e.handler === 'web'));
  });

  it('a viewer certificate may watch; a certificate from another CA may not', async () => {
    const viewer = c.admin('viewer-viewer');
    const w = viewer.watch({ ...REQ, follow: false, snapshot: true }, () => {});
    const events: WatchEvent[] = [];
    const s = viewer.watch({ ...REQ, follow: false, snapshot: true }, (e) => events.push(e));
    await s.done;
    await w.done;
    assert.equal(events.at(-1)?.kind, 'snapshot');
    assert.ok(events.at(-1)?.snapshot?.instances.some((i) => i.status?.handler === 'web'));

    const conn = clientConnection(c.address, c.pki.material('admin-admin', { wrongPair: true }), {
      separateConnection: true,
    });
    const stranger = createGrpcAdminApi({
      target: conn.target,
      credentials: conn.credentials,
      channelOptions: conn.options,
      timeoutMs: 5000,
    });
    try {
      const got: WatchEvent[] = [];
      await assert.rejects(stranger.watch({ ...REQ, snapshot: true }, (e) => got.push(e)).done);
      assert.deepEqual(got, []);
    } finally {
      stranger.close();
    }
  });

  it('GetMetricsHistory answers the samples the agent pushed for the instance', async () => {
    await waitFor(async () => ((await c.admin().getMetricsHistory()).instances[0]?.at_ms.length ?? 0) >= 2, {
      what: 'two samples in the history',
      timeoutMs: 15_000,
    });
    const h = await c.admin().getMetricsHistory({ names: ['web'], all: false, selector: {}, agents: [] });
    assert.equal(h.window_ms, 60_000);
    assert.equal(h.instances.length, 1);
    const one = h.instances[0]!;
    assert.deepEqual([one.agent, one.handler, one.instance], ['edge-1', 'web', 'web']);
    assert.equal(one.cpu_percent.length, one.at_ms.length);
    assert.ok(
      one.memory_bytes.some((m) => m > 0) && one.memory_bytes.every((m) => m >= 0),
      String(one.memory_bytes),
    );
    await assert.rejects(
      c.admin().getMetricsHistory({ names: ['nope'], all: false, selector: {}, agents: [] }),
      /nope/,
    );
  });
});
