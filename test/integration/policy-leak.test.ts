/**
 * Resource policies through a real master and agent: a handler that leaks memory steadily is restarted by
 * its spec's `leak` rule — once, not again inside the cooldown although it leaks past the threshold again —
 * and the master's execution log records it as kind `policy`, issued by `policy/leak`, with the value that
 * fired it. The rule keeps working while the master is away (the agent's own specs and loop).
 */
import assert from 'node:assert/strict';
import { Cluster } from '../helpers/cluster.js';
import { leakyHandler } from './leaky-handler.js';
import { waitFor } from '../helpers/common.js';
import type { ExecutionRecord } from '../../master/cli/admin-client.js';

describe('integration: resource policies', function () {
  this.timeout(120_000);
  let c: Cluster | null = null;
  afterEach(async () => {
    await c?.stop();
    c = null;
  });

  it('a leaking handler is restarted by its leak rule once per cooldown, recorded with the value in the execution log', async () => {
    c = await Cluster.start({ agents: ['edge-1'], agentArgs: ['--metrics-interval', '250ms'] });
    const cluster = c;
    const file = cluster.writeHandlers([
      leakyHandler({ mibPerS: 40, above: '120MiB', smooth: 'ema(250ms)' }),
    ]);
    await cluster.govJson(['apply', '-f', file]);
    const [before] = await cluster.waitInstances('leaky', 1, (i) => i.state === 'running' && !!i.pid);
    const policyRecords = async (): Promise<ExecutionRecord[]> =>
      (await cluster.admin().listExecutions({ limit: 100, kind: 'policy' })).records;
    const [rec] = await waitFor(async () => ((await policyRecords()).length > 0 ? policyRecords() : null), {
      timeoutMs: 60_000,
      what: 'the policy restart in the execution log',
    });
    assert.equal(rec!.kind, 'policy');
    assert.equal(rec!.issued_by, 'policy/leak');
    assert.equal(rec!.handler, 'leaky');
    assert.equal(rec!.agent, 'edge-1');
    assert.equal(rec!.status, 'success', rec!.error);
    assert.match(rec!.params_summary, /rss raw \d+(\.\d)? MiB smoothed \d+(\.\d)? MiB above 120\.0 MiB/);
    const [after] = await cluster.waitInstances('leaky', 1, (i) => i.state === 'running' && !!i.pid);
    assert.notEqual(after!.pid, before!.pid, 'restarted: a new process');
    // It leaks past the threshold again (within the cooldown): measured by the agent, not restarted again.
    await waitFor(
      async () => {
        const m = await cluster.govJson<{ instances: Array<{ handler: string; memory_bytes: number }> }>([
          'metrics',
          'leaky',
        ]);
        return (m.instances[0]?.memory_bytes ?? 0) > 160 * 1024 * 1024;
      },
      { timeoutMs: 30_000, what: 'the new process past the threshold' },
    );
    const [again] = await cluster.instances('leaky');
    assert.equal(again!.pid, after!.pid, 'not restarted inside the cooldown');
    assert.equal((await policyRecords()).length, 1, 'exactly one policy execution');
  });

  it('keeps acting while the master is away; the execution reaches the log once the master is back', async () => {
    c = await Cluster.start({ agents: ['edge-1'], agentArgs: ['--metrics-interval', '250ms'] });
    const cluster = c;
    const file = cluster.writeHandlers([leakyHandler({ mibPerS: 20, above: '150MiB' })]);
    await cluster.govJson(['apply', '-f', file]);
    const [before] = await cluster.waitInstances('leaky', 1, (i) => i.state === 'running' && !!i.pid);
    await cluster.killMaster();
    // The agent alone: its own status file shows the restart.
    await cluster.waitLocal(
      'edge-1',
      'leaky',
      (i) => i.pid !== before!.pid && i.state === 'running',
      'the restart by the agent alone',
      60_000,
    );
    await cluster.startMaster();
    await cluster.waitAgentConnected('edge-1', true, 15_000);
    const [rec] = await waitFor(
      async () => {
        const r = (await cluster.admin().listExecutions({ limit: 100, kind: 'policy' })).records;
        return r.length > 0 ? r : null;
      },
      { timeoutMs: 30_000, what: 'the policy execution after the master is back' },
    );
    assert.equal(rec!.issued_by, 'policy/leak');
    assert.equal(rec!.agent, 'edge-1');
    assert.match(rec!.params_summary, /^instance leaky, rss raw \d+(\.\d)? MiB above 150\.0 MiB$/);
  });
});
