/**
 * Bad input from an agent (DESIGN §8 item 5): a malformed hello or status message from a certificate
 * holder is refused or dropped; it never takes the master down or changes other agents' state.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { AgentMessage } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage__Output } from '../../proto/generated/governor/v1/MasterMessage.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/common.js';
import type { PairName } from '../helpers/pki.js';

/**
 * Opens edge-N's stream, sends `first`, then (once welcomed) `then`, then `after` on the same stream;
 * with `until`, cancels the stream once `until()` holds (polled with a deadline), else waits for the master
 * to end it. Resolves with how the stream ended.
 */
function talk(
  c: Cluster,
  pair: PairName,
  first: AgentMessage,
  then: AgentMessage[] = [],
  after: AgentMessage[] = [],
  until?: () => Promise<boolean>,
): Promise<{ code: grpc.status; details: string; welcomed: boolean; untilHeld: boolean }> {
  const conn = clientConnection(c.address, c.pki.material(pair), { separateConnection: true });
  const { link } = loadProtos();
  const client = new link.governor.v1.AgentLink(conn.target, conn.credentials, conn.options);
  let welcomed = false;
  let untilHeld = false;
  let ended = false;
  return new Promise<{ code: grpc.status; details: string; welcomed: boolean }>((resolve) => {
    const call = client.Connect({ deadline: Date.now() + 10_000 });
    let beat: NodeJS.Timeout | undefined;
    const stopBeat = () => clearInterval(beat);
    call.on('data', (m: MasterMessage__Output) => {
      if (m.body !== 'welcome') return;
      welcomed = true;
      // Heartbeats as a real agent sends them: the stream must outlive the master's (test) grace of 1 s
      // while `until` is polled through the CLI, which may take longer than that on a loaded machine.
      beat = setInterval(() => call.write({ heartbeat: { sent_at_ms: Date.now() } }), 200);
      for (const msg of then) call.write(msg);
      for (const msg of after) call.write(msg);
      if (!until) return;
      waitFor(async () => ended || (await until()), {
        timeoutMs: 8_000,
        what: 'the follow-up to take effect',
      })
        .then(() => (untilHeld = !ended))
        .catch(() => undefined)
        .finally(() => call.cancel());
    });
    call.on('error', (e: grpc.ServiceError) => {
      stopBeat();
      resolve({ code: e.code, details: e.details, welcomed });
    });
    call.on('end', () => {
      stopBeat();
      resolve({ code: grpc.status.OK, details: '', welcomed });
    });
    call.write(first);
  })
    .then((r) => {
      ended = true;
      return { ...r, untilHeld };
    })
    .finally(() => client.close());
}

type Inventory = NonNullable<NonNullable<AgentMessage['hello']>['instances']>;
const hello = (id: string, instances: Inventory = []): AgentMessage => ({
  hello: { agent_id: id, hostname: 'h', version: '0', labels: {}, instances, protocol: AGENT_LINK_PROTOCOL },
});

describe('integration: malformed agent messages', function () {
  this.slow(10_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('a status without a handler name is dropped; the same stream still carries status and the master serves', async () => {
    // An observed process edge-3 may report: after the malformed statuses, it must still reach the
    // registry over the very same stream (the stream survived, it was not just reopened).
    const observed = {
      handler: 'after-bad',
      instance: 'after-bad',
      state: 'running',
      observed: true,
      pid: 42,
    };
    const reached = async () =>
      (await c.instances()).some(
        (i) => i.agent === 'edge-3' && i.handler === 'after-bad' && i.state === 'running',
      );
    const r = await talk(
      c,
      'agent-edge-3',
      hello('edge-3'),
      [{ status: { handler: '', state: 'running' } }, { status: { handler: '', state: 'running' } }],
      [{ status: observed }],
      reached,
    );
    assert.equal(r.welcomed, true, r.details);
    assert.equal(
      r.untilHeld,
      true,
      'a status sent after the malformed ones reached the registry on the same stream',
    );
    assert.equal(
      r.code,
      grpc.status.CANCELLED,
      `the stream ended by our cancel, not by the master: ${r.details}`,
    );
    assert.ok(c.master?.running, 'the master process is still running');
    const { agents } = await c.admin().listAgents();
    assert.ok(
      agents.some((a) => a.id === 'edge-1' && a.connected),
      'edge-1 is untouched',
    );
    const ps = await c.instances();
    assert.ok(
      ps.every((i) => i.handler !== ''),
      'nothing was recorded for the malformed status',
    );
  });

  it('a hello whose inventory has an instance without a handler is refused with INVALID_ARGUMENT', async () => {
    const r = await talk(c, 'agent-edge-4', hello('edge-4', [{ handler: '', state: 'running' }]));
    assert.equal(r.code, grpc.status.INVALID_ARGUMENT, r.details);
    assert.match(r.details, /invalid hello: .*no handler name/);
    assert.ok(c.master?.running);
    await waitFor(
      async () => (await c.admin().listAgents()).agents.find((a) => a.id === 'edge-4')?.connected === false,
      {
        what: 'edge-4 shown disconnected',
      },
    );
  });
});
