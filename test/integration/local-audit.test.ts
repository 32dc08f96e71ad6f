/**
 * Commands given on an agent's local control socket reach the master's execution log (real master and
 * agent): one done while the master is down is reported once the agent connects, with `issued_by
 * local:<uid>`, its kind, handler, agent and outcome — and exactly once, also when the agent is killed and
 * restarted afterwards (the acknowledgement is persisted; a repeat would be recorded once by id). One agent
 * flooding reports (a raw agent link) evicts only its own: other agents' and admins' records stay listed,
 * and a running execution is never evicted, so its returned completion is listed and on disk.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Cluster } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';
import { rawAgent, type RawAgent } from '../helpers/raw-agent.js';
import type { ExecutionRecord } from '../../master/cli/admin-client.js';
import { LOCAL_EVENTS_FILE, type LocalEvent } from '../../agent/local/local-audit.js';

describe('integration: local commands in the master execution log', function () {
  this.slow(20_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
    await c.startTicker(['edge-1']);
  });
  after(async () => {
    await c?.stop();
  });

  const localRecords = async (): Promise<ExecutionRecord[]> =>
    (await c.admin().listExecutions({ limit: 1000 })).records.filter((r) => r.issued_by.startsWith('local:'));

  it('a local command done while the master is down is recorded once the agent connects, and only once across an agent restart', async () => {
    const sock = path.join(c.agentDataDir('edge-1'), 'gov.sock');
    await c.killMaster();
    const restart = await c.gov(['--socket', sock, 'restart', 'web']);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, /^web@edge-1: running, pid \d+/m);

    await c.startMaster();
    await c.waitAgentConnected('edge-1', true, 15_000);
    const [rec] = await waitFor(
      async () => {
        const found = await localRecords();
        return found.length > 0 ? found : null;
      },
      { what: 'the local restart in the execution log', timeoutMs: 15_000 },
    );
    assert.equal(rec?.kind, 'restart');
    assert.equal(rec?.handler, 'web');
    assert.equal(rec?.agent, 'edge-1');
    assert.equal(rec?.issued_by, `local:${process.getuid!()}`);
    assert.equal(rec?.status, 'success');
    assert.match(rec?.result ?? '', /web running pid \d+/);

    // The acknowledgement is kept by the agent (its event list says reported).
    await waitFor(
      () => {
        const file = path.join(c.agentDataDir('edge-1'), LOCAL_EVENTS_FILE);
        const { events } = JSON.parse(readFileSync(file, 'utf8')) as { events: LocalEvent[] };
        return events.length === 1 && events.every((e) => e.reported);
      },
      { what: 'the agent to record the acknowledgement' },
    );

    await c.killAgent('edge-1');
    await c.startAgent('edge-1');
    // A second local command on the new stream: once it is in the log, anything the agent re-sent before it
    // on that stream has been handled too.
    const stop = await c.gov(['--socket', sock, 'stop', 'web']);
    assert.equal(stop.code, 0, stop.stderr);
    const all = await waitFor(
      async () => {
        const found = await localRecords();
        return found.some((r) => r.kind === 'stop') ? found : null;
      },
      { what: 'the local stop in the execution log', timeoutMs: 15_000 },
    );
    assert.equal(all.filter((r) => r.id === rec!.id).length, 1, 'the restart is recorded once');
    assert.deepEqual(all.map((r) => r.kind).sort(), ['restart', 'stop']);
  });
});

describe('integration: one agent flooding the execution log with local executions', function () {
  this.slow(30_000);
  const SIZE = 100;
  const FLOOD = 3 * SIZE;
  let c: Cluster;
  let edge2: RawAgent | undefined;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'], masterArgs: ['--execution-log-size', String(SIZE)] });
    const file = c.writeHandlers([
      { name: 'web', agents: ['edge-1'], command: [process.execPath, fixture('ticker.mjs')] },
      // Its stop takes the whole stop_timeout: long enough for a flood to arrive while it runs.
      {
        name: 'slow',
        agents: ['edge-1'],
        command: [process.execPath, fixture('ignore-term.mjs')],
        start_seconds: 0,
        stop_timeout: '5s',
      },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('web', 1, (i) => i.state === 'running' && !!i.pid);
    await c.waitInstances('slow', 1, (i) => i.state === 'running' && !!i.pid);
    // edge-2 has no handler: all it can report is agent-wide policy actions (no handler).
    edge2 = await rawAgent(c, 'edge-2');
  });
  after(async () => {
    edge2?.close();
    await c?.stop();
  });

  /** edge-2 sends `n` agent-wide policy reports and resolves once the master acknowledged them all. */
  async function flood(n: number): Promise<void> {
    const agent = edge2!;
    const want = agent.localAcks.length + n;
    const now = new Date().toISOString();
    for (let i = 0; i < n; i++)
      agent.write({
        local_execution: {
          id: randomUUID(),
          kind: 'policy',
          handler: '',
          instance: '',
          issued_by: 'policy/x',
          started_at: now,
          completed_at: now,
          ok: true,
          result: 'forged',
        },
      });
    await agent.drain();
    await waitFor(() => agent.localAcks.length >= want, {
      what: `${n} reports acknowledged`,
      timeoutMs: 60_000,
    });
  }

  const all = async (): Promise<ExecutionRecord[]> =>
    (await c.admin().listExecutions({ limit: 10 * SIZE })).records;

  it("leaves other agents' and admins' records listed: the flooding agent evicts only its own reports", async () => {
    for (let i = 0; i < 2; i++) assert.equal((await c.gov(['restart', 'web'])).code, 0);
    const before = (await all()).filter((r) => r.agent !== 'edge-2');
    assert.ok(
      before.some((r) => r.kind === 'restart' && r.agent === 'edge-1'),
      'the admin restarts',
    );
    await flood(FLOOD);
    const after = await all();
    const ids = new Set(after.map((r) => r.id));
    assert.deepEqual(
      before.filter((r) => !ids.has(r.id)).map((r) => `${r.kind} ${r.handler}@${r.agent}`),
      [],
      'no record of edge-1 or of an admin was evicted',
    );
    const flooded = after.filter((r) => r.agent === 'edge-2' && r.kind === 'policy').length;
    assert.ok(flooded > 0 && flooded <= SIZE / 4, `edge-2 holds its share of the ring only (${flooded})`);
  });

  it('an execution whose result was returned while a flood ran is listed and on disk with its completion', async () => {
    let returned = false;
    const stopping = c.gov(['stop', 'slow', '--json']).finally(() => (returned = true));
    const running = await waitFor(
      async () =>
        (await c.admin().listExecutions({ handler: 'slow', kind: 'stop', status: 'running' })).records[0],
      { what: 'the stop running' },
    );
    await flood(FLOOD);
    assert.equal(returned, false, 'the flood was handled while the stop ran');
    const res = await stopping;
    assert.equal(res.code, 0, res.stderr);
    assert.ok(res.stdout.includes(running.id), `the stop's execution id in its output: ${res.stdout}`);
    const listed = (await all()).find((r) => r.id === running.id);
    assert.equal(listed?.status, 'success', 'listed, completed');
    const onDisk = readFileSync(path.join(c.masterDataDir, 'executions.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(running.id))
      .map((l) => (JSON.parse(l) as { record: ExecutionRecord }).record.status);
    assert.equal(onDisk.at(-1), 'success', `its completion on disk (lines: ${onDisk.join(', ')})`);
  });
});
