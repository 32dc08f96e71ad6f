/**
 * Resource policies through a real master (DESIGN §9): what an agent reports on its link (a scripted agent
 * first, so the figures are known) is what `gov policies` lists — to a viewer too — each transition is a
 * `policy` event of `gov events`, `gov metrics` counts the rules and actions, and once the agent is gone its
 * rules are listed as last reported. Then a real agent: its leak rule's restart is the last action
 * `gov policies` shows, naming the execution the log holds, and its transitions are `gov events`.
 */
import type { ExecutionRecord } from '../../master/cli/admin-client.js';
import assert from 'node:assert/strict';
import { Cluster } from '../helpers/cluster.js';
import { leakyHandler } from './leaky-handler.js';
import { fixture, waitFor } from '../helpers/common.js';
import { rawAgent, type RawAgent } from '../helpers/raw-agent.js';

const MiB = 1024 * 1024;

interface PoliciesDoc {
  agents: Array<{
    agent: string;
    connected: boolean;
    stale: boolean;
    reported_at: string;
    counters: { actions: number };
    rules: Array<{
      key: string;
      rule: string;
      state: string;
      value: number;
      last_execution_id: string | null;
    }>;
  }>;
}

describe('integration: resource policies as the agents report them', function () {
  this.slow(20_000);
  this.timeout(120_000);
  let c: Cluster;
  let raw: RawAgent | null = null;

  before(async () => {
    c = await Cluster.start();
  });
  after(async () => {
    raw?.close();
    await c?.stop();
  });

  it('gov policies, gov events and gov metrics show an agent report; a gone agent’s rules as last reported', async () => {
    raw = await rawAgent(c, 'edge-3');
    await c.govJson([
      'apply',
      '-f',
      c.writeHandlers([
        { name: 'web', agents: ['edge-3'], count: 2, command: [process.execPath, fixture('ticker.mjs')] },
      ]),
    ]);
    raw.write({
      policies: {
        rules: [
          {
            rule: 'leak',
            handler: 'web',
            instance: 'web#1',
            metric: 'rss',
            state: 'firing',
            raw: 430 * MiB,
            value: 412 * MiB,
            action: 'restart',
            last_action: 'restart',
            last_action_at: new Date().toISOString(),
            last_execution_id: 'ex-policy-1',
          },
          {
            rule: 'memory-pressure',
            metric: 'host.memory.pressure.some',
            state: 'armed',
            value: 1.5,
            action: 'cool on-demand',
          },
        ],
        transitions: [
          {
            rule: 'leak',
            handler: 'web',
            instance: 'web#1',
            from: 'pending',
            to: 'firing',
            at: new Date().toISOString(),
            value: 412 * MiB,
            reason: 'rss 412 MiB above 400 MiB for 2m',
          },
        ],
        counters: { actions: 1, dry_run: 0, suppressed_cooldown: 0, suppressed_budget: 0 },
      },
    });
    await raw.drain();

    const doc = await waitFor(
      async () => {
        const d = await c.govJson<PoliciesDoc>(['policies'], { pair: 'viewer-viewer' });
        return d.agents.length > 0 ? d : null;
      },
      { what: 'the report listed by gov policies (viewer)', timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.deepEqual(
      doc.agents.map((a) => [
        a.agent,
        a.connected,
        a.counters.actions,
        a.rules.map((r) => `${r.key} ${r.rule} ${r.state}`),
      ]),
      [['edge-3', true, 1, ['web#1@edge-3 leak firing', 'edge-3 memory-pressure armed']]],
    );
    const only = await c.govJson<PoliciesDoc>(['policies', 'web']);
    assert.deepEqual(
      only.agents[0]?.rules.map((r) => r.rule),
      ['leak'],
      'a handler target leaves agent-wide rules out',
    );
    const table = await c.gov(['policies']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /edge-3\s+web\s+web#1\s+leak\s+rss\s+412\.0 MiB\s+-\s+firing\s+restart .*ex-policy-1/,
    );

    const events = await c.gov(['events', '--kind', 'policy']);
    assert.equal(events.code, 0, events.stderr);
    assert.match(
      events.stdout,
      /policy {2}web#1@edge-3 {2}leak: pending → firing .* — rss 412 MiB above 400 MiB for 2m/,
    );
    const ndjson = await c.gov(['events', '--kind', 'policy', '--json', 'web']);
    const [event] = ndjson.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(event?.kind, 'policy');
    assert.equal(event?.agent, 'edge-3');
    assert.equal(event?.handler, 'web');

    const metrics = await c.govJson<{
      governor: { policies_by_state: Record<string, number>; policy_actions: { actions: number } };
    }>(['metrics']);
    assert.equal(metrics.governor.policies_by_state.firing, 1);
    assert.equal(metrics.governor.policies_by_state.armed, 1);
    assert.equal(metrics.governor.policy_actions.actions, 1);

    raw.close();
    raw = null;
    await c.waitAgentConnected('edge-3', false);
    const gone = await c.gov(['policies']);
    assert.match(gone.stdout, /firing\*/);
    assert.match(gone.stdout, /edge-3: .* \* disconnected: as last reported at \d{4}-\d\d-\d\dT/);
    const goneDoc = await c.govJson<PoliciesDoc>(['policies']);
    assert.equal(goneDoc.agents[0]?.stale, true);
    const after = await c.govJson<{ governor: { policies_by_state: Record<string, number> } }>(['metrics']);
    assert.equal(after.governor.policies_by_state.stale, 2);
  });

  it('a real agent: its leak rule, last restart and transitions as gov policies and gov events show them', async () => {
    await c.startAgent('edge-1', { args: ['--metrics-interval', '250ms'] });
    await c.govJson([
      'apply',
      '-f',
      c.writeHandlers([leakyHandler({ mibPerS: 40, above: '120MiB', smooth: 'ema(250ms)' })]),
    ]);
    const [rec] = await waitFor(
      async () => {
        const r = (await c.admin().listExecutions({ limit: 10, kind: 'policy', handler: 'leaky' })).records;
        return r.length > 0 ? r : null;
      },
      { timeoutMs: 60_000, what: 'the policy restart in the execution log' },
    );
    const rule = await waitFor(
      async () => {
        const d = await c.govJson<PoliciesDoc>(['policies', 'leaky']);
        const r = d.agents.find((a) => a.agent === 'edge-1')?.rules.find((x) => x.rule === 'leak');
        return r?.last_execution_id ? r : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the leak rule with its last action in gov policies' },
    );
    assert.equal(rule.key, 'leaky@edge-1');
    assert.equal(rule.last_execution_id, (rec as ExecutionRecord).id);
    const events = await waitFor(
      async () => {
        const r = await c.gov(['events', '--kind', 'policy', 'leaky@edge-1']);
        return / {2}policy {2}leaky@edge-1 {2}leak: \S+ → firing/.test(r.stdout) ? r.stdout : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the transition to firing in gov events' },
    );
    assert.doesNotMatch(events, /edge-3/, 'only the events of the target');
  });
});
