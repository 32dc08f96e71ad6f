/**
 * `gov top` on a fake terminal: refuses without one (nothing drawn), draws the fleet in the alternate
 * screen, sorts on a key, shows `reconnecting…` while the watch is lost, and restores the terminal when
 * it quits (q, Ctrl-C, an interrupt) — also when the watch is refused.
 */
import assert from 'node:assert/strict';
import { ENTER_SCREEN, LEAVE_SCREEN, topCommand, type Terminal } from '../../master/cli/top.js';
import { GovError } from '../../shared/errors.js';
import { waitFor } from '../helpers/common.js';
import { captureIO, FakeAdmin, instance, instanceEvent, watchEvent, type CapturedIO } from './fake-admin.js';

class FakeTerminal implements Terminal {
  output = '';
  raw = false;
  columns = 100;
  rows = 30;
  private input: ((d: string) => void) | null = null;
  private resize: (() => void) | null = null;
  constructor(readonly isTTY = true) {}
  /** Thrown by size() when set (an error while drawing). */
  sizeError: Error | null = null;
  size() {
    if (this.sizeError) throw this.sizeError;
    return { columns: this.columns, rows: this.rows };
  }
  write(text: string) {
    this.output += text;
  }
  rawMode(on: boolean) {
    this.raw = on;
  }
  onInput(fn: (d: string) => void) {
    this.input = fn;
    return () => (this.input = null);
  }
  onResize(fn: () => void) {
    this.resize = fn;
    return () => (this.resize = null);
  }
  type(keys: string) {
    this.input?.(keys);
  }
  resized(columns: number, rows: number) {
    this.columns = columns;
    this.rows = rows;
    this.resize?.();
  }
  /** The text of the last frame drawn. */
  get screen(): string {
    const frames = this.output.split('\x1b[H');
    // eslint-disable-next-line no-control-regex
    return (frames[frames.length - 1] ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  }
}

function start(fake: FakeAdmin, term: FakeTerminal, io: CapturedIO = captureIO(), args: string[] = []) {
  return topCommand(
    fake.connect,
    () => term,
    () => Date.parse('2025-01-01T12:00:05Z'),
  ).run(args, io);
}

describe('gov top', () => {
  it('refuses without a terminal, or with --json (exit 2), drawing nothing and connecting nowhere', async () => {
    const fake = new FakeAdmin();
    const term = new FakeTerminal(false);
    const io = captureIO();
    assert.equal(await start(fake, term, io), 2);
    assert.match(io.stderr, /gov top needs a terminal .*use gov events -f, gov ps or gov metrics/);
    assert.equal(term.output, '');
    assert.deepEqual(fake.calls, []);
    const json = captureIO();
    assert.equal(await start(fake, new FakeTerminal(), json, ['--json']), 2);
    assert.match(json.stderr, /gov top draws a live view; for JSON use gov events -f --json/);
    assert.deepEqual(fake.calls, []);
  });

  it('draws the instances and the last executions, sorts on a key, redraws on resize, and q restores the terminal (exit 0)', async () => {
    const fake = new FakeAdmin();
    fake.watchEvents = [instanceEvent({ index: 1, key: 'api#2', agent: 'edge-2' })];
    const term = new FakeTerminal();
    const running = start(fake, term);
    await waitFor(() => term.screen.includes('api#2@edge-2'), { what: 'the watched instance on screen' });
    assert.ok(term.output.startsWith(ENTER_SCREEN));
    assert.equal(term.raw, true);
    assert.match(term.screen, /web@edge-1 +running/, 'the figures of the first GetMetrics');
    assert.match(term.screen, /sort cpu/);
    assert.match(
      term.screen,
      /LAST EXECUTIONS\s+11:59:58\.000 {2}restart web@edge-1 success/,
      'the executions listed first',
    );
    term.type('m');
    assert.match(term.screen, /sort mem/);
    term.resized(40, 12);
    assert.ok(term.screen.split('\r\n').every((l) => l.length <= 40));
    assert.deepEqual(fake.calls.slice(0, 3), [
      ['getMetrics', {}],
      ['listExecutions', { limit: 50 }],
      [
        'watch',
        {
          resume: false,
          since: 0,
          snapshot: true,
          follow: true,
          handlers: [],
          agents: [],
          kinds: ['instance', 'health', 'execution', 'agent', 'metrics'],
          metrics_interval_ms: 2000,
        },
      ],
    ]);
    term.type('q');
    assert.equal(await running, 0);
    assert.ok(term.output.endsWith(LEAVE_SCREEN), 'leaves the alternate screen and shows the cursor last');
    assert.equal(term.raw, false);
    assert.equal(fake.openWatchCount, 0);
  });

  it('shows reconnecting… while the master is away, and Ctrl-C quits', async () => {
    const fake = new FakeAdmin();
    const term = new FakeTerminal();
    const running = start(fake, term, captureIO(), ['--interval', '500ms']);
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => term.screen.includes('reconnecting…'), { what: 'reconnecting on screen' });
    term.type('\x03');
    assert.equal(await running, 0);
    assert.ok(term.output.endsWith(LEAVE_SCREEN));
    const watch = fake.calls.find((c) => c[0] === 'watch')!;
    assert.equal((watch[1] as { metrics_interval_ms: number }).metrics_interval_ms, 500);
  });

  it('a notice stays on screen when the watch is lost and found again later (reconnecting is shown apart)', async () => {
    const fake = new FakeAdmin();
    const term = new FakeTerminal();
    const running = start(fake, term, captureIO(), ['--interval', '500ms']);
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    fake.pushWatch(
      watchEvent({
        index: 3,
        kind: 'notice',
        handler: '',
        agent: '',
        notice: { reason: 'unknown_index', message: 'the master restarted', oldest: 1, newest: 3 },
      }),
    );
    await waitFor(() => term.screen.includes('the master restarted'), { what: 'the notice on screen' });
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => term.screen.includes('reconnecting…'), { what: 'reconnecting on screen' });
    assert.match(term.screen, /the master restarted/);
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open again', timeoutMs: 10_000 });
    fake.pushWatch(instanceEvent({ index: 4 }));
    await waitFor(() => !term.screen.includes('reconnecting…'), { what: 'reconnecting gone' });
    assert.match(term.screen, /the master restarted/, 'the last notice is still shown');
    term.type('q');
    assert.equal(await running, 0);
  });

