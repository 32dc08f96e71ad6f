/**
 * HA masters on a real etcd (issue 16): one leader among three, followers refusing with the leader's
 * address on the wire, failover after kill -9 within the lease TTL + 2 s, fencing of a leader paused past its
 * lease, a clear error when etcd is unreachable at start, and a leader that loses etcd stepping down while the
 * agents keep supervising.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import { connectEtcd } from '../../master/state/etcd-client.js';
import { openEtcdStore } from '../../master/state/etcd-store.js';
import { GOV_BIN, fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { freePort, useEtcd } from '../helpers/etcd.js';
import { HaCluster } from '../helpers/ha-cluster.js';
import { testPki } from '../helpers/pki.js';

const UNAVAILABLE = grpc.status.UNAVAILABLE;
const TTL_MS = 2000;
/** Short heartbeats: the master sees an agent gone within a second. */
const ELECTION = { heartbeatInterval: '200ms', heartbeatGrace: '1s' };

function handlersYaml(agent: string): string {
  return [
    'handlers:',
    '  - name: web',
    `    agents: [${agent}]`,
    `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fixture('ticker.mjs'))}]`,
    '    start_seconds: 0',
    '',
  ].join('\n');
}

/** The agent's own view of its instances (`<data-dir>/status.json`), independent of any master. */
function localPid(ha: HaCluster, agent: string, handler: string): number | null {
  return ha.localStatus(agent).find((x) => x.handler === handler && x.state === 'running')?.pid ?? null;
}

/** Starts `web` on `agent` through the leader and waits until it runs; returns its PID (group tracked). */
async function startWeb(ha: HaCluster, leader: number, agent: string): Promise<number> {
  await ha.adminOf(leader).apply(handlersYaml(agent), 'web.yaml');
  const inst = await waitFor(
    async () => {
      const { instances } = await ha.adminOf(leader).listInstances({ handler: 'web' });
      const s = instances[0]?.status;
      return s && s.state === 'running' && s.pid ? s : null;
    },
    { timeoutMs: 20_000, what: 'web running' },
  );
  trackPid(inst.pgid, true);
  return inst.pid;
}

/** How a stream ended on the wire: its status code and the `governor-leader` metadata. */
type StreamEnd = { code: number; leader: string | null };

/** Waits until `call` ends (its data ignored), closes `client`, and resolves with how it ended. */
function streamEnd(client: grpc.Client, call: NodeJS.EventEmitter): Promise<StreamEnd> {
  return new Promise((resolve) => {
    call.on('data', () => {});
    call.on('error', (err: grpc.ServiceError) => {
      client.close();
      const leader = err.metadata?.get('governor-leader')[0];
      resolve({ code: err.code, leader: typeof leader === 'string' ? leader : null });
    });
    call.on('end', () => {
      client.close();
      resolve({ code: grpc.status.OK, leader: null });
    });
  });
}

/** Opens AgentLink.Connect on master `i` as `agent`; resolves with how the stream ended. */
function agentLinkRefusal(ha: HaCluster, i: number, agent: string): Promise<StreamEnd> {
  const conn = clientConnection(ha.address(i), ha.pki.material(`agent-${agent}`), {
    separateConnection: true,
  });
  const Link = loadProtos().link.governor.v1.AgentLink;
  const client = new Link(conn.target, conn.credentials, conn.options);
  return streamEnd(client, client.Connect());
}

/** Opens a following Admin.Watch on master `i`; resolves with how the stream ended. */
function watchEnd(ha: HaCluster, i: number): Promise<StreamEnd> {
  const conn = clientConnection(ha.address(i), ha.pki.material('admin-admin'), { separateConnection: true });
  const Admin = loadProtos().admin.governor.v1.Admin;
  const client = new Admin(conn.target, conn.credentials, conn.options);
  return streamEnd(client, client.Watch({ follow: true }));
}

