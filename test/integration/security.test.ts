/**
 * Identities and roles, the parts that need the real master and real agents: an agent certificate cannot
 * speak for another agent; `gov agents revoke ID` disconnects that agent and refuses it from then on
 * while the others stay connected; a viewer can read but not change anything.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { AgentMessage } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage__Output } from '../../proto/generated/governor/v1/MasterMessage.js';
import { isAlive } from '../../shared/proc.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { initPki } from '../../shared/pki.js';
import { clientConnection } from '../../shared/tls.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { tempDir, waitFor } from '../helpers/common.js';
import type { PairName } from '../helpers/pki.js';

/** Opens the agent stream with `pair`'s certificate, sends a hello as `agentId`; resolves with how it ended. */
async function helloAs(
  c: Cluster,
  pair: PairName,
  agentId: string,
  protocol = AGENT_LINK_PROTOCOL,
): Promise<{ code: grpc.status; details: string; welcomed: boolean }> {
  const conn = clientConnection(c.address, c.pki.material(pair), { separateConnection: true });
  const { link } = loadProtos();
  const client = new link.governor.v1.AgentLink(conn.target, conn.credentials, conn.options);
  try {
    return await new Promise((resolve) => {
      const call = client.Connect({ deadline: Date.now() + 10_000 });
      let welcomed = false;
      call.on('data', (m: MasterMessage__Output) => {
        if (m.body === 'welcome') {
          welcomed = true;
          call.cancel();
        }
      });
      call.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details, welcomed }));
      call.on('end', () => resolve({ code: grpc.status.OK, details: '', welcomed }));
      const hello: AgentMessage = {
        hello: { agent_id: agentId, hostname: 'impostor', version: '0', labels: {}, instances: [], protocol },
      };
      call.write(hello);
    });
  } finally {
    client.close();
  }
}

