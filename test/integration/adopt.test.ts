/**
 * A master that knows nothing of an agent's handlers (started on an empty data dir) never stops them: it
 * adopts what the agent reports, and only an explicit command stops a handler.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { AgentCommand__Output } from '../../proto/generated/governor/v1/AgentCommand.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { specToWire } from '../../shared/spec-wire.js';
import { Cluster } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';
import { rawAgent, type RawAgent } from '../helpers/raw-agent.js';

describe('integration: a master with an empty store adopts, never stops', function () {
  this.slow(15_000);
  this.timeout(120_000);
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('a master started on an empty --data-dir leaves both running handlers running (same PIDs) and lists them', async () => {
    const ticker = [process.execPath, fixture('ticker.mjs')];
    const file = c.writeHandlers([
      { name: 'one', agents: ['edge-1'], command: ticker, start_seconds: 0 },
      // Targeted by more than this agent: adopted for edge-1 (and edge-2 added), never restarted.
      { name: 'two', agents: ['edge-1', 'edge-2'], command: ticker, start_seconds: 0 },
    ]);
    await c.govJson(['apply', '-f', file]);
    const before = new Map<string, number>();
    for (const [agent, handler] of [
      ['edge-1', 'one'],
      ['edge-1', 'two'],
      ['edge-2', 'two'],
    ] as const) {
      const s = await c.waitLocal(agent, handler, (i) => i.state === 'running' && !!i.pid);
      before.set(`${handler}@${agent}`, s.pid!);
    }

    await c.killMaster();
    rmSync(c.masterDataDir, { recursive: true, force: true });
    await c.startMaster();
    await c.waitAgentConnected('edge-1');
    await c.waitAgentConnected('edge-2');
    // The post-hello sync has been answered by both agents.
    await waitFor(
      async () => {
        const { records } = await c.admin().listExecutions({ kind: 'apply', status: 'success' });
        return new Set(records.map((r) => r.agent)).size === 2;
      },
      { timeoutMs: 20_000, what: 'the sync to both agents' },
    );

    const ps = await c.waitInstances('one', 1, (i) => i.state === 'running');
    assert.equal(ps[0]?.pid, before.get('one@edge-1'), 'one: same PID');
    const two = await c.waitInstances('two', 2, (i) => i.state === 'running');
    for (const i of two) assert.equal(i.pid, before.get(`two@${i.agent}`), `two@${i.agent}: same PID`);
    for (const pid of before.values()) assert.ok(isAlive(pid), `pid ${pid} still running`);
    for (const [key, pid] of before) {
      const [handler, agent] = key.split('@') as [string, string];
      const local = c.localStatus(agent).find((s) => s.handler === handler);
      assert.equal(local?.pid, pid, `${key}: the agent still runs the same process`);
      assert.equal(local?.restarts, 0, `${key}: never restarted`);
    }

    const adopts = await c.admin().listExecutions({ kind: 'adopt' });
    assert.deepEqual(
      adopts.records.map((r) => [r.handler, r.agent, r.issued_by, r.status]).sort(),
      [
        ['one', 'edge-1', 'agent:edge-1', 'success'],
        ['two', 'edge-1', 'agent:edge-1', 'success'],
        ['two', 'edge-2', 'agent:edge-2', 'success'],
      ].sort(),
    );
    const gps = await c.govJson<{ instances: Array<{ handler: string; agent: string }> }>(['ps', '--json']);
    assert.deepEqual(gps.instances.map((i) => `${i.handler}@${i.agent}`).sort(), [
      'one@edge-1',
      'two@edge-1',
      'two@edge-2',
    ]);

    // An explicit delete still stops.
    const del = await c.gov(['delete', 'one']);
    assert.equal(del.code, 0, del.stderr);
    const onePid = before.get('one@edge-1')!;
    await waitFor(() => !isAlive(onePid), { timeoutMs: 20_000, what: 'one to be stopped by gov delete' });
    assert.ok(isAlive(before.get('two@edge-1')!), 'two keeps running');
  });

  it('a handler deleted, or moved off an agent, while that agent was away is stopped when it comes back', async () => {
    const ticker = [process.execPath, fixture('ticker.mjs')];
    const file = c.writeHandlers([
      { name: 'gone', agents: ['edge-2'], command: ticker, start_seconds: 0 },
      { name: 'moved', agents: ['edge-2'], command: ticker, start_seconds: 0 },
      { name: 'kept', agents: ['edge-2'], command: ticker, start_seconds: 0 },
    ]);
    await c.govJson(['apply', '-f', file]);
    const pids = new Map<string, number>();
    for (const h of ['gone', 'moved', 'kept'])
      pids.set(h, (await c.waitLocal('edge-2', h, (i) => i.state === 'running' && !!i.pid)).pid!);

    await c.killAgent('edge-2');
    await c.waitAgentConnected('edge-2', false, 30_000);
    // Stored on the master; the push to the absent agent fails (exit 1, naming it).
    const del = await c.gov(['delete', 'gone']);
    assert.match(del.stderr + del.stdout, /edge-2 is not connected/);
    const moved = c.writeHandlers([
      { name: 'moved', agents: ['edge-1'], command: ticker, start_seconds: 0 },
      { name: 'kept', agents: ['edge-2'], command: ticker, start_seconds: 0 },
    ]);
    const applied = await c.gov(['apply', '-f', moved]);
    assert.match(applied.stderr + applied.stdout, /edge-2 is not connected/);
    for (const h of ['gone', 'moved', 'kept'])
      assert.ok(isAlive(pids.get(h)!), `${h} ran on while its agent was away`);

    await c.startAgent('edge-2');
    await c.waitAgentConnected('edge-2');
    await waitFor(() => !isAlive(pids.get('gone')!) && !isAlive(pids.get('moved')!), {
      timeoutMs: 30_000,
      what: 'the deleted and the moved handler to be stopped on edge-2',
    });
    assert.ok(isAlive(pids.get('kept')!), 'kept runs on (same PID)');
    await waitFor(() => !c.localStatus('edge-2').some((s) => s.handler === 'gone' || s.handler === 'moved'), {
      timeoutMs: 20_000,
      what: 'edge-2 to forget the deleted and the moved handler',
    });
    const adopts = await c.admin().listExecutions({ kind: 'adopt', agent: 'edge-2' });
    assert.ok(
      !adopts.records.some((r) => r.handler === 'gone' || r.handler === 'moved'),
      'neither was adopted back',
    );
  });
});

describe('integration: an agent is told to remove only its own handlers, and never loses one to another agent’s report', function () {
  this.slow(15_000);
  this.timeout(120_000);
  let c: Cluster;
  const raws: RawAgent[] = [];
  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
  });
  after(async () => {
    for (const r of raws) r.close();
    await c?.stop();
  });

  /** A raw agent `id` (answering every command ok); the commands it is sent are collected in `seen`. */
  async function raw(
    id: string,
    seen: AgentCommand__Output[],
    cachedSpecs = [] as ReturnType<typeof specToWire>[],
  ) {
    const r = await rawAgent(c, id, { cachedSpecs, onCommand: (cmd) => seen.push(cmd) });
    raws.push(r);
    return r;
  }

  it('an agent never receives another agent’s handler names in `remove` (assigned, moved away or deleted)', async () => {
    const ticker = [process.execPath, fixture('ticker.mjs')];
    await c.govJson([
      'apply',
      '-f',
      c.writeHandlers([
        { name: 'payroll', agents: ['edge-1'], command: ticker, start_seconds: 0 },
        { name: 'secret-project', agents: ['edge-1'], command: ticker, start_seconds: 0 },
      ]),
    ]);
    await c.waitLocal('edge-1', 'secret-project', (i) => i.state === 'running' && !!i.pid);
    await c.govJson(['delete', 'secret-project']);
    const seen: AgentCommand__Output[] = [];
    const spy = await raw('edge-3', seen);
    const sync = await waitFor(() => seen.find((cmd) => cmd.kind === 'APPLY' && cmd.sync), {
      what: 'the sync APPLY to edge-3',
    });
    assert.deepEqual(sync.remove, [], 'edge-3 runs nothing: it is told to remove nothing');
    // A push to edge-1 (payroll moved to it and edge-3) names nothing of edge-1's to edge-3 either.
    await c.govJson([
      'apply',
      '-f',
      c.writeHandlers([{ name: 'payroll', agents: ['edge-1', 'edge-3'], command: ticker, start_seconds: 0 }]),
    ]);
    await waitFor(() => seen.filter((cmd) => cmd.kind === 'APPLY').length >= 2, { what: 'a second APPLY' });
    for (const cmd of seen) assert.deepEqual(cmd.remove, [], `${cmd.kind} to edge-3 names no removals`);
    spy.close();
    await c.waitAgentConnected('edge-3', false);
  });

  it('a handler a second agent claims first in its hello (empty store) keeps running on its own agent until an admin decides', async () => {
    const ticker = [process.execPath, fixture('ticker.mjs')];
    const webFile = c.writeHandlers([{ name: 'web', agents: ['edge-1'], command: ticker, start_seconds: 0 }]);
    await c.govJson(['apply', '-f', webFile]);
    const web = await c.waitLocal('edge-1', 'web', (i) => i.state === 'running' && !!i.pid);

    await c.killAgent('edge-1');
    await c.killMaster();
    rmSync(c.masterDataDir, { recursive: true, force: true });
    await c.startMaster();
    // edge-2 claims `web` (another command) before edge-1 is back: adopted for edge-2.
    const claim = parseHandler({ name: 'web', agents: ['edge-2'], command: ['/bin/sleep', '1000'] }, 'x');
    const seen: AgentCommand__Output[] = [];
    await raw('edge-2', seen, [specToWire(claim)]);
    await c.startAgent('edge-1');

    const conflict = await waitFor(
      async () =>
        (await c.admin().listExecutions({ kind: 'adopt', agent: 'edge-1', status: 'error' })).records.find(
          (r) => r.handler === 'web',
        ),
      { timeoutMs: 20_000, what: 'the failed adopt of web from edge-1' },
    );
    const sync = await waitFor(
      async () =>
        (await c.admin().listExecutions({ kind: 'apply', agent: 'edge-1', status: 'success' })).records[0],
      { timeoutMs: 20_000, what: 'the sync to edge-1 carried out' },
    );
    assert.doesNotMatch(sync.params_summary, /to remove/);
    assert.ok(isAlive(web.pid!), 'web on edge-1 was not stopped');
    assert.equal(c.localStatus('edge-1').find((i) => i.handler === 'web')?.pid, web.pid);
    // The operator is told what to do about it.
    assert.match(conflict.error, /conflict: .*left running on edge-1.*apply a spec for web .* or delete web/);

    // The admin decides: web is edge-1's. edge-2 is told to remove its claim; edge-1's web runs on.
    await c.govJson(['apply', '-f', webFile]);
    await waitFor(() => seen.some((cmd) => cmd.kind === 'APPLY' && cmd.remove.includes('web')), {
      what: 'edge-2 told to remove web',
    });
    await c.waitLocal('edge-1', 'web', (i) => i.state === 'running' && !!i.pid);
    assert.ok(isAlive(web.pid!), 'web on edge-1 runs on');
  });
});
