/**
 * How a stop waits for its group to empty (agent/instance/stop.ts): where nothing tells when the cgroup
 * empties (v1, process groups only) the polls start quick and grow with the stop's time, so an emptied
 * group is seen at most a quarter of that time late (at most `pollMs`); where v2 `cgroup.events` wakes the
 * wait, the poll stays at `pollMs`.
 */
import assert from 'node:assert/strict';
import type { Handle, ProcessBackend } from '../../agent/process/backend.js';
import { pollDelay, QUICK_POLL_MS, stopGroup } from '../../agent/instance/stop.js';
import { cgroupOnlyHandle } from '../../agent/process/cgroup-tracking.js';
import type { Clock } from '../../shared/clock.js';

const HANDLE: Handle = {
  pid: 100,
  pgid: 100,
  start_time: '1',
  cmdline_hash: '',
  spawned_at: 0,
  stdout_log: '',
  stderr_log: '',
  exit_file: '',
  spec_hash: '',
  cgroup: '/sys/fs/cgroup/pids/governor/x/web',
};

/** A clock whose time moves only by the delays it is asked to wait (each fires on the next turn). */
class StepClock implements Clock {
  t = 0;
  readonly delays: number[] = [];
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): { cancel(): void } {
    this.delays.push(ms);
    const timer = setImmediate(() => {
      this.t += ms;
      fn();
    });
    return { cancel: () => clearImmediate(timer) };
  }
}

/** A group whose cgroup stays populated until the clock reaches `emptyAt`; `watch`: v2's wake-up. */
function backendEmptyAt(clock: StepClock, emptyAt: number, watch: boolean): ProcessBackend {
  return {
    isRunning: () => false,
    cgroupPopulated: () => clock.now() < emptyAt,
    groupAlive: () => false,
    groupOwned: () => true,
    signalGroup: () => true,
    signalCgroup: () => 1,
    readExit: () => ({ code: null, signal: 'SIGTERM' }),
    ...(watch ? { watchCgroup: () => () => {} } : {}),
  } as unknown as ProcessBackend;
}

function stopOptions(backend: ProcessBackend, clock: Clock) {
  return {
    backend,
    clock,
    signal: 'SIGTERM' as const,
    timeoutMs: 5_000,
    pollMs: 20,
    cancelled: () => false,
    note: () => {},
  };
}

describe('stop: the wait for an empty group', () => {
  it('polls a quarter of the time since the signal, at least QUICK_POLL_MS, at most pollMs', () => {
    assert.equal(pollDelay(0, 20), QUICK_POLL_MS);
    assert.equal(pollDelay(7, 20), QUICK_POLL_MS);
    assert.equal(pollDelay(40, 20), 10);
    assert.equal(pollDelay(79, 20), 19);
    assert.equal(pollDelay(10_000, 20), 20);
    assert.equal(pollDelay(0, 1), 1, 'never longer than pollMs');
  });

  it('without a wake-up (v1), a group that empties 41 ms after the signal is seen within a quarter of that', async () => {
    const clock = new StepClock();
    const res = await stopGroup(HANDLE, stopOptions(backendEmptyAt(clock, 41, false), clock));
    assert.equal(res.kind, 'exited');
    assert.ok(
      clock.t >= 41 && clock.t <= 41 + 41 / 4,
      `seen at ${clock.t} ms (delays ${clock.delays.join(', ')})`,
    );
    assert.ok(clock.delays.every((d) => d >= QUICK_POLL_MS && d <= 20));
  });

  it('a group that takes seconds to stop is polled at pollMs, not more often', async () => {
    const clock = new StepClock();
    await stopGroup(HANDLE, stopOptions(backendEmptyAt(clock, 2_000, false), clock));
    const late = clock.delays.slice(-10);
    assert.deepEqual(late, Array(10).fill(20));
    assert.ok(clock.delays.length < 2_000 / 20 + 20, `${clock.delays.length} polls`);
  });

  it('with a wake-up from cgroup.events (v2), the poll stays at pollMs', async () => {
    const clock = new StepClock();
    await stopGroup(HANDLE, stopOptions(backendEmptyAt(clock, 100, true), clock));
    assert.ok(clock.delays.length > 0 && clock.delays.every((d) => d === 20), clock.delays.join(', '));
  });
});

describe('stop: stop_timeout is kept whatever the wall clock does', () => {
  /** A StepClock with a monotonic time; its wall time is stepped by `stepMs` once the stop has run `atMs`. */
  class SteppedWall extends StepClock {
    mono = 0;
    constructor(
      readonly atMs: number,
      readonly stepMs: number,
    ) {
      super();
      this.t = 1_000_000;
    }
    monotonic(): number {
      return this.mono;
    }
    override after(ms: number, fn: () => void): { cancel(): void } {
      return super.after(ms, () => {
        const before = this.mono;
        this.mono += ms;
        if (before < this.atMs && this.mono >= this.atMs) this.t += this.stepMs;
        fn();
      });
    }
  }

  /** A group that ignores SIGTERM (empties `afterKillMs` after SIGKILL) or empties by itself at `emptyAtMs`. */
  function group(clock: SteppedWall, emptyAtMs = Infinity) {
    let killedAt: number | null = null;
    const backend = {
      isRunning: () => false,
      cgroupPopulated: () => clock.mono < emptyAtMs && (killedAt === null || clock.mono < killedAt + 50),
      groupAlive: () => false,
      groupOwned: () => true,
      signalGroup: (_h: Handle, sig: string) => {
        if (sig === 'SIGKILL') killedAt ??= clock.mono;
        return true;
      },
      signalCgroup: () => 1,
      readExit: () => null,
    } as unknown as ProcessBackend;
    return { backend, killedAt: () => killedAt };
  }

  it('a step back of the wall clock during the stop does not put SIGKILL off', async () => {
    const clock = new SteppedWall(500, -60_000);
    const { backend, killedAt } = group(clock);
    await stopGroup(HANDLE, stopOptions(backend, clock));
    const at = killedAt()!;
    assert.ok(at >= 5_000 && at < 5_100, `SIGKILL ${at} ms after the signal (stop_timeout 5000)`);
  });

  it('a step forward does not bring SIGKILL on a handler still shutting down within stop_timeout', async () => {
    const clock = new SteppedWall(500, 60_000);
    const { backend, killedAt } = group(clock, 3_000);
    const res = await stopGroup(HANDLE, stopOptions(backend, clock));
    assert.equal(res.kind, 'exited');
    assert.equal(killedAt(), null, 'no SIGKILL');
  });
});