describe('integration: identities and roles against the real master', function () {
  this.slow(10_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('an agent of another agent-link protocol (another release) is refused before anything is exchanged', async () => {
    const r = await helloAs(c, 'agent-edge-1', 'edge-1', 0);
    assert.equal(r.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(r.welcomed, false);
    assert.match(
      r.details,
      /speaks agent-link protocol 0; this master speaks \d+: run the same Governor release/,
    );
  });

  it("an agent certificate opening the stream with another agent's id is refused (PERMISSION_DENIED)", async () => {
    const r = await helloAs(c, 'agent-edge-1', 'edge-2');
    assert.equal(r.code, grpc.status.PERMISSION_DENIED, r.details);
    assert.match(r.details, /CN=edge-1 may not connect as agent "edge-2"/);
    assert.equal(r.welcomed, false);
    const { agents } = await c.admin().listAgents();
    assert.deepEqual(
      agents.map((a) => [a.id, a.connected]),
      [['edge-1', true]],
      'edge-2 was not registered; edge-1 is untouched',
    );

    // With the real edge-2 connected, an impostor neither replaces nor disturbs it.
    await c.startAgent('edge-2');
    const again = await helloAs(c, 'agent-edge-1', 'edge-2');
    assert.equal(again.code, grpc.status.PERMISSION_DENIED);
    const after = await c.admin().listAgents();
    assert.deepEqual(
      after.agents.map((a) => [a.id, a.connected, a.hostname === 'impostor']),
      [
        ['edge-1', true, false],
        ['edge-2', true, false],
      ],
    );
  });

  it('a viewer can read (gov ps, gov agents) but gov restart and gov agents revoke are refused and change nothing', async () => {
    const before = await c.startTicker(['edge-1', 'edge-2']);
    const lifetime = (await c.admin().getStats()).lifetime_executions;

    const ps = await c.govJson<{ instances: PsInstance[] }>(['ps'], { pair: 'viewer-viewer' });
    assert.equal(ps.instances.length, 2);
    const agents = await c.govJson<{ agents: unknown[] }>(['agents'], { pair: 'viewer-viewer' });
    assert.equal(agents.agents.length, 2);

    const [restart, revoke] = await Promise.all([
      c.gov(['restart', 'web'], { pair: 'viewer-viewer' }),
      c.gov(['agents', 'revoke', 'edge-1'], { pair: 'viewer-viewer' }),
    ]);
    for (const r of [restart, revoke]) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /^error: certificate CN=viewer OU=viewer may not call Admin\/\w+: viewer is read-only/m,
      );
    }
    assert.equal((await c.admin().getStats()).lifetime_executions, lifetime, 'no execution');
    const now = await c.instances('web');
    assert.deepEqual(
      now.map((i) => [i.agent, i.pid, i.restarts]),
      before.map((i) => [i.agent, i.pid, i.restarts]),
    );
    assert.equal((await c.admin().listAgents()).agents.filter((a) => a.connected).length, 2);
  });

  it('gov agents revoke edge-2 closes its stream and refuses it from then on; edge-1 stays connected and usable', async () => {
    const edge2 = c.agents.get('edge-2')!;
    const out = await c.govJson<{ agent: { id: string; revoked: boolean; connected: boolean } }>([
      'agents',
      'revoke',
      'edge-2',
    ]);
    assert.equal(out.agent.id, 'edge-2');
    assert.equal(out.agent.revoked, true);
    await c.waitAgentConnected('edge-2', false, 3000);

    // The agent process keeps dialling (it does not know better); each attempt is refused as revoked.
    const refusals = () => edge2.stderr.split('\n').filter((l) => /master link down.*revoked/.test(l)).length;
    await waitFor(() => refusals() >= 3, { timeoutMs: 15_000, what: 'three refused reconnects of edge-2' });
    assert.ok(edge2.running, 'the agent process itself is not killed by the master');
    const { agents } = await c.admin().listAgents();
    assert.deepEqual(
      agents.map((a) => [a.id, a.connected, a.revoked]),
      [
        ['edge-1', true, false],
        ['edge-2', false, true],
      ],
    );
    // A stream opened with edge-2's own certificate is refused at once.
    const direct = await helloAs(c, 'agent-edge-2', 'edge-2');
    assert.equal(direct.code, grpc.status.UNAUTHENTICATED, direct.details);
    assert.match(direct.details, /revoked/);

    // edge-1 is unaffected: commands to it work; commands to edge-2 fail fast.
    const ok = await c.admin().control('restart', 'web', 'edge-1');
    assert.equal(ok.executions[0]?.status, 'success', ok.executions[0]?.error);
    const refused = await c.admin().control('restart', 'web', 'edge-2');
    assert.equal(refused.executions[0]?.status, 'error');
    assert.match(refused.executions[0]?.error ?? '', /edge-2 is not connected/);
    const web2 = c.localStatus('edge-2').find((s) => s.handler === 'web');
    assert.ok(web2?.pid && isAlive(web2.pid), "edge-2's handler keeps running under its agent");
  });

  it('gov agents revoke of an ID never seen is refused (exit 2, naming the known agents) unless --unseen; gov agents unrevoke (admin only) lifts a revocation: the agent reconnects', async () => {
    const ids = async () => (await c.admin().listAgents()).agents.map((a) => [a.id, a.revoked]);
    const typo = await c.gov(['agents', 'revoke', 'edge-22']);
    assert.equal(typo.code, 2, typo.stderr);
    assert.equal(
      typo.stderr,
      'error: unknown agent "edge-22" (known: edge-1, edge-2); to revoke the certificate of an agent that ' +
        'never connected, pass --unseen\n',
    );
    assert.deepEqual(await ids(), [
      ['edge-1', false],
      ['edge-2', true],
    ]);
    const leaked = await c.govJson<{ agent: { id: string; revoked: boolean } }>([
      'agents',
      'revoke',
      'edge-9',
      '--unseen',
    ]);
    assert.deepEqual([leaked.agent.id, leaked.agent.revoked], ['edge-9', true]);

    const viewer = await c.gov(['agents', 'unrevoke', 'edge-2'], { pair: 'viewer-viewer' });
    assert.equal(viewer.code, 1, viewer.stderr);
    assert.match(viewer.stderr, /may not call Admin\/UnrevokeAgent: viewer is read-only/);
    const unknown = await c.gov(['agents', 'unrevoke', 'edge-23']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /^error: unknown agent "edge-23" \(known: edge-1, edge-2, edge-9\)$/m);

    const lifted = await c.gov(['agents', 'unrevoke', 'edge-2']);
    assert.equal(lifted.code, 0, lifted.stderr);
    assert.equal(lifted.stdout, 'agent edge-2 is not revoked: its certificate is accepted\n');
    // Its agent kept dialling: the next dial is taken.
    await c.waitAgentConnected('edge-2', true, 15_000);
    assert.equal((await c.gov(['agents', 'unrevoke', 'edge-9'])).code, 0);
    assert.deepEqual(await ids(), [
      ['edge-1', false],
      ['edge-2', false],
    ]);
  });

  it('gov agents revoke and unrevoke are each recorded as an execution (kind revoke / unrevoke: agent, who, outcome) that gov executions --kind lists; a refused one records nothing', async () => {
    interface Rec {
      kind: string;
      agent: string;
      handler: string;
      issued_by: string;
      status: string;
      result: string;
      params_summary: string;
    }
    const newest = async (kind: string): Promise<Rec | undefined> =>
      (await c.govJson<{ records: Rec[] }>(['executions', '--kind', kind, '--agent', 'edge-2'])).records[0];
    const lifetime = async () => (await c.admin().getStats()).lifetime_executions;
    const before = await lifetime();
    assert.equal((await c.gov(['agents', 'revoke', 'edge-33'])).code, 2);
    assert.equal((await c.gov(['agents', 'unrevoke', 'edge-33'])).code, 2);
    assert.equal(await lifetime(), before, 'a refused revoke or unrevoke records nothing');

    assert.equal((await c.gov(['agents', 'revoke', 'edge-2'])).code, 0);
    const revoked = await newest('revoke');
    assert.deepEqual(
      revoked && [revoked.kind, revoked.agent, revoked.handler, revoked.issued_by, revoked.status],
      ['revoke', 'edge-2', '', 'admin', 'success'],
    );
    assert.match(revoked!.result, /^certificate revoked; its stream was closed$/);
    assert.equal(await lifetime(), before + 1, 'one execution');
    await c.waitAgentConnected('edge-2', false, 3000);

    assert.equal((await c.gov(['agents', 'unrevoke', 'edge-2'])).code, 0);
    const lifted = await newest('unrevoke');
    assert.deepEqual(lifted && [lifted.kind, lifted.agent, lifted.issued_by, lifted.status], [
      'unrevoke',
      'edge-2',
      'admin',
      'success',
    ]);
    assert.match(lifted!.result, /^revocation lifted/);
    await c.waitAgentConnected('edge-2', true, 15_000);
  });

  it('an agent whose certificate another CA issued logs that the master refused it in the TLS handshake, naming its files', async () => {
    const other = tempDir('gov-other-ca-');
    await initPki({ dir: other, agents: ['edge-5'] });
    const [cert, key] = ['crt', 'key'].map((ext) => path.join(other, `agent-edge-5.${ext}`));
    // The cluster CA (trusts the master), the other CA's pair: later flags win over the helper's own.
    const edge5 = await c.startAgent('edge-5', {
      args: ['--cert', cert!, '--key', key!],
      waitConnected: false,
    });
    const line = await waitFor(
      () => edge5.stderr.split('\n').find((l) => l.includes('TLS handshake with master refused')),
      { timeoutMs: 15_000, what: 'edge-5 to log the TLS refusal' },
    );
    assert.match(line, /the master refused the client certificate/);
    assert.ok(line.includes(cert!) && line.includes(key!), line);
    assert.match(line, /not issued by the CA in .*ca\.crt/);
    assert.ok(!(await c.admin().listAgents()).agents.some((a) => a.id === 'edge-5'));
    await c.killAgent('edge-5');
  });
});
