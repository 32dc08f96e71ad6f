/**
 * A handler on two agents, over real processes: `gov apply` of one handler on two agents, `gov ps`, `gov restart`
 * and the execution record it leaves (issued_by = the admin's CN, success, a duration).
 */
import assert from 'node:assert/strict';
import { isAlive } from '../../shared/proc.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { fixture } from '../helpers/common.js';

interface ExecutionJson {
  id: string;
  kind: string;
  handler: string;
  agent: string;
  issued_by: string;
  status: string;
  duration_ms: number;
  started_at: string;
  completed_at: string | null;
  error: string | null;
}

describe('integration: a handler on two agents', function () {
  this.slow(8000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('gov apply runs it on both agents; gov ps lists both with PIDs; gov restart gives new PIDs and a success record by the admin', async () => {
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1', 'edge-2'],
        command: [process.execPath, fixture('ticker.mjs')],
        start_seconds: 0,
      },
    ]);
    const applied = await c.govJson<{
      handlers: Array<{ name: string; version: number; change: string; agents: string[] }>;
      executions: ExecutionJson[];
    }>(['apply', '-f', file]);
    assert.deepEqual(
      applied.handlers.map((h) => [h.name, h.version, h.change, [...h.agents].sort()]),
      [['web', 1, 'created', ['edge-1', 'edge-2']]],
    );
    assert.deepEqual(applied.executions.map((e) => [e.agent, e.status]).sort(), [
      ['edge-1', 'success'],
      ['edge-2', 'success'],
    ]);

    // Both agents run it, each in its own process: seen by the agents themselves and through the master.
    const local1 = await c.waitLocal('edge-1', 'web', (s) => s.state === 'running' && !!s.pid);
    const local2 = await c.waitLocal('edge-2', 'web', (s) => s.state === 'running' && !!s.pid);
    assert.notEqual(local1.pid, local2.pid);
    assert.ok(isAlive(local1.pid!) && isAlive(local2.pid!), 'both handler processes are alive');
    await c.waitInstances('web', 2, (i) => i.state === 'running' && i.pid !== null);

    const ps = await c.govJson<{ instances: PsInstance[] }>(['ps']);
    const byAgent = new Map(ps.instances.map((i) => [i.agent, i]));
    assert.deepEqual([...byAgent.keys()].sort(), ['edge-1', 'edge-2']);
    assert.equal(byAgent.get('edge-1')?.pid, local1.pid);
    assert.equal(byAgent.get('edge-2')?.pid, local2.pid);
    for (const i of ps.instances) {
      assert.equal(i.handler, 'web');
      assert.equal(i.state, 'running');
      assert.equal(i.stale, false);
      for (const key of ['handler', 'agent', 'state', 'pid', 'restarts', 'mode', 'last_exit'])
        assert.ok(key in i, `gov ps --json instance has ${key}`);
    }

    const restarted = await c.govJson<{ executions: ExecutionJson[]; instances: PsInstance[] }>([
      'restart',
      'web',
    ]);
    assert.equal(restarted.executions.length, 2);
    const newPids = new Map(restarted.instances.map((i) => [i.agent, i.pid]));
    for (const [agent, old] of [
      ['edge-1', local1.pid],
      ['edge-2', local2.pid],
    ] as const) {
      const pid = newPids.get(agent);
      assert.ok(pid && pid !== old, `${agent}: new PID after restart (old ${old}, new ${pid})`);
      assert.ok(isAlive(pid), `${agent}: new process alive`);
      assert.ok(!isAlive(old!), `${agent}: old process gone`);
    }
    await c.waitInstances('web', 2, (i) => i.state === 'running' && i.pid === newPids.get(i.agent));

    const ids = new Set(restarted.executions.map((e) => e.id));
    const log = await c.govJson<{ count: number; records: ExecutionJson[] }>([
      'executions',
      '--handler',
      'web',
      '--kind',
      'restart',
    ]);
    const records = log.records.filter((r) => ids.has(r.id));
    assert.equal(records.length, 2, 'both restart executions are in the log');
    for (const r of records) {
      assert.equal(r.kind, 'restart');
      assert.equal(r.handler, 'web');
      assert.equal(r.issued_by, 'admin', 'issued_by is the CN of the admin certificate');
      assert.equal(r.status, 'success');
      assert.equal(r.error, null);
      assert.ok(typeof r.duration_ms === 'number' && r.duration_ms >= 0, `duration ${r.duration_ms}`);
      assert.ok(r.completed_at && Date.parse(r.completed_at) >= Date.parse(r.started_at));
    }
    assert.deepEqual(records.map((r) => r.agent).sort(), ['edge-1', 'edge-2']);
  });
});
