/**
 * One namespace per agent, refused by the master before anything changes, in either order: an apply (or
 * a label change) that would put a handler on an agent observing a process of that name, and an attach
 * under the name of a handler assigned to that agent. The error names both.
 */
import assert from 'node:assert/strict';
import { Cluster } from '../helpers/cluster.js';
import { fixture, tempDir } from '../helpers/common.js';
import { outsideWorkload } from '../agent/observed-helpers.js';

describe('integration: a handler and an observed process never share a name on one agent', function () {
  this.slow(15_000);
  this.timeout(90_000);
  let c: Cluster;
  const ticker = [process.execPath, fixture('ticker.mjs')];

  before(async () => {
    c = await Cluster.start({ agents: ['edge-2'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('observed first: an apply or a label change that would bring a handler of that name is refused', async () => {
    const w = await outsideWorkload(tempDir());
    const attached = await c.gov(['attach', '--agent', 'edge-2', '--pid', String(w.pid), '--name', 'legacy']);
    assert.equal(attached.code, 0, attached.stderr);
    await c.waitInstances('legacy', 1, (i) => i.state === 'running');

    const r = await c.gov([
      'apply',
      '-f',
      c.writeHandlers([{ name: 'legacy', agents: ['edge-2'], command: ticker }]),
    ]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      /handlers\[0\]\.name: handler legacy and the observed process legacy \(pid \d+\) on agent edge-2/,
    );
    assert.match(r.stderr, /gov detach legacy --agent edge-2/);

    // By selector: nothing carries role=cron yet, so the apply is accepted; labelling edge-2 is refused.
    const sel = await c.gov([
      'apply',
      '-f',
      c.writeHandlers([{ name: 'legacy', selector: { role: 'cron' }, command: ticker }]),
    ]);
    assert.equal(sel.code, 0, sel.stderr);
    const label = await c.gov(['agents', 'label', 'edge-2', 'role=cron']);
    assert.equal(label.code, 1, label.stdout);
    assert.match(label.stderr, /labelling agent edge-2: handler legacy and the observed process legacy/);
    const agents = await c.admin().listAgents();
    assert.deepEqual(agents.agents.find((a) => a.id === 'edge-2')?.labels, {}, 'the labels did not change');

    const rows = await c.instances('legacy');
    assert.deepEqual(
      rows.map((i) => [i.agent, i.mode, i.pid]),
      [['edge-2', 'observed', w.pid]],
      'only the observed process is listed under that name',
    );
    assert.ok(!c.localStatus('edge-2').some((i) => i.handler === 'legacy' && i.mode !== 'observed'));
  });

  it('handler first: an attach under its name is refused, naming both', async () => {
    await c.govJson(['apply', '-f', c.writeHandlers([{ name: 'web', agents: ['edge-2'], command: ticker }])]);
    await c.waitInstances('web', 1, (i) => i.state === 'running');
    const w = await outsideWorkload(tempDir());
    const r = await c.gov(['attach', '--agent', 'edge-2', '--pid', String(w.pid), '--name', 'web']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(`handler web and the observed process web \\(pid ${w.pid}\\) on agent edge-2`),
    );
    const rows = await c.instances('web');
    assert.deepEqual(
      rows.map((i) => [i.agent, i.mode]),
      [['edge-2', 'always-on']],
    );
  });
});
