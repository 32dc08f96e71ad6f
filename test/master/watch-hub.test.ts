/**
 * The watch hub with fake streams: live events in order; a resume replays exactly the missed ones then goes
 * live; an index the ring no longer holds (behind) or above its newest (unknown_index) gets a notice and a
 * snapshot; snapshots come in bounded parts; metrics samples are throttled per watcher and narrowed by its
 * handler filter, and never kept.
 */
import assert from 'node:assert/strict';
import type { InstanceView } from '../../master/state/registry.js';
import { snapshotParts } from '../../master/watch/snapshot.js';
import { compileWatchFilter } from '../../master/watch/watch-filter.js';
import { WatchHub } from '../../master/watch/watch-hub.js';
import { FakeCall, instanceEvent, request } from './watch-fakes.js';

const view = (handler: string, agent: string): InstanceView => ({
  agent,
  status: { handler, state: 'running' },
  stale: false,
  reported_at: '2026-01-01T00:00:00.000Z',
});

describe('watch hub', () => {
  let nowMs = 1_000_000;
  const hub = (ringSize = 100, instances: InstanceView[] = []) =>
    new WatchHub({
      ringSize,
      bufferSize: 1000,
      now: () => nowMs,
      snapshot: () => ({ agents: [{ id: 'edge-1' }], instances, rollouts: [] }),
    });
  const watch = (h: WatchHub, over: Parameters<typeof request>[0] = {}) => {
    const call = new FakeCall();
    h.watch(call.asCall, compileWatchFilter(request(over)));
    return call;
  };
  const indexes = (c: FakeCall) => c.sent.map((e) => `${e.kind}:${e.index}`);

  it('a caller holds at most its share of watches, the master at most its total; an ended one frees its place', () => {
    const h = new WatchHub({
      ringSize: 10,
      bufferSize: 10,
      limits: { perCaller: 2, total: 3 },
      snapshot: () => ({ agents: [], instances: [], rollouts: [] }),
    });
    const as = (caller: string) => {
      const call = new FakeCall();
      h.watch(call.asCall, compileWatchFilter(request()), caller);
      return call;
    };
    const [a1, a2, a3] = [as('viewer bob'), as('viewer bob'), as('viewer bob')];
    assert.equal(a1.status, null);
    assert.equal(a2.status, null);
    assert.equal(a3.status?.code, 8, 'RESOURCE_EXHAUSTED');
    assert.match(a3.status!.message, /viewer bob already holds 2 watches \(at most 2 at once\)/);
    const c1 = as('admin alice');
    assert.equal(c1.status, null, "another caller's share");
    const c2 = as('admin alice');
    assert.match(c2.status?.message ?? '', /this master already serves 3 watches \(at most 3 at once\)/);
    a1.emit('cancelled');
    assert.equal(as('viewer bob').status, null, 'the cancelled watch gave its place back');
    assert.equal(h.stats().watchers, 3);
  });

  it('sends live events in order to each watcher its filter admits', () => {
    const h = hub();
    const web = watch(h, { handlers: ['web'] });
    const all = watch(h);
    h.publish(instanceEvent('web'));
    h.publish(instanceEvent('db'));
    assert.deepEqual(indexes(web), ['instance:1']);
    assert.deepEqual(indexes(all), ['instance:1', 'instance:2']);
    assert.equal(h.stats().watchers, 2);
  });

  it('resume replays exactly the events after `since`, then live ones, none twice', () => {
    const h = hub();
    for (let i = 0; i < 5; i++) h.publish(instanceEvent('web'));
    const c = watch(h, { resume: true, since: 3 });
    h.publish(instanceEvent('web'));
    assert.deepEqual(indexes(c), ['instance:4', 'instance:5', 'instance:6']);
  });

  it('without follow: the replay (and snapshot) then the end', () => {
    const h = hub();
    h.publish(instanceEvent('web'));
    const c = watch(h, { resume: true, since: 0, follow: false, snapshot: true });
    assert.deepEqual(indexes(c), ['instance:1', 'snapshot:1']);
    assert.equal(c.writableEnded, true);
    assert.equal(h.stats().watchers, 0);
  });

  it('since older than the ring holds: a behind notice and a snapshot, then live', () => {
    const h = hub(3);
    for (let i = 0; i < 10; i++) h.publish(instanceEvent('web'));
    const c = watch(h, { resume: true, since: 2 });
    h.publish(instanceEvent('web'));
    assert.deepEqual(indexes(c), ['notice:10', 'snapshot:10', 'instance:11']);
    assert.equal(c.sent[0]?.notice?.reason, 'behind');
    assert.deepEqual([c.sent[0]?.notice?.oldest, c.sent[0]?.notice?.newest], [8, 10]);
    assert.equal(c.sent[1]?.snapshot?.more, false);
  });

  it('since above the newest (the master restarted): an unknown_index notice and a snapshot', () => {
    const h = hub();
    h.publish(instanceEvent('web'));
    const c = watch(h, { resume: true, since: 500 });
    assert.deepEqual(indexes(c), ['notice:1', 'snapshot:1']);
    assert.equal(c.sent[0]?.notice?.reason, 'unknown_index');
    assert.match(c.sent[0]?.notice?.message ?? '', /500/);
  });

  it('an index of another epoch (a restarted master numbering from 1 again) is unknown, even below the newest', () => {
    const h = hub();
    for (let i = 0; i < 5; i++) h.publish(instanceEvent('web'));
    const same = watch(h, { resume: true, since: 3, epoch: h.epoch });
    assert.deepEqual(indexes(same), ['instance:4', 'instance:5']);
    assert.ok(
      same.sent.every((e) => e.epoch === h.epoch),
      'every event carries the epoch',
    );
    const other = watch(h, { resume: true, since: 3, epoch: 'an-earlier-master' });
    assert.deepEqual(indexes(other), ['notice:5', 'snapshot:5']);
    assert.equal(other.sent[0]?.notice?.reason, 'unknown_index');
    assert.match(
      other.sent[0]?.notice?.message ?? '',
      /the master restarted: index 3 is from its previous life/,
    );
    assert.equal(other.sent[1]?.epoch, h.epoch);
  });

  it('a snapshot comes in parts of bounded size, more on all but the last, narrowed by the filters', () => {
    const instances = Array.from({ length: 1203 }, (_, i) =>
      view(i % 3 === 0 ? 'db' : 'web', `edge-${i % 2}`),
    );
    const all = snapshotParts(
      { agents: [], instances, rollouts: [] },
      compileWatchFilter(request()),
      7,
      'now',
    );
    assert.deepEqual(
      all.map((p) => [p.index, p.snapshot?.instances?.length, p.snapshot?.more]),
      [
        [7, 500, true],
        [7, 500, true],
        [7, 203, false],
      ],
    );
    const narrowed = snapshotParts(
      { agents: [{ id: 'edge-0' }, { id: 'edge-1' }], instances, rollouts: [] },
      compileWatchFilter(request({ handlers: ['db'], agents: ['edge-0'] })),
      7,
      'now',
    );
    assert.equal(narrowed.length, 1);
    assert.deepEqual(
      narrowed[0]?.snapshot?.agents?.map((a) => a.id),
      ['edge-0'],
    );
    assert.ok(
      narrowed[0]?.snapshot?.instances?.every((i) => i.status?.handler === 'db' && i.agent === 'edge-0'),
    );
    assert.equal(narrowed[0]?.snapshot?.instances?.length, instances.filter((_, i) => i % 6 === 0).length);
  });

  it('metrics samples: at most one per agent per interval per watcher, narrowed by the handler filter, not kept', () => {
    const h = hub();
    const every = watch(h, { kinds: ['metrics'] });
    const slow = watch(h, { metrics_interval_ms: 1000, handlers: ['web'] });
    const none = watch(h);
    const sample = (agent: string) =>
      h.broadcast({
        kind: 'metrics',
        at: 'now',
        handler: '',
        agent,
        metrics: { instances: [{ handler: 'web' }, { handler: 'db' }] },
      });
    sample('edge-1');
    sample('edge-2');
    nowMs += 500;
    sample('edge-1');
    nowMs += 600;
    sample('edge-1');
    assert.equal(every.sent.length, 4);
    assert.deepEqual(
      slow.sent.map((e) => e.agent),
      ['edge-1', 'edge-2', 'edge-1'],
    );
    assert.ok(
      slow.sent.every((e) => e.metrics?.instances?.length === 1 && e.metrics.instances[0]?.handler === 'web'),
    );
    assert.equal(none.sent.length, 0, 'opt-in');
    assert.equal(h.ring.newest, 0, 'metrics are not kept');
  });

  it('a watcher whose buffer overflows is dropped with one notice and removed; the others go on', () => {
    const h = new WatchHub({
      ringSize: 100,
      bufferSize: 3,
      snapshot: () => ({ agents: [], instances: [], rollouts: [] }),
    });
    const stuck = new FakeCall();
    stuck.cork(); // nothing leaves: write() says wait after grpc-js's 16
    h.watch(stuck.asCall, compileWatchFilter(request()));
    const fine = watch(h);
    for (let i = 0; i < 30; i++) h.publish(instanceEvent('web'));
    assert.equal(h.stats().watchers, 1);
    assert.equal(fine.sent.length, 30);
    stuck.uncork();
    assert.equal(stuck.sent.at(-1)?.notice?.reason, 'dropped');
    // Its index is the last kept one it was sent (resuming from it misses nothing), not the newest.
    assert.deepEqual(
      stuck.sent.map((e) => e.index),
      [...Array.from({ length: 16 }, (_, i) => i + 1), 16],
    );
    assert.equal(stuck.sent.filter((e) => e.kind === 'notice').length, 1);
    assert.equal(stuck.writableEnded, true);
  });

  it('close ends every stream and refuses new ones', () => {
    const h = hub();
    const c = watch(h);
    h.close();
    assert.equal(h.stats().watchers, 0);
    assert.equal(c.writableEnded, true);
    assert.equal(c.status?.code, 14, 'UNAVAILABLE: followers watch again');
    const late = watch(h);
    assert.equal(late.writableEnded, true);
    assert.equal(h.stats().watchers, 0);
  });
});
