/**
 * An agent's certificate reaches only that agent's handlers (DESIGN §8): the labels that select specs are
 * set by an admin, never taken from the agent's hello; the master keeps only statuses of instances it
 * assigned to the reporting agent (a flood of others changes neither its store nor `gov ps`); and admin
 * listings are paged so no response exceeds the gRPC message limit however much is listed.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createGrpcAdminApi } from '../../master/cli/admin-client.js';
import type { AdminClient } from '../../proto/generated/governor/v1/Admin.js';
import type { ListInstancesResponse__Output } from '../../proto/generated/governor/v1/ListInstancesResponse.js';
import { MAX_MESSAGE_BYTES, loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import { Cluster } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';
import { rawAgent, type RawAgent } from '../helpers/raw-agent.js';

describe('integration: an agent certificate reaches only its own handlers', function () {
  this.slow(20_000);
  this.timeout(120_000);
  let c: Cluster;
  const raws: RawAgent[] = [];
  const ticker = [process.execPath, fixture('ticker.mjs')];

  before(async () => {
    c = await Cluster.start();
    await c.startAgent('edge-1', { labels: { region: 'west' } });
  });
  after(async () => {
    for (const r of raws) r.close();
    await c?.stop();
  });

  it('labels an agent declares are only reported; specs follow the labels an admin sets (viewer may not)', async () => {
    const file = c.writeHandlers([
      { name: 'west-db', selector: { region: 'west' }, env: { WEST_DB_PASSWORD: 's3cret' }, command: ticker },
    ]);
    const applied = await c.govJson<{ handlers: Array<{ name: string; agents: string[] }> }>([
      'apply',
      '-f',
      file,
    ]);
    assert.deepEqual(applied.handlers[0]?.agents, [], 'the hello label region=west selects nothing');
    let agents = await c.govJson<{ agents: Array<Record<string, unknown>> }>(['agents']);
    assert.deepEqual(agents.agents[0]?.labels, {});
    assert.deepEqual(agents.agents[0]?.reported_labels, { region: 'west' });
    assert.ok(!c.localStatus('edge-1').some((i) => i.handler === 'west-db'), 'the agent never got the spec');

    const viewer = await c.gov(['agents', 'label', 'edge-1', 'region=west'], { pair: 'viewer-viewer' });
    assert.equal(viewer.code, 1, viewer.stderr);
    assert.match(viewer.stderr, /LabelAgent: viewer is read-only/);

    const set = await c.govJson<{ agent: { labels: Record<string, string> } }>([
      'agents',
      'label',
      'edge-1',
      'region=west,tier=1',
    ]);
    assert.deepEqual(set.agent.labels, { region: 'west', tier: '1' });
    await c.waitInstances('west-db', 1, (i) => i.state === 'running' && i.agent === 'edge-1');

    const removed = await c.govJson<{ agent: { labels: Record<string, string> } }>([
      'agents',
      'label',
      'edge-1',
      'region-',
    ]);
    assert.deepEqual(removed.agent.labels, { tier: '1' });
    await waitFor(
      () => !c.localStatus('edge-1').some((i) => i.handler === 'west-db' && i.state !== 'stopped'),
      { what: 'west-db stopped on edge-1 once its label is gone' },
    );
    agents = await c.govJson<{ agents: Array<Record<string, unknown>> }>(['agents']);
    assert.deepEqual(agents.agents[0]?.reported_labels, { region: 'west' });
    const bad = await c.gov(['agents', 'label', 'edge-1', 'bad key=1']);
    assert.equal(bad.code, 2, 'a usage error: nothing sent');
    assert.match(bad.stderr, /label key "bad key"/);
  });

  it('20,000 statuses for handlers not assigned to an agent change neither master.json nor gov ps', async function () {
    this.timeout(300_000); // a busy 2-core machine: the flood itself takes seconds
    const file = c.writeHandlers([
      { name: 'theirs', agents: ['edge-1'], command: ticker },
      { name: 'mine', agents: ['edge-3'], command: ticker },
    ]);
    const raw = await rawAgent(c, 'edge-3');
    raws.push(raw);
    await c.govJson(['apply', '-f', file]);
    const [theirs] = await c.waitInstances('theirs', 1, (i) => i.state === 'running' && !!i.pid);
    const mark = async (pid: number) => {
      raw.write({ status: { handler: 'mine', instance: 'mine', state: 'running', pid } });
      await waitFor(
        async () =>
          (await c.instances('mine')).some((i) => i.pid === pid) &&
          readFileSync(path.join(c.masterDataDir, 'master.json'), 'utf8').includes(`"pid":${pid},`),
        { what: `status pid ${pid} of mine stored`, timeoutMs: 120_000 },
      );
    };
    await mark(101);
    const storeFile = path.join(c.masterDataDir, 'master.json');
    const sizeBefore = statSync(storeFile).size;
    const psBefore = (await c.instances()).map((i) => [i.handler, i.agent, i.pid]);

    for (let i = 0; i < 20_000; i++) {
      raw.write({
        status: {
          handler: `evil-${i}`,
          instance: `evil-${i}`,
          state: 'running',
          pid: 1000 + i,
          health_reason: 'x'.repeat(200),
        },
      });
      if (i % 500 === 499) await raw.drain(); // heartbeats get out in between
    }
    // Another agent's handler, and an instance of its own handler beyond its count.
    raw.write({ status: { handler: 'theirs', instance: 'theirs', state: 'fatal', pid: 4242 } });
    raw.write({ status: { handler: 'mine', instance: 'mine#3', index: 3, state: 'running', pid: 4343 } });
    await mark(102); // written after the flood: once it is stored, the flood was handled

    const sizeAfter = statSync(storeFile).size;
    assert.ok(
      Math.abs(sizeAfter - sizeBefore) < 256,
      `master.json ${sizeBefore} → ${sizeAfter} bytes: nothing of the flood was stored`,
    );
    const psAfter = (await c.instances()).map((i) => [i.handler, i.agent, i.pid === 102 ? 101 : i.pid]);
    assert.deepEqual(psAfter, psBefore, 'gov ps lists exactly what it listed before');
    const theirsNow = await c.instances('theirs');
    assert.deepEqual(
      theirsNow.map((i) => [i.agent, i.pid, i.state]),
      [['edge-1', theirs?.pid, 'running']],
      "edge-3's report on edge-1's handler was dropped",
    );
    assert.ok(c.master?.running, 'the master is still up');
  });

  it('listings larger than the gRPC message limit come in pages, each under the limit', async () => {
    const raw = await rawAgent(c, 'edge-4');
    raws.push(raw);
    await c.govJson([
      'apply',
      '-f',
      c.writeHandlers([{ name: 'big', agents: ['edge-4'], count: 100, command: ticker }]),
    ]);
    // 100 instances × 50 events of 1 KiB: more than 5 MB of status, above the 4 MiB message limit.
    const events = Array.from({ length: 50 }, (_, e) => ({
      handler: 'big',
      at: new Date().toISOString(),
      type: 'NOTE',
      message: `${e} ${'y'.repeat(1000)}`,
      state: '',
    }));
    for (let i = 0; i < 100; i++) {
      const instance = i === 0 ? 'big' : `big#${i}`;
      raw.write({ status: { handler: 'big', instance, index: i, state: 'running', pid: 5000 + i, events } });
      if (i % 10 === 9) await raw.drain();
    }
    const conn = clientConnection(c.address, c.pki.material('admin-admin'), { separateConnection: true });
    const api = createGrpcAdminApi({
      target: conn.target,
      credentials: conn.credentials,
      channelOptions: conn.options,
      pageSize: 2,
    });
    try {
      await waitFor(async () => (await api.listInstances({ handler: 'big' })).instances.length === 100, {
        what: '100 instances of big listed',
        timeoutMs: 30_000,
      });
      const all = await api.listInstances();
      assert.ok(all.instances.length >= 100);

      // Page by page with the raw client: every page is under the limit; together they list each once.
      const { admin } = loadProtos();
      const client: AdminClient = new admin.governor.v1.Admin(conn.target, conn.credentials, conn.options);
      const keys: string[] = [];
      let token = '';
      let pages = 0;
      do {
        const page = await new Promise<ListInstancesResponse__Output>((resolve, reject) =>
          client.ListInstances(
            { handler: 'big', page_size: 0, page_token: token },
            (err: grpc.ServiceError | null, res?: ListInstancesResponse__Output) =>
              err || !res ? reject(err ?? new Error('no response')) : resolve(res),
          ),
        );
        assert.ok(
          Buffer.byteLength(JSON.stringify(page)) < MAX_MESSAGE_BYTES,
          `page ${pages} under the limit`,
        );
        keys.push(...page.instances.map((i) => i.status?.instance ?? ''));
        token = page.next_page_token;
        pages++;
      } while (token && pages < 100);
      client.close();
      assert.ok(pages >= 2, `the default page size still splits 5 MB (${pages} pages)`);
      assert.equal(new Set(keys).size, 100);
      assert.equal(keys.length, 100);

      // Executions and agents page too: the client joins the pages, the limit holds over all of them.
      const execs = await api.listExecutions({ limit: 5 });
      assert.equal(execs.records.length, 5);
      assert.equal(new Set(execs.records.map((r) => r.id)).size, 5);
      const agents = await api.listAgents();
      assert.deepEqual(
        agents.agents.map((a) => a.id),
        ['edge-1', 'edge-3', 'edge-4'],
      );
    } finally {
      api.close();
    }
  });

  it('a metrics report with a 4 MiB state or 250,000 cold starts is bounded like a status: gov metrics keeps working', async function () {
    this.timeout(300_000);
    const raw = await rawAgent(c, 'edge-2');
    raws.push(raw);
    await c.govJson(['apply', '-f', c.writeHandlers([{ name: 'm5', agents: ['edge-2'], command: ticker }])]);
    raw.write({ status: { handler: 'm5', instance: 'm5', state: 'running', pid: 4242, mode: 'always-on' } });
    await c.waitInstances('m5', 1, (i) => i.pid === 4242);
    type Figures = { state: string; cpu_percent: number; recent_cold_starts_ms?: number[] };
    type Metrics = {
      instances: Array<Figures & { agent: string }>;
      agents: Array<{ agent: string }>;
    };
    /** Pushes one report of m5 and waits until `gov metrics --json` (unfiltered) lists it. */
    const pushed = async (figures: Record<string, unknown>, cpu: number): Promise<Metrics> => {
      const inst = {
        handler: 'm5',
        instance: 'm5',
        pid: 4242,
        memory_bytes: 1,
        ...figures,
        cpu_percent: cpu,
      };
      // Listed twice: an earlier entry for the same instance, the last one is kept.
      const dup = { handler: 'm5', instance: 'm5', state: 'dup', cpu_percent: 1 };
      raw.write({ metrics: { instances: [dup, inst], host: { load1: 1, cpus: 2 } } });
      const r = await waitFor(
        async () => {
          const r = await c.gov(['metrics', '--json']);
          if (r.code !== 0) return r; // a failed listing is the failure: no waiting it out
          const m = JSON.parse(r.stdout) as Metrics;
          return m.instances.some((i) => i.cpu_percent === cpu) ? r : null;
        },
        { what: `m5's report (cpu ${cpu}) in gov metrics`, timeoutMs: 60_000 },
      );
      assert.equal(r.code, 0, `gov metrics: ${r.stderr}`);
      return JSON.parse(r.stdout) as Metrics;
    };
    // A state string just under the message limit: the listing of every agent's figures was over it.
    let m = await pushed({ state: 'r'.repeat(MAX_MESSAGE_BYTES - 200) }, 7);
    let mine = m.instances.filter((i) => i.agent === 'edge-2');
    assert.equal(mine.length, 1, 'one entry per instance');
    assert.ok(mine[0]!.state.length <= 128, `state cut: ${mine[0]!.state.length} chars`);
    assert.ok(
      m.agents.some((a) => a.agent === 'edge-1'),
      'the other agents are listed too',
    );
    // More cold starts than the agent ever keeps (1,000): the newest are kept.
    const starts = Array.from({ length: 250_000 }, (_, i) => i + 0.5);
    m = await pushed({ state: 'running', cold_starts: starts.length, recent_cold_starts_ms: starts }, 8);
    mine = m.instances.filter((i) => i.agent === 'edge-2');
    const kept = mine[0]!.recent_cold_starts_ms ?? [];
    assert.equal(kept.length, 1000);
    assert.equal(kept.at(-1), 249_999.5);
  });
});
