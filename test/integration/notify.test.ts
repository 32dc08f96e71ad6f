/**
 * sd_notify end to end (real master, agent and handler): a notify handler's STATUS= text reaches `gov ps`
 * (an aligned STATUS column, the text in `--json` as notify_status), and a new STATUS= shows there
 * without any state change; a forged datagram is counted in the agent's host figures (`gov metrics`).
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { linuxSockets } from '../../agent/native/linux-sockets.js';
import path from 'node:path';
import { Cluster } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';

describe('integration: sd_notify STATUS in gov ps', function () {
  this.slow(20_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'], agentArgs: ['--metrics-interval', '300ms'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('STATUS= text is shown by gov ps (table and --json) and follows the handler', async () => {
    const send = path.join(c.dir, 'send');
    const file = c.writeHandlers([
      {
        name: 'talker',
        agents: ['edge-1'],
        command: [process.execPath, fixture('notify.mjs')],
        notify: true,
        env: { NOTIFY_STATUS: 'serving 3 clients', NOTIFY_SEND_FILE: send },
      },
      { name: 'quiet', agents: ['edge-1'], command: ['sleep', '1000'], start_seconds: 0 },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances(
      'talker',
      1,
      (i) => i.state === 'running' && i.notify_status === 'serving 3 clients',
    );
    await c.waitInstances('quiet', 1, (i) => i.state === 'running');
    const ps = await c.gov(['ps']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.ok(ps.stdout.endsWith('\n'));
    const lines = ps.stdout.trimEnd().split('\n');
    const col = lines[0]!.indexOf('STATUS');
    assert.ok(col > 0, ps.stdout);
    const talker = lines.find((l) => l.startsWith('talker'))!;
    assert.equal(talker.slice(col), 'serving 3 clients', ps.stdout);
    assert.ok(lines.find((l) => l.startsWith('quiet'))!.length <= col + 1, 'no status: "-" at most');

    writeFileSync(`${send}.tmp`, 'STATUS=draining\tnow\n');
    renameSync(`${send}.tmp`, send);
    const [inst] = await c.waitInstances('talker', 1, (i) => i.notify_status === 'draining\tnow');
    assert.equal(inst!.state, 'running');
    const text = await waitFor(
      async () => {
        const r = await c.gov(['ps', 'talker']);
        return r.stdout.includes('draining now') ? r.stdout : null;
      },
      { what: 'the new status in the table (the tab shown as a space)' },
    );
    assert.doesNotMatch(text, /\t/);
  });

  it("a datagram from outside every handler is counted in the agent's host figures (gov metrics --json)", async () => {
    const native = linuxSockets();
    assert.ok(native.ok);
    const [talker] = await c.waitInstances('talker', 1, (i) => i.state === 'running' && !!i.pid);
    const env = readFileSync(`/proc/${talker!.pid}/environ`, 'utf8').split('\0');
    const socket = env.find((l) => l.startsWith('NOTIFY_SOCKET='))!.slice('NOTIFY_SOCKET='.length);
    native.native.send(socket, Buffer.from('READY=1\nSTATUS=forged'));
    type Metrics = { agents: Array<{ agent: string; host: { notify_ignored: number } | null }> };
    await waitFor(
      async () => {
        const m = await c.govJson<Metrics>(['metrics']);
        return (m.agents.find((a) => a.agent === 'edge-1')?.host?.notify_ignored ?? 0) >= 1 || null;
      },
      { what: 'notify_ignored ≥ 1 in gov metrics --json', timeoutMs: 15_000 },
    );
    const [after] = await c.waitInstances('talker', 1, () => true);
    assert.notEqual(after!.notify_status, 'forged');
  });
});