  it('a snapshot cut by a lost watch is dropped: only the whole one sent again is shown', async () => {
    const fake = new FakeAdmin();
    const term = new FakeTerminal();
    const running = start(fake, term);
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    const part = (key: string, more: boolean) => {
      const base = instance({ agent: 'edge-9' });
      const info = { ...base, status: { ...base.status!, handler: key.split('#')[0]!, instance: key } };
      return watchEvent({
        index: 7,
        kind: 'snapshot',
        handler: '',
        agent: '',
        body: 'snapshot',
        snapshot: { agents: [], instances: [info], rollouts: [], more },
      });
    };
    fake.pushWatch(part('gone#1', true));
    fake.failWatches(new GovError('UNAVAILABLE', 'master 127.0.0.1:1 is unreachable'));
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open again', timeoutMs: 10_000 });
    fake.pushWatch(part('kept#1', false));
    await waitFor(() => term.screen.includes('kept#1@edge-9'), { what: 'the new snapshot on screen' });
    assert.ok(!term.screen.includes('gone#1'), term.screen);
    term.type('q');
    assert.equal(await running, 0);
  });

  it('a refused watch ends it with the error (exit 1), the terminal restored first', async () => {
    const fake = new FakeAdmin();
    const term = new FakeTerminal();
    const io = captureIO();
    const running = start(fake, term, io);
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    fake.failWatches(new GovError('PERMISSION_DENIED', 'not allowed'));
    assert.equal(await running, 1);
    assert.ok(term.output.endsWith(LEAVE_SCREEN));
    assert.equal(term.raw, false);
    assert.match(io.stderr, /not allowed/);
  });

  it('an error while drawing ends it (exit 1, the error on stderr) with the terminal restored', async () => {
    const fake = new FakeAdmin();
    const term = new FakeTerminal();
    const io = captureIO();
    const running = start(fake, term, io);
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    term.sizeError = new Error('the terminal went away');
    term.resized(80, 24);
    assert.equal(await running, 1);
    assert.match(io.stderr, /the terminal went away/);
    assert.ok(term.output.endsWith(LEAVE_SCREEN));
    assert.equal(term.raw, false);
    assert.equal(fake.openWatchCount, 0);
  });

  it('an interrupt (SIGTERM) quits too', async () => {
    let interrupt!: () => void;
    const io = captureIO({ interrupted: new Promise<void>((r) => (interrupt = r)) });
    const term = new FakeTerminal();
    const fake = new FakeAdmin();
    const running = start(fake, term, io);
    await waitFor(() => fake.openWatchCount === 1, { what: 'the watch to open' });
    interrupt();
    assert.equal(await running, 0);
    assert.ok(term.output.endsWith(LEAVE_SCREEN));
  });
});
