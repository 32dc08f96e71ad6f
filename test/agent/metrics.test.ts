/**
 * CPU % and RSS of a busy handler; open fds stay bounded under spawn/exit churn with sampling. The figures
 * cover the handler's whole tree and nothing else: a re-parented grandchild and a forking daemon whose first
 * process exited are counted (its cgroup, or its process group), a stranger given the dead shim's PID is not.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Supervisor, type InstanceMetrics } from '../../agent/supervisor/supervisor.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, strangerAt, tempDir, trackPid, waitFor } from '../helpers/common.js';

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('metrics', function () {
  this.slow(10_000);
  let sup: Supervisor | null = null;
  afterEach(async () => {
    for (const s of sup?.status() ?? []) trackPid(s.pgid ?? undefined, true);
    await sup?.shutdown();
    sup = null;
  });

  it('a busy-loop handler reads near 100 % CPU with RSS > 0; fds return to a small bound after 300 spawn/exit cycles', async function () {
    this.timeout(60_000);
    sup = await Supervisor.create({ dataDir: tempDir(), metricsIntervalMs: 100, pollIntervalMs: 100 });
    const s = sup;
    await s.applySpecs([
      parseHandler({ name: 'busy', command: ['node', fixture('busy.mjs')], start_seconds: 0 }, 'h', 't'),
    ]);
    trackPid(s.status('busy')[0]?.pgid ?? undefined, true);
    const busy = await waitFor(
      async () => {
        const m = (await s.metrics()).find((x) => x.handler === 'busy');
        return m && m.cpu_percent > 70 ? m : null;
      },
      { intervalMs: 300, what: 'busy handler CPU near 100%' },
    );
    assert.ok(busy.cpu_percent < 210, `cpu ${busy.cpu_percent}% is one busy thread`);
    assert.ok(busy.memory_bytes > 1024 * 1024, `rss ${busy.memory_bytes}`);
    assert.ok(busy.processes >= 2, 'summed over the tree (shim + node)');
    assert.ok(busy.uptime_ms > 0);
    await s.stop('busy');

    await s.metrics();
    const baseline = openFds();
    await s.applySpecs([
      parseHandler({ name: 'churn', command: ['true'], start_seconds: 0, restart: 'always' }, 'h', 't'),
    ]);
    let samples = 0;
    const deadline = Date.now() + 40_000;
    while (s.status('churn')[0]!.restarts < 300) {
      assert.ok(Date.now() < deadline, `only ${s.status('churn')[0]!.restarts} restarts before the deadline`);
      await s.metrics();
      samples++;
      await new Promise((r) => setTimeout(r, 20));
    }
    await s.stop('churn');
    assert.ok(samples > 10, `sampled ${samples} times during the churn`);
    const peak = openFds();
    await waitFor(() => openFds() <= baseline + 5, {
      timeoutMs: 10_000,
      what: `open fds back near ${baseline} (peak ${peak}, now ${openFds()})`,
    });
  });

  const root = process.geteuid?.() === 0;
  const pageBytes = 4096;

  async function metricsOf(s: Supervisor, name: string): Promise<InstanceMetrics | undefined> {
    return (await s.metrics()).find((x) => x.handler === name);
  }

  function firstPid(file: string): number | null {
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    return /^\d+/.test(text) ? parseInt(text, 10) : null;
  }

  for (const tracking of ['cgroup', 'pgroup'] as const) {
    it(`a grandchild re-parented when its parent exited is in the handler's metrics (tracking: ${tracking})`, async function () {
      if (tracking === 'cgroup' && !root) this.skip();
      const pidFile = path.join(tempDir(), 'grandchild');
      sup = await Supervisor.create({
        dataDir: tempDir(),
        metricsIntervalMs: 100,
        pollIntervalMs: 100,
        ...(tracking === 'pgroup' ? { cgroupRoot: path.join(tempDir(), 'no-cgroups') } : {}),
      });
      const s = sup;
      assert.equal(s.tracking(), tracking);
      await s.applySpecs([
        parseHandler(
          {
            name: 'o',
            command: ['node', fixture('spawn-orphan.mjs')],
            env: { CHILD: fixture('busy.mjs'), CHILD_PID_FILE: pidFile },
            start_seconds: 0,
          },
          'h',
          't',
        ),
      ]);
      trackPid(s.status('o')[0]?.pgid ?? undefined, true);
      const grandchild = await waitFor(() => firstPid(pidFile), { what: 'the grandchild' });
      trackPid(grandchild);
      await waitFor(() => readProcStat(grandchild)?.ppid !== s.status('o')[0]?.pid, {
        what: 'the grandchild re-parented',
      });
      // Shim, main and the busy grandchild (its parent gone): the grandchild's CPU and memory are the handler's.
      const m = await waitFor(
        async () => {
          const x = await metricsOf(s, 'o');
          return x && x.processes === 3 && x.cpu_percent > 50 ? x : null;
        },
        { intervalMs: 300, what: 'the grandchild counted (3 processes, its CPU)' },
      );
      const rss = (readProcStat(grandchild)?.rssPages ?? 0) * pageBytes;
      assert.ok(m.memory_bytes > rss, `memory ${m.memory_bytes} includes the grandchild's ${rss}`);
      assert.equal((await s.stop('o')).state, 'stopped');
    });
  }

  /** What the daemon at 127.0.0.1:`port` answers. */
  function served(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      let text = '';
      const c = net.connect(port, '127.0.0.1');
      c.setEncoding('utf8');
      c.on('data', (d: string) => (text += d));
      c.on('end', () => resolve(text));
      c.on('error', reject);
    });
  }

  /** A `type: forking` daemon (its first process and the shim exited) under a supervisor; its pid. */
  async function forkingDaemon(): Promise<{ s: Supervisor; daemon: number; shim: number; port: number }> {
    const dir = tempDir();
    const info = path.join(dir, 'info');
    sup = await Supervisor.create({ dataDir: tempDir(), metricsIntervalMs: 100, pollIntervalMs: 50 });
    const s = sup;
    await s.applySpecs([
      parseHandler(
        {
          name: 'd',
          type: 'forking',
          command: ['node', fixture('daemonize.mjs')],
          env: { DAEMON_INFO: info },
          restart: 'never',
        },
        'h',
        't',
      ),
    ]);
    const [daemon, port] = (
      await waitFor(() => (existsSync(info) ? readFileSync(info, 'utf8').split('\n')[0] : null), {
        what: 'the daemon serving',
        timeoutMs: 30_000,
      })
    )
      .split(' ')
      .map(Number) as [number, number];
    trackPid(daemon);
    const st = await waitFor(
      () => {
        const x = s.status('d')[0];
        return x?.state === 'running' && x.pid === daemon ? x : null;
      },
      { what: 'd running with the daemon pid' },
    );
    const shim = st.shim_pid!;
    await waitFor(() => !isAlive(shim), { what: 'the shim to exit' });
    return { s, daemon, shim, port };
  }

  it('a type: forking daemon whose first process exited is measured: its memory, one process', async function () {
    if (!root) this.skip();
    const { s, daemon } = await forkingDaemon();
    const m = await metricsOf(s, 'd');
    assert.equal(m?.pid, daemon);
    assert.equal(m?.processes, 1, 'the daemon, in its cgroup');
    const rss = (readProcStat(daemon)?.rssPages ?? 0) * pageBytes;
    assert.ok((m?.memory_bytes ?? 0) >= rss / 2 && rss > 0, `memory ${m?.memory_bytes}, daemon ${rss}`);
    assert.equal((await s.stop('d')).state, 'stopped');
  });

  it("a stranger given the dead shim's PID is never counted in the handler's metrics", async function () {
    if (!root) this.skip();
    const { s, shim, port } = await forkingDaemon();
    // A busy stranger is given the shim's PID.
    const stranger = strangerAt(shim, 'busy.mjs');
    if (stranger === null) {
      console.log(`      skipped: pid ${shim} could not be given to a stranger`);
      return this.skip();
    }
    try {
      await waitFor(() => (readProcStat(stranger)?.utime ?? 0) > 20, { what: 'the stranger to use CPU' });
      // A first sample of a process is its average since it started: the busy stranger would read ~100 %. The
      // daemon answers a connection before each sample: its cgroup's CPU counter moved, so the sample reads the
      // tree in full (not the figures of its last read: sampler.ts).
      for (let i = 0; i < 3; i++) {
        assert.equal(await served(port), 'daemon\n');
        const m = await metricsOf(s, 'd');
        assert.equal(m?.processes, 1, 'the daemon only');
        assert.ok((m?.cpu_percent ?? 0) < 50, `cpu ${m?.cpu_percent}%: the busy stranger was counted`);
      }
      assert.ok(isAlive(stranger), 'the stranger lives');
      assert.equal((await s.stop('d')).state, 'stopped');
      assert.ok(isAlive(stranger), 'and a stop leaves it alone');
    } finally {
      // Busy on a core: not left spinning until the end of the whole run (it slowed every test after it).
      process.kill(stranger, 'SIGKILL');
    }
  });
});
