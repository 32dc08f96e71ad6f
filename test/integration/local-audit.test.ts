/**
 * Commands given on an agent's local control socket reach the master's execution log (real master and
 * agent): one done while the master is down is reported once the agent connects, with `issued_by
 * local:<uid>`, its kind, handler, agent and outcome — and exactly once, also when the agent is killed and
 * restarted afterwards (the acknowledgement is persisted; a repeat would be recorded once by id).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/common.js';
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
