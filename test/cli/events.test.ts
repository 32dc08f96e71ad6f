/**
 * `gov events`: the watch it asks for (targets, kinds, --since, --metrics), its lines and its NDJSON, the
 * refusal of an unknown kind before anything connects, following until interrupted, and the event line
 * formatter.
 */
import assert from 'node:assert/strict';
import { eventLine, eventSummary, executionSummary } from '../../master/cli/event-line.js';
import type { WatchRequest } from '../../master/cli/admin-client.js';
import { GovError } from '../../shared/errors.js';
import { waitFor } from '../helpers/common.js';
import { captureIO, execution, FakeAdmin, instanceEvent, runGov as gov, watchEvent } from './fake-admin.js';
import { main } from '../../master/cli/gov-program.js';

const ALL: WatchRequest = {
  resume: true,
  since: 0,
  snapshot: false,
  follow: false,
  handlers: [],
  agents: [],
  kinds: [],
  metrics_interval_ms: 0,
};

function withEvents(...events: ReturnType<typeof watchEvent>[]): FakeAdmin {
  const fake = new FakeAdmin();
  fake.watchEvents = events;
  return fake;
}

const restart = watchEvent({
  index: 43,
  kind: 'execution',
  body: 'execution',
  execution: execution({ kind: 'restart', status: 'success', duration_ms: 120, result: '' }),
});

describe('gov events: event lines', () => {
  it('an instance change reads INDEX  TIME  KIND  instance@agent  state pid (was state)', () => {
    const e = instanceEvent({ index: 42, key: 'web#1', state: 'running', pid: 4321, previous: 'starting' });
    assert.equal(eventLine(e), '42  12:00:01.123  instance  web#1@edge-1  running pid 4321 (was starting)');
  });

  it('an execution reads kind target status duration by whom', () => {
    assert.equal(eventSummary(restart), 'restart web@edge-1 success 120 ms by admin');
    assert.equal(
      executionSummary(execution({ status: 'error', error: 'agent edge-1 is disconnected' })),
      'restart web@edge-1 error 120 ms by admin: agent edge-1 is disconnected',
    );
  });

  it('a removed instance, a pid change, a health change and an agent say what changed', () => {
    assert.equal(
      eventSummary(instanceEvent({ removed: true, previous: 'running' })),
      'removed (was running)',
    );
    assert.equal(
      eventSummary(instanceEvent({ pid: 5, previousPid: 4, previous: 'running' })),
      'running pid 5 (was pid 4)',
    );
    const health = instanceEvent({ kind: 'health', health: 'unhealthy' });
    health.instance!.instance!.status!.health_reason = 'http 503';
    health.instance!.previous_health = 'healthy';
    assert.equal(eventSummary(health), 'unhealthy: http 503 (was healthy)');
    const agentEvent = watchEvent({
      kind: 'agent',
      handler: '',
      body: 'agent_info',
      agent_info: {
        id: 'edge-1',
        connected: false,
        hostname: 'h1',
        labels: {},
        version: '',
        last_seen: '',
        revoked: false,
        host: null,
        reported_labels: {},
        tracking: '',
      },
    });
    assert.equal(eventLine(agentEvent), '1  12:00:01.123  agent  edge-1  disconnected (h1)');
  });

  it('text from handlers cannot break a line or reach the terminal as escapes', () => {
    const line = eventSummary(
      watchEvent({
        kind: 'execution',
        body: 'execution',
        execution: execution({ status: 'error', error: 'bad\nline\x1b[2J' }),
      }),
    );
    assert.ok(!line.includes('\n') && !line.includes('\x1b'), JSON.stringify(line));
    assert.match(line, /bad line \[2J/);
  });

  it('no text an agent reports reaches the terminal as escapes: state, temperature, instance and agent names', () => {
    const e = instanceEvent({ key: 'web#1\x1b]0;owned\x07', agent: 'edge\x9b2J', state: 'running\x1b[2J' });
    e.instance!.instance!.status!.temperature = 'hot\r\x1b[1A';
    e.instance!.previous_state = 'starting\n';
    const line = eventLine(e);
    // eslint-disable-next-line no-control-regex
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(line), JSON.stringify(line));
  });
});

