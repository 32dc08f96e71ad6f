/**
 * Hello.specs_hash: an agent whose instances already run exactly the specs the master assigns it is not
 * sent them again after a reconnect (the sync APPLY carries `keep_specs` and no specs, and still names the
 * handlers to remove); one whose spec changed while it was away is sent the specs.
 */
import assert from 'node:assert/strict';
import type { AgentCommand__Output } from '../../proto/generated/governor/v1/AgentCommand.js';
import { assignedSpecsHash } from '../../shared/spec-hash.js';
import { specsFromWire } from '../../shared/spec-wire.js';
import { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/common.js';
import { rawAgent } from '../helpers/raw-agent.js';

const handlers = (webEnv: string) =>
  'handlers:\n' +
  `  - {name: web, agents: [edge-1], command: [node, server.js], env: {V: "${webEnv}"}}\n` +
  '  - {name: old, agents: [edge-1], command: [node, old.js]}\n';

describe('integration: specs are not resent to an agent that runs them (Hello.specs_hash)', function () {
  this.slow(10_000);
  let c: Cluster;
  before(async () => {
    c = await Cluster.start();
  });
  after(async () => {
    await c?.stop();
  });

  /** Connects edge-1 with `specsHash` and returns the sync APPLY it is sent; disconnects it again. */
  async function syncAfterHello(specsHash: string): Promise<AgentCommand__Output> {
    const seen: AgentCommand__Output[] = [];
    const agent = await rawAgent(c, 'edge-1', { specsHash, onCommand: (cmd) => seen.push(cmd) });
    try {
      return await waitFor(() => seen.find((cmd) => cmd.kind === 'APPLY' && cmd.sync), {
        what: 'the sync APPLY after the hello',
      });
    } finally {
      agent.close();
      await c.waitAgentConnected('edge-1', false);
    }
  }

  it('a matching hash gets keep_specs (no specs, remove still named); a changed spec is sent', async () => {
    await syncAfterHello(''); // known to the master from now on: specs may target it
    await c.admin().apply(handlers('1'), 'h.yaml');
    const first = await syncAfterHello('');
    assert.equal(first.keep_specs, false);
    const specs = specsFromWire(first.specs, 'specs', 'test');
    assert.deepEqual(
      specs.map((s) => s.name),
      ['old', 'web'],
    );

    // The agent runs what it was sent: the same hash gets no specs.
    const same = await syncAfterHello(assignedSpecsHash(specs));
    assert.equal(same.keep_specs, true);
    assert.deepEqual(same.specs, []);
    assert.deepEqual(same.remove, []);

    // `old` deleted while the agent was away: it runs only `web` now, and is still told to remove `old`.
    await c.admin().deleteHandler('old');
    const web = specs.filter((s) => s.name === 'web');
    const afterDelete = await syncAfterHello(assignedSpecsHash(web));
    assert.equal(afterDelete.keep_specs, true);
    assert.deepEqual(afterDelete.specs, []);
    assert.deepEqual(afterDelete.remove, ['old']);
    const { records } = await c.admin().listExecutions({ kind: 'apply', agent: 'edge-1', limit: 1 });
    assert.match(records[0]?.params_summary ?? '', /specs not resent/);

    // `web` changed while the agent was away: the old hash no longer matches, the new spec is sent.
    await c.admin().apply(handlers('2').split('\n').slice(0, 2).join('\n') + '\n', 'h.yaml');
    const changed = await syncAfterHello(assignedSpecsHash(web));
    assert.equal(changed.keep_specs, false);
    const sent = specsFromWire(changed.specs, 'specs', 'test');
    assert.deepEqual(
      sent.map((s) => [s.name, s.env.V]),
      [['web', '2']],
    );
  });
});
