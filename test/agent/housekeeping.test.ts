/**
 * The liveness poll lets an idle agent be idle: with every handler its own child (exits arrive as events)
 * it wakes only for the full check every FULL_CHECK_TICKS intervals; adopted instances and observed
 * processes are still polled every interval, and a state change brings the short interval back at once.
 */
import assert from 'node:assert/strict';
import { FULL_CHECK_TICKS, Housekeeping } from '../../agent/supervisor/housekeeping.js';
import type { InstanceRegistry } from '../../agent/supervisor/instance-registry.js';
import type { ObservedSet } from '../../agent/observed/observed.js';
import { silentLogger } from '../../shared/logger.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Long enough that the fake clock's timers never fire on their own during a test. */
const POLL_MS = 60_000;

class FakeInstance {
  checks = 0;
  constructor(
    public owned: boolean,
    public handle: object | null = { pid: 1 },
    public name = 'web',
  ) {}
  checkGone(): void {
    this.checks++;
  }
}

function setup(
  instances: FakeInstance[],
  observedPids: number[] = [],
  quiet: () => ((key: string) => boolean) | null = () => null,
) {
  const clock = new FakeClock();
  /** What the next sweeps report as left behind (busy groups). */
  const counts = { observedChecks: 0, sweeps: 0, kept: [] as string[][], left: 0 };
  const registry = { values: () => instances.values() } as unknown as InstanceRegistry;
  const observed = {
    check: () => counts.observedChecks++,
    observedPids: () => observedPids,
  } as unknown as ObservedSet;
  const cgroups = {
    sweep: (keep?: ReadonlySet<string>) => {
      counts.kept.push([...(keep ?? [])].sort());
      counts.sweeps++;
      return { removed: 0, left: counts.left };
    },
  };
  const hk = new Housekeeping({ clock, logger: silentLogger }, registry, observed, [cgroups], quiet);
  hk.startPoll(POLL_MS);
  /** Moves the clock one poll interval at a time (each advance fires what came due). */
  const run = (intervals: number): void => {
    for (let i = 0; i < intervals; i++) clock.advance(POLL_MS);
  };
  return { hk, counts, run };
}

describe('housekeeping: liveness poll', () => {
  it('a cgroup sweep leaves the groups of instances that have a process alone (only ended ones are tried)', () => {
    const insts = [
      new FakeInstance(true, { pid: 1 }, 'web'),
      new FakeInstance(true, null, 'old'),
      new FakeInstance(false, { pid: 2 }, 'api#1'),
    ];
    const { hk, counts, run } = setup(insts);
    try {
      run(1);
      assert.ok(counts.kept.length > 0, 'swept at start-up');
      assert.deepEqual(counts.kept.at(-1), ['api#1', 'web']);
    } finally {
      hk.stop();
    }
  });

  it('full checks sweep cgroups again only while an earlier sweep left a busy group behind', () => {
    const { hk, counts, run } = setup([new FakeInstance(true)]);
    try {
      run(1); // the start-up sweep: nothing left behind
      const after = counts.sweeps;
      run(3 * FULL_CHECK_TICKS);
      assert.equal(counts.sweeps, after, 'no sweep on full checks while nothing was left');
      counts.left = 1; // an instance ended, its processes are still exiting: its group refuses rmdir
      hk.noteState('stopped');
      run(1);
      assert.equal(counts.sweeps, after + 1, 'swept after the state change');
      run(2 * FULL_CHECK_TICKS);
      assert.equal(counts.sweeps, after + 3, 'the busy group is tried again on every full check');
      counts.left = 0;
      run(2 * FULL_CHECK_TICKS);
      assert.equal(counts.sweeps, after + 4, 'once it went, full checks stop sweeping');
    } finally {
      hk.stop();
    }
  });

  it('with only own children, polls once per full check (not every interval), checking each of them', () => {
    const own = [new FakeInstance(true), new FakeInstance(true)];
    const { hk, counts, run } = setup(own);
    try {
      run(1); // the first tick sweeps the cgroups left from start-up, then the long wait begins
      const before = counts.observedChecks;
      run(3 * FULL_CHECK_TICKS);
      assert.equal(counts.observedChecks - before, 3, 'one poll per full-check period');
      assert.ok(own.every((i) => i.checks >= 3));
    } finally {
      hk.stop();
    }
  });

  it('an adopted instance (no exit event) is polled every interval; own children every FULL_CHECK_TICKS-th', () => {
    const own = new FakeInstance(true);
    const adopted = new FakeInstance(false);
    const { hk, counts, run } = setup([own, adopted]);
    try {
      run(2 * FULL_CHECK_TICKS);
      assert.equal(counts.observedChecks, 2 * FULL_CHECK_TICKS);
      assert.equal(adopted.checks, 2 * FULL_CHECK_TICKS);
      assert.equal(own.checks, 2);
    } finally {
      hk.stop();
    }
  });

  it('observed processes keep the short interval; a state change during the long wait brings it back', () => {
    const pids: number[] = [];
    const { hk, counts, run } = setup([new FakeInstance(true)], pids);
    try {
      run(1);
      const before = counts.observedChecks;
      run(2); // long wait: nothing polled
      assert.equal(counts.observedChecks, before);
      pids.push(4242); // attached: the supervisor emits its state change
      hk.noteState('running');
      run(1);
      assert.equal(counts.observedChecks, before + 1, 'polled one interval after the change');
      run(5);
      assert.equal(counts.observedChecks, before + 6, 'every interval while a process is observed');
    } finally {
      hk.stop();
    }
  });

  it('the full check leaves out the instances that did not run since the previous one (their CPU counters stood still)', () => {
    const insts = [new FakeInstance(true, { pid: 1 }, 'idle'), new FakeInstance(true, { pid: 2 }, 'busy')];
    let still: ((key: string) => boolean) | null = null;
    const { hk, run } = setup(insts, [], () => still);
    try {
      run(FULL_CHECK_TICKS);
      assert.deepEqual(
        insts.map((i) => i.checks),
        [1, 1],
        'nothing known to be still: all checked',
      );
      still = (key) => key === 'idle';
      run(FULL_CHECK_TICKS);
      assert.deepEqual(
        insts.map((i) => i.checks),
        [1, 2],
        'the still one is left out',
      );
    } finally {
      hk.stop();
    }
  });
});