describe('gov events', () => {
  it('without -f prints every kept event (resume from 0, no follow) and exits 0', async () => {
    const first = instanceEvent({ index: 42, previous: 'starting' });
    const { code, io, fake } = await gov(['events'], withEvents(first, restart));
    assert.equal(code, 0, io.stderr);
    assert.deepEqual(fake.calls, [['watch', ALL]]);
    assert.deepEqual(io.stdout.trimEnd().split('\n'), [eventLine(first), eventLine(restart)]);
    assert.equal(io.stderr, '');
  });

  it('--json prints one JSON object per line, the events as received, notices included', async () => {
    const notice = watchEvent({
      index: 3,
      kind: 'notice',
      handler: '',
      agent: '',
      body: 'notice',
      notice: { reason: 'behind', message: 'index 1 is no longer kept', oldest: 2, newest: 3 },
    });
    const events = [notice, instanceEvent({ index: 3 }), restart];
    const { code, io } = await gov(['events', '--json', '--since', '1'], withEvents(...events));
    assert.equal(code, 0, io.stderr);
    const lines = io.stdout.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      JSON.parse(JSON.stringify(events)),
    );
    assert.match(
      io.stderr,
      /events were missed \(the master no longer keeps them\); a snapshot of the current state follows/,
    );
  });

  it('asks the master for the targets, kinds, agents and metrics given', async () => {
    const cases: Array<[string[], Partial<WatchRequest>]> = [
      [['web', 'api@edge-2'], { handlers: ['web', 'api'], agents: [] }],
      [['web@edge-1', 'api@edge-2'], { handlers: ['web', 'api'], agents: ['edge-1', 'edge-2'] }],
      [['--agent', 'edge-3'], { agents: ['edge-3'] }],
      [
        ['--kind', 'execution', '--kind', 'health', '--since', '7'],
        { kinds: ['execution', 'health'], since: 7 },
      ],
      [
        ['--metrics'],
        { kinds: ['instance', 'health', 'execution', 'rollout', 'agent', 'policy', 'metrics'] },
      ],
      [['--metrics=5s', '--kind', 'agent'], { kinds: ['agent', 'metrics'], metrics_interval_ms: 5000 }],
    ];
    for (const [argv, want] of cases) {
      const { code, io, fake } = await gov(['events', ...argv], withEvents());
      assert.equal(code, 0, `${argv.join(' ')}: ${io.stderr}`);
      assert.deepEqual(fake.calls, [['watch', { ...ALL, ...want }]], argv.join(' '));
    }
  });

  it('an instance on one agent shows only its own events (the master filters handlers × agents)', async () => {
    const events = [
      instanceEvent({ index: 1, key: 'web', agent: 'edge-1' }),
      instanceEvent({ index: 2, key: 'web', agent: 'edge-2' }),
      instanceEvent({ index: 3, key: 'api', agent: 'edge-2' }),
      instanceEvent({ index: 4, key: 'api', agent: 'edge-1' }),
      instanceEvent({ index: 5, key: 'web#1', agent: 'edge-1' }),
    ];
    const { io } = await gov(['events', 'web#0@edge-1', 'api@edge-2', '--json'], withEvents(...events));
    assert.deepEqual(
      io.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { index: number }).index),
      [1, 3],
    );
  });

  it('an unknown --kind, a bad --since or --metrics are refused (exit 2) before anything connects', async () => {
    for (const [argv, message] of [
      [
        ['--kind', 'nope'],
        /--kind "nope" is not a kind of event \(kinds: instance, health, execution, rollout, agent, policy, metrics\)/,
      ],
      [['--since', '-1'], /--since "-1" must be an event index/],
      [['--metrics=soon'], /--metrics "soon"/],
      [['web@'], /target "web@"/],
    ] as const) {
      const { code, io, fake } = await gov(['events', ...argv]);
      assert.equal(code, 2, argv.join(' '));
      assert.match(io.stderr, message);
      assert.deepEqual(fake.calls, []);
    }
  });

  it('-f prints live events until interrupted, then exits 0', async () => {
    let interrupt!: () => void;
    const io = captureIO({ interrupted: new Promise<void>((r) => (interrupt = r)) });
    const fake = withEvents(instanceEvent({ index: 1 }));
    const running = main(['events', '-f', '--json'], io, { connect: fake.connect });
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    fake.pushWatch(instanceEvent({ index: 2, state: 'stopped', pid: 0 }));
    interrupt();
    assert.equal(await running, 0, io.stderr);
    assert.deepEqual(
      io.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { index: number }).index),
      [1, 2],
    );
    assert.deepEqual(fake.calls[0], ['watch', { ...ALL, follow: true }]);
    assert.equal(fake.openWatchCount, 0, 'the watch was cancelled');
    assert.equal(fake.closed, 1);
  });

  it('-f watches again from the last index after a lost connection, saying so on stderr', async () => {
    let interrupt!: () => void;
    const io = captureIO({ interrupted: new Promise<void>((r) => (interrupt = r)) });
    const fake = withEvents();
    const running = main(['events', '-f'], io, { connect: fake.connect });
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    fake.pushWatch(instanceEvent({ index: 9 }));
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open again', timeoutMs: 10_000 });
    interrupt();
    assert.equal(await running, 0, io.stderr);
    assert.match(io.stderr, /unreachable; watching again from index 9/);
    assert.deepEqual(fake.calls[1], ['watch', { ...ALL, follow: true, since: 9, epoch: 'e1' }]);
  });

  it('-f watching again after a watch lost in the middle of a snapshot asks for a whole snapshot again', async () => {
    let interrupt!: () => void;
    const io = captureIO({ interrupted: new Promise<void>((r) => (interrupt = r)) });
    const fake = withEvents();
    const running = main(['events', '-f', '--since', '5'], io, { connect: fake.connect });
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    const part = (more: boolean) =>
      watchEvent({
        index: 700,
        kind: 'snapshot',
        handler: '',
        agent: '',
        body: 'snapshot',
        snapshot: { agents: [], instances: [], rollouts: [], more },
      });
    // Index 5 is no longer kept: a notice, then a snapshot in parts, cut after its first.
    fake.pushWatch(
      watchEvent({
        index: 700,
        kind: 'notice',
        handler: '',
        agent: '',
        body: 'notice',
        notice: { reason: 'behind', message: 'index 5 is older', oldest: 200, newest: 700 },
      }),
    );
    fake.pushWatch(part(true));
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open again', timeoutMs: 10_000 });
    fake.pushWatch(part(false));
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => fake.calls.filter((c) => c[0] === 'watch').length === 3, {
      what: 'the third watch',
      timeoutMs: 10_000,
    });
    interrupt();
    assert.equal(await running, 0, io.stderr);
    assert.deepEqual(fake.calls[1], [
      'watch',
      { ...ALL, follow: true, since: 700, epoch: 'e1', snapshot: true },
    ]);
    // Once a snapshot came whole, watching again needs none.
    assert.deepEqual(fake.calls[2], [
      'watch',
      { ...ALL, follow: true, since: 700, epoch: 'e1', snapshot: false },
    ]);
  });

  it("-f after the master restarted (unknown_index) resumes from the new master's indexes, not the old one's", async () => {
    let interrupt!: () => void;
    const io = captureIO({ interrupted: new Promise<void>((r) => (interrupt = r)) });
    const fake = withEvents();
    const running = main(['events', '-f'], io, { connect: fake.connect });
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    fake.pushWatch(instanceEvent({ index: 900 }));
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open again', timeoutMs: 10_000 });
    // The restarted master numbers from 1 again: it says so, sends its snapshot (index 3), then event 4.
    fake.pushWatch(
      watchEvent({
        index: 3,
        kind: 'notice',
        handler: '',
        agent: '',
        body: 'notice',
        epoch: 'e2',
        notice: { reason: 'unknown_index', message: 'index 900 is above 3', oldest: 1, newest: 3 },
      }),
    );
    fake.pushWatch({ ...instanceEvent({ index: 4 }), epoch: 'e2' });
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => fake.calls.filter((c) => c[0] === 'watch').length === 3, {
      what: 'the third watch',
      timeoutMs: 10_000,
    });
    interrupt();
    assert.equal(await running, 0, io.stderr);
    // From 900 the new master would replay nothing once it passed 900 (events 5..900 lost) or snapshot again.
    assert.deepEqual(fake.calls[2], ['watch', { ...ALL, follow: true, since: 4, epoch: 'e2' }]);
  });
});
