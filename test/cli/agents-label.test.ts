/** `gov agents label ID k=v[,k=v…] [k-]`: the labels handler selectors match, set by an admin. */
import assert from 'node:assert/strict';
import { runGov as gov } from './fake-admin.js';

describe('gov agents label', () => {
  it('sets k=v (comma-separated or several arguments) and removes k-, in one call', async () => {
    const r = await gov(['agents', 'label', 'edge-1', 'region=east,tier=2', 'zone=a', 'old-', '--json']);
    assert.equal(r.code, 0, r.io.stderr);
    assert.deepEqual(r.fake.calls, [
      ['labelAgent', 'edge-1', { region: 'east', tier: '2', zone: 'a' }, ['old']],
    ]);
    const doc = JSON.parse(r.io.stdout) as { agent: { labels: Record<string, string> } };
    assert.deepEqual(doc.agent.labels, { region: 'east', tier: '2', zone: 'a' });
    const human = await gov(['agents', 'label', 'edge-1', 'region-']);
    assert.equal(human.code, 0);
    assert.equal(human.io.stdout, 'agent edge-1 labels: (none)\n');
  });

  it('usage errors (exit 2, nothing sent): no ID, no label, a part that is neither k=v nor k-', async () => {
    for (const args of [
      [],
      ['edge-1'],
      ['edge-1', 'region'],
      ['edge-1', '=x'],
      ['edge-1', '-'],
      ['edge-1', 'bad key=1'], // the label rule, checked here
      ['edge-1', '__proto__=x'],
      ['edge-1', `k=${'v'.repeat(300)}`],
      ['edge-1', 'a=1', 'a=2'], // a key twice: not the last one silently
      ['edge-1', 'a=1,a-'],
    ]) {
      const r = await gov(['agents', 'label', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.io.stderr}`);
      assert.deepEqual(r.fake.calls, []);
    }
  });

  it('gov agents shows admin-set and reported labels apart', async () => {
    const r = await gov(['agents']);
    assert.equal(r.code, 0);
    assert.match(r.io.stdout, /LABELS\s+REPORTED LABELS/);
    assert.match(r.io.stdout, /region=west\s+rack=r1/);
  });
});
