/**
 * One CPU counter per instance cgroup (agent/process/cpu-accounting.ts), on cgroup v1 (a `cpuacct` group the
 * spawn joins, shim and handler) and v2 (the tracking group's cpu.stat at /sys/fs/cgroup/unified): the
 * counter moves while the handler runs, and the metrics of handlers whose counters stood still stay right
 * (processes, RSS) while their trees are not read again. Real processes, real cgroups.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cgroupScope } from '../../agent/process/cgroups.js';
import { cgroupOnlyHandle, cgroupPids, detectTracking } from '../../agent/process/cgroup-tracking.js';
import { CpuAccounting, detectCpuAccounting } from '../../agent/process/cpu-accounting.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import type { Handle } from '../../agent/process/backend.js';
import { Logger, silentLogger } from '../../shared/logger.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler(raw, 'handlers[0]', 'test');
}

const ROOTS = [
  { kind: 'v1' as const, root: '/sys/fs/cgroup' },
  { kind: 'v2' as const, root: '/sys/fs/cgroup/unified' },
];

for (const { kind, root } of ROOTS) {
  describe(`cpu accounting per instance cgroup (${kind}, ${root})`, function () {
    this.timeout(60_000);
    const tracking = detectTracking(root, readFileSync('/proc/self/cgroup', 'utf8'));
    const found = detectCpuAccounting(root, tracking);
    const sups: Supervisor[] = [];
    const scopes: string[] = [];

    before(function () {
      const why =
        process.geteuid?.() !== 0
          ? 'not root: no cgroup can be created'
          : found?.kind !== kind
            ? `the host has no ${kind} CPU counter under ${root}`
            : null;
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
    });

    afterEach(async () => {
      for (const sup of sups.splice(0)) {
        for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
        await Promise.all(sup.status().map((s) => sup.stop(s.instance).catch(() => undefined)));
        await sup.shutdown();
      }
      for (const scope of scopes.splice(0).filter(existsSync)) {
        for (const g of readdirSync(scope)) {
          for (const pid of cgroupPids(path.join(scope, g))) trackPid(pid);
          try {
            rmdirSync(path.join(scope, g));
          } catch {
            /* still busy: the cleanup kills by PID */
          }
        }
        try {
          rmdirSync(scope);
        } catch {
          /* a busy group remains */
        }
      }
    });

    it('the shim and the handler are in the counted group; the counter moves while it runs; metrics stay right while it does not', async () => {
      const dataDir = tempDir();
      const scope = cgroupScope(dataDir);
      const acctScope = path.join(found?.kind === 'v1' ? found.base : tracking!.base, 'governor', scope);
      scopes.push(acctScope);
      const sup = await Supervisor.create({ dataDir, cgroupRoot: root, pollIntervalMs: 50 });
      sups.push(sup);
      await sup.applySpecs([
        spec({ name: 'idle', command: ['sleep', 'infinity'], start_seconds: 0 }),
        spec({ name: 'busy', command: ['node', '-e', 'for (;;) {}'], start_seconds: 0 }),
      ]);
      const running = () => sup.status().filter((s) => s.state === 'running' && s.pid && s.shim_pid);
      await waitFor(() => running().length === 2, { what: 'both running' });
      for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
      const groupOf = (key: string) =>
        kind === 'v1' ? path.join(acctScope, key) : path.join(tracking!.base, 'governor', scope, key);
      for (const s of running()) {
        const members = cgroupPids(groupOf(s.instance));
        assert.ok(members.includes(s.shim_pid!), `shim ${s.shim_pid} in ${groupOf(s.instance)}: ${members}`);
        assert.ok(members.includes(s.pid!), `handler ${s.pid} in ${groupOf(s.instance)}: ${members}`);
      }
      const acct = new CpuAccounting({
        root,
        scope,
        tracking,
        logger: new Logger('agent', { level: 'error', sink: { write: () => {} } }),
      });
      const handle = (key: string) => cgroupOnlyHandle(groupOf(key));
      const busy0 = acct.usage('busy', handle('busy'));
      assert.ok(busy0 !== null && busy0 > 0, `busy counter ${busy0}`);
      // Moved by 50 ms of CPU (v1 counts ns, v2 µs): /proc's per-process times, in 10 ms clock ticks, then
      // show it too (on a loaded host the busy program may have run for less than a tick so far).
      const moved = busy0 + (kind === 'v1' ? 50e6 : 50e3);
      await waitFor(() => (acct.usage('busy', handle('busy')) ?? 0) >= moved, {
        what: 'the busy counter to move by 50 ms of CPU',
      });
      // Samples in a row: the idle tree (counter still) keeps its processes and RSS, the busy one is read.
      for (let i = 0; i < 3; i++) {
        const m = await sup.metrics();
        const idle = m.find((x) => x.handler === 'idle')!;
        const b = m.find((x) => x.handler === 'busy')!;
        assert.equal(idle.processes, 2, 'shim + sleep');
        assert.ok(idle.memory_bytes > 0, `idle RSS ${idle.memory_bytes}`);
        assert.equal(b.processes, 2, 'shim + node');
        assert.ok(b.cpu_seconds > 0, `busy CPU seconds ${b.cpu_seconds}`);
      }
    });
  });
}

describe('cpu accounting: counters while nothing in the scope ran', () => {
  it('an instance counter is reused for the same process only: a respawned shim is read again', () => {
    const root = tempDir();
    const scope = path.join(root, 'cpuacct', 'governor', 's');
    mkdirSync(path.join(scope, 'web'), { recursive: true });
    writeFileSync(path.join(root, 'cpuacct', 'cpuacct.usage'), '1');
    writeFileSync(path.join(scope, 'cpuacct.usage'), '100');
    const web = path.join(scope, 'web', 'cpuacct.usage');
    writeFileSync(web, '100');
    const acct = new CpuAccounting({ root, scope: 's', tracking: null, logger: silentLogger });
    assert.equal(acct.kind, 'v1');
    const shim = { pid: 10 } as Handle;
    assert.equal(acct.round()('web', shim), 100);
    writeFileSync(web, '150'); // the scope's counter stood still: its groups are not read again
    assert.equal(acct.round()('web', shim), 100, 'the same process: the counter read before');
    assert.equal(acct.round()('web', { pid: 11 } as Handle), 150, 'a new process: read');
  });
});