describe('stop: one an agent restart interrupted, resumed by the next agent', () => {
  /** A group that empties `afterKillMs` after its first SIGKILL; every signal sent is recorded. */
  function killedLate(clock: StepClock, afterKillMs: number) {
    const sent: string[] = [];
    let killedAt: number | null = null;
    const backend = {
      isRunning: () => false,
      cgroupPopulated: () => killedAt === null || clock.now() < killedAt + afterKillMs,
      groupAlive: () => false,
      groupOwned: () => true,
      signalGroup: (_h: Handle, sig: string) => {
        sent.push(sig);
        if (sig === 'SIGKILL') killedAt ??= clock.now();
        return true;
      },
      signalCgroup: () => 1,
      readExit: () => null,
    } as unknown as ProcessBackend;
    return { backend, sent, killedAt: () => killedAt };
  }

  it('its stop signal is not sent again, and SIGKILL comes at the first signal + stop_timeout', async () => {
    const clock = new StepClock();
    clock.t = 10_000;
    const { backend, sent, killedAt } = killedLate(clock, 50);
    const res = await stopGroup(HANDLE, { ...stopOptions(backend, clock), signalledAt: 7_000 });
    assert.equal(res.kind, 'exited');
    assert.ok(!sent.includes('SIGTERM'), `no second SIGTERM: ${sent.join(', ')}`);
    const at = killedAt()!;
    assert.ok(at >= 12_000 && at < 12_100, `killed at ${at} (first signal 7000 + stop_timeout 5000)`);
  });

  it('resumed long after its deadline, it still gets the whole kill deadline after its own SIGKILL (never "stuck" at once)', async () => {
    const clock = new StepClock();
    clock.t = 100_000;
    const { backend } = killedLate(clock, 300);
    const res = await stopGroup(HANDLE, { ...stopOptions(backend, clock), signalledAt: 1_000 });
    assert.equal(res.kind, 'exited', JSON.stringify(res));
  });
});

describe('stop: what its events name', () => {
  /** A held daemon group (stray-shims.ts heldGroups): no shim and no process group, PID and PGID 0. */
  const HELD: Handle = { ...cgroupOnlyHandle('/sys/fs/cgroup/governor/x/db'), main_pid: 4242 };

  /**
   * Its cgroup emptied before the signal went, while the process group number is not provably the
   * handle's yet has live members (a reused PGID; for PGID 0, the kernel's threads and processes whose
   * group leader is outside the PID namespace).
   */
  const emptiedBeforeTheSignal = {
    isRunning: () => false,
    cgroupPopulated: () => false,
    groupAlive: () => true,
    groupOwned: () => false,
    readExit: () => null,
  } as unknown as ProcessBackend;

  async function notesOf(h: Handle, backend: ProcessBackend): Promise<string[]> {
    const notes: string[] = [];
    const clock = new StepClock();
    await stopGroup(h, { ...stopOptions(backend, clock), note: (_t, m) => notes.push(m) });
    return notes;
  }

  it('a signal not sent to a held daemon group names its cgroup and daemon, never "pid 0" or "group 0"', async () => {
    const [note, ...rest] = await notesOf(HELD, emptiedBeforeTheSignal);
    assert.deepEqual(rest, []);
    assert.equal(
      note,
      'NOT_SIGNALLED cgroup /sys/fs/cgroup/governor/x/db has no process left (a held group with no shim ' +
        'of its own, daemon pid 4242); SIGTERM not sent',
    );
  });

  it("a held daemon group's SIGKILL after stop_timeout names its cgroup, not group 0", async () => {
    let killed = false;
    const backend = {
      ...emptiedBeforeTheSignal,
      cgroupPopulated: () => !killed,
      signalGroup: () => false,
      signalCgroup: (_h: Handle, sig: string) => {
        if (sig === 'SIGKILL') killed = true;
        return 1;
      },
    } as unknown as ProcessBackend;
    const notes = await notesOf(HELD, backend);
    assert.deepEqual(notes, ['KILLED SIGKILL to cgroup /sys/fs/cgroup/governor/x/db after stop_timeout 5s']);
  });

  it("a shim's group whose PID is gone or reused is still named by its pid and group", async () => {
    assert.deepEqual(await notesOf(HANDLE, emptiedBeforeTheSignal), [
      'NOT_SIGNALLED pid 100 is gone or no longer the recorded process; SIGTERM not sent to group 100',
    ]);
  });
});