describe('HA masters on etcd: election and fencing', function () {
  this.timeout(120_000);
  const etcd = useEtcd();
  let ha: HaCluster | null = null;

  afterEach(async () => {
    await ha?.stop();
    ha = null;
  });

  it('three masters elect exactly one leader; followers refuse agent links and Admin calls with NotLeaderError naming it on the wire; every master lists the masters', async () => {
    ha = await HaCluster.start(etcd(), { ...ELECTION, masters: 3 });
    const leader = await ha.waitLeader();
    const followers = [0, 1, 2].filter((i) => i !== leader);
    for (const f of followers) {
      const r = await ha.rawCall(f, 'ListAgents', {});
      assert.equal(r.ok, false, `m-${f} answered ListAgents as a follower`);
      if (r.ok) continue;
      assert.equal(r.code, UNAVAILABLE);
      assert.equal(r.leader, ha.address(leader), 'the leader address in metadata governor-leader');
      assert.match(r.details, new RegExp(`leader is ${ha.address(leader).replace(/\./g, '\\.')}`));
      const mutation = await ha.rawCall(f, 'LabelAgent', { agent_id: 'edge-1', set: { a: 'b' } });
      assert.equal(mutation.ok ? 0 : mutation.code, UNAVAILABLE);
      const link = await agentLinkRefusal(ha, f, 'edge-1');
      assert.deepEqual(link, { code: UNAVAILABLE, leader: ha.address(leader) });
    }
    for (const i of [0, 1, 2]) {
      const res = await ha.listMasters(i);
      assert.equal(res.store, 'etcd');
      assert.equal(res.answered_by, `m-${i}`);
      assert.deepEqual(
        res.masters.map((m) => [m.id, m.address, m.leader]),
        [0, 1, 2].map((j) => [`m-${j}`, ha!.address(j), j === leader]),
      );
      const lead = res.masters.find((m) => m.leader)!;
      assert.ok(lead.leader_since, 'leader_since is set');
      assert.equal(lead.lease_ttl_ms, TTL_MS);
      assert.ok(lead.lease_age_ms >= 0 && lead.lease_age_ms <= TTL_MS, `lease age ${lead.lease_age_ms}`);
    }
    const ok = await ha.rawCall(leader, 'ListAgents', {});
    assert.equal(ok.ok, true);
  });

  it('kill -9 of the leader: another master leads and answers Admin calls within the lease TTL + 2 s', async () => {
    ha = await HaCluster.start(etcd(), { ...ELECTION, masters: 3 });
    const leader = await ha.waitLeader();
    const killedAt = Date.now();
    await ha.master(leader).kill('SIGKILL');
    const next = await ha.waitLeader({ not: leader, timeoutMs: TTL_MS + 2000 });
    assert.notEqual(next, leader);
    console.log(`      (new leader answering ${Date.now() - killedAt} ms after the kill; TTL ${TTL_MS} ms)`);
    const res = await ha.listMasters(next);
    assert.deepEqual(
      res.masters.map((m) => m.id).sort(),
      [0, 1, 2].filter((i) => i !== leader).map((i) => `m-${i}`),
      'the killed master left the registry with its lease',
    );
  });

  it('a master killed -9 and restarted at once under the same id (a supervisor restarting it) starts and leads once its old lease expires, instead of exiting because its own dead entry holds the id', async () => {
    ha = await HaCluster.start(etcd(), { ...ELECTION, masters: 1 });
    await ha.waitLeader();
    await ha.master(0).kill('SIGKILL');
    await ha.startMaster(0); // resolves once it listens (it used to exit at once: its own dead entry held the id)
    assert.equal(await ha.waitLeader({ timeoutMs: TTL_MS + 5000 }), 0);
  });

  it('a second live master with the same --master-id is still refused (after waiting out one lease TTL)', async () => {
    ha = await HaCluster.start(etcd(), { ...ELECTION, masters: 1 });
    await ha.waitLeader();
    // The same id on another address and data dir (the same port would only be refused by the kernel).
    const args = ha.masterArgs(0);
    const address = `127.0.0.1:${await freePort()}`;
    args[args.indexOf('--listen') + 1] = address;
    args[args.indexOf('--advertise') + 1] = address;
    args[args.indexOf('--data-dir') + 1] = tempDir('gov-twin-');
    const twin = spawn(process.execPath, args, {
      cwd: ha.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackPid(twin.pid);
    let stderr = '';
    twin.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => twin.on('exit', (c) => resolve(c)));
    assert.notEqual(code, 0, stderr);
    assert.match(stderr, /master id m-0 is in use by a running master/);
    assert.equal(await ha.waitLeader(), 0, 'the running master still leads');
  });

  it('a leader whose key is deleted under it (by hand) steps down at once; a leader is elected again', async () => {
    ha = await HaCluster.start(etcd(), { ...ELECTION, masters: 2 });
    const first = await ha.waitLeader();
    const conn = await connectEtcd({ endpoints: [etcd().endpoint] });
    try {
      await conn.client.delete().key(`${ha.prefix}leader`);
    } finally {
      conn.close();
    }
    await waitFor(() => /stepping down .*the leader key was deleted/.test(ha!.master(first).stderr), {
      timeoutMs: 10_000,
      what: `the leader to step down:\n${ha.master(first).tail()}`,
    });
    await ha.waitLeader();
  });

  it('a master that cannot lead (its store holds a foreign key) pauses longer and longer between campaigns instead of winning and failing many times a second', async () => {
    ha = await HaCluster.start(etcd(), { ...ELECTION, masters: 1 });
    await ha.waitLeader();
    const conn = await connectEtcd({ endpoints: [etcd().endpoint] });
    try {
      await conn.client.put(`${ha.prefix}state/bogus/x`).value('{}');
      await conn.client.delete().key(`${ha.prefix}leader`); // it campaigns again and must load the store
    } finally {
      conn.close();
    }
    const failedAt = (): number[] =>
      ha!
        .master(0)
        .stderr.split('\n')
        .filter((l) => /ERROR \[master\] cannot lead .*bogus\/x: not a key of a Governor store/.test(l))
        .map((l) => Date.parse(l.slice(0, l.indexOf(' '))));
    const times = await waitFor(() => (failedAt().length >= 6 ? failedAt() : null), {
      timeoutMs: 30_000,
      what: `six failed attempts to lead:\n${ha.master(0).tail()}`,
    });
    // Pauses of 0, 0.2, 0.4, 0.8 and 1.6 s between the six attempts (a busy machine only adds to them).
    const spanMs = times[5]! - times[0]!;
    assert.ok(spanMs >= 2500, `six attempts to lead within ${spanMs} ms`);
    assert.match(ha.master(0).stderr, /campaigning again after a pause: the last terms ended at once/);
  });

  it('fencing: a leader paused past its lease is refused on waking (its pending write never lands), steps down, and the agent never links to it again', async () => {
    ha = await HaCluster.start(etcd(), { ...ELECTION, masters: 3 });
    const old = await ha.waitLeader();
    const agent = await ha.startAgent('edge-1', old);
    const pid = await startWeb(ha, old, 'edge-1');
    const pausedAt = agent.stderr.length;

    process.kill(ha.master(old).pid, 'SIGSTOP');
    // A mutation the paused leader holds unanswered: carried out only if it still led on waking.
    const stale = ha.rawCall(
      old,
      'LabelAgent',
      { agent_id: 'edge-1', set: { fence: 'stale' } },
      'admin-admin',
      60_000,
    );
    const leader = await ha.waitLeader({ not: old, timeoutMs: 30_000 });
    await ha.waitAgentsConnected(['edge-1'], { on: leader });
    await ha.adminOf(leader).labelAgent('edge-1', { fence: 'new' }, []); // the new leader's first write

    process.kill(ha.master(old).pid, 'SIGCONT');
    const refused = await stale;
    assert.equal(refused.ok, false, 'the stale leader carried out a write after waking');
    if (!refused.ok) assert.equal(refused.code, UNAVAILABLE, refused.details);
    await waitFor(
      async () => {
        const r = await ha!.rawCall(old, 'ListAgents', {});
        return !r.ok && r.code === UNAVAILABLE && r.leader === ha!.address(leader);
      },
      { timeoutMs: 10_000, what: 'the old leader to refuse, naming the new one' },
    );
    assert.match(ha.master(old).stderr, /stepping down/);

    // The store: the new leader's write, nothing of the stale one.
    const conn = await connectEtcd({ endpoints: [etcd().endpoint] });
    try {
      const store = await openEtcdStore({ etcd: conn, prefix: `${ha.prefix}state/` });
      assert.equal(store.data.agents['edge-1']?.labels.fence, 'new');
      const all = await conn.client.getAll().prefix(ha.prefix).strings();
      assert.ok(
        !Object.values(all).some((v) => v.includes('stale')),
        'a write of the stale leader is in etcd',
      );
    } finally {
      conn.close();
    }
    // The agent linked to one master at a time and never to the stale one again; its handler never restarted.
    const after = agent.stderr.slice(pausedAt);
    const links = after
      .split('\n')
      .filter((l) => l.includes('"link state"'))
      .map((l) => JSON.parse(l) as { to: string; master: string })
      .filter((l) => l.to === 'connected');
    assert.ok(links.length > 0, `the agent reconnected:\n${after}`);
    assert.ok(
      links.every((l) => l.master === ha!.address(leader)),
      `agent links after the pause: ${JSON.stringify(links)}`,
    );
    assert.equal(localPid(ha, 'edge-1', 'web'), pid);
    const { agents } = await ha.adminOf(leader).listAgents();
    assert.equal(agents.find((a) => a.id === 'edge-1')?.connected, true);
  });
});

describe('HA masters on etcd: losing etcd', function () {
  this.timeout(120_000);
  const etcd = useEtcd();
  let ha: HaCluster | null = null;

  afterEach(async () => {
    await etcd().resume();
    await ha?.stop();
    ha = null;
  });

  it('etcd lost while leading: the master steps down (refusing with NotLeaderError) and the agent keeps supervising with the same PIDs; etcd back, it leads again', async () => {
    ha = await HaCluster.start(etcd(), { ...ELECTION, masters: 1 });
    await ha.waitLeader();
    await ha.startAgent('edge-1', 0);
    const pid = await startWeb(ha, 0, 'edge-1');
    const watch = watchEnd(ha, 0);
    await ha.adminOf(0).labelAgent('edge-1', { seen: 'yes' }, []); // an event: the watch is live
    await etcd().pause();
    await waitFor(
      async () => {
        const r = await ha!.rawCall(0, 'ListAgents', {});
        return !r.ok && r.code === UNAVAILABLE && r.leader !== null;
      },
      { timeoutMs: TTL_MS + 10_000, what: 'the master to step down' },
    );
    assert.match(ha.master(0).stderr, /stepping down/);
    // Watches end with UNAVAILABLE and the leader hint (none known while etcd is away).
    assert.deepEqual(await watch, { code: UNAVAILABLE, leader: '' });
    // Handlers keep running under their agent, same PID, while no master leads.
    await waitFor(() => localPid(ha!, 'edge-1', 'web') === pid, { timeoutMs: 5000, what: 'web running' });
    assert.equal(ha.master(0).running, true, 'the master process stays up, following');
    await etcd().resume();
    await ha.waitLeader({ timeoutMs: 30_000 });
    await ha.waitAgentsConnected(['edge-1'], { on: 0 });
    const { instances } = await ha.adminOf(0).listInstances({ handler: 'web' });
    assert.equal(instances[0]?.status?.pid, pid);
    assert.equal(localPid(ha, 'edge-1', 'web'), pid);
  });
});

describe('HA masters: etcd unreachable at start', () => {
  it('gov master --store etcd exits 1 with an error naming the endpoints', async function () {
    this.timeout(30_000);
    const pki = await testPki();
    const port = await freePort(); // nothing listens there
    const child = spawn(
      process.execPath,
      [
        GOV_BIN,
        'master',
        '--store',
        'etcd',
        '--etcd-endpoints',
        `http://127.0.0.1:${port}`,
        '--listen',
        '127.0.0.1:0',
        '--http',
        'off',
        '--lease-ttl',
        '2s',
        ...pki.tlsArgs('master'),
      ],
      { cwd: tempDir(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    trackPid(child.pid);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 1, stderr);
    assert.match(stderr, new RegExp(`etcd at 127\\.0\\.0\\.1:${port} cannot be reached`));
  });
});
