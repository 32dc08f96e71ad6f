/**
 * Spec hashes are one rule for master and agent (shared/spec-hash.ts): the instance hash is the master's
 * spec digest cut short, and Hello.specs_hash depends on which spec each instance runs, never on order.
 */
import assert from 'node:assert/strict';
import { specHash as agentSpecHash } from '../../agent/supervisor/state-store.js';
import { specHash as masterSpecHash } from '../../master/state/registry.js';
import { parseHandler } from '../../shared/spec.js';
import { assignedSpecsHash, specChange, specsHash } from '../../shared/spec-hash.js';

const spec = (name: string, extra: Record<string, unknown> = {}) =>
  parseHandler({ name, command: ['node', 'w.js'], ...extra }, name);

describe('spec hashes', () => {
  it("the agent's instance hash is the master's spec hash cut to 16 hex digits", () => {
    const s = spec('web', { env: { B: '2', A: '1' } });
    assert.equal(agentSpecHash(s), masterSpecHash(s).slice(0, 16));
  });

  it('specs_hash depends on which spec each instance runs, not on the order they are listed in', () => {
    const [a, b] = [spec('a', { count: 2 }), spec('b')];
    const running = [
      { instance: 'b', spec_hash: agentSpecHash(b) },
      { instance: 'a#1', spec_hash: agentSpecHash(a) },
      { instance: 'a', spec_hash: agentSpecHash(a) },
    ];
    assert.equal(specsHash(running), assignedSpecsHash([a, b]));
    assert.equal(assignedSpecsHash([b, a]), assignedSpecsHash([a, b]));
    assert.notEqual(specsHash(running.slice(0, 2)), assignedSpecsHash([a, b]), 'a missing replica');
    assert.notEqual(assignedSpecsHash([spec('a'), b]), assignedSpecsHash([a, b]), 'another count');
  });

  it('a change is told apart: how it runs (process), where (placement), only its policies, labels or update block (rules), or none', () => {
    const rule = (above: string) => ({
      policies: [{ name: 'leak', when: { metric: 'rss', above }, do: 'restart' }],
    });
    const base = spec('web', rule('400MiB'));
    assert.equal(specChange(base, spec('web', rule('400MiB'))), 'none');
    assert.equal(specChange(base, spec('web', rule('300MiB'))), 'rules');
    assert.equal(specChange(base, spec('web')), 'rules', 'rules removed');
    assert.equal(specChange(base, spec('web', { ...rule('300MiB'), count: 2 })), 'placement');
    assert.equal(specChange(base, spec('web', { ...rule('400MiB'), env: { A: '1' } })), 'process');
    // Labels and the update block are read by selectors and rollouts, never by the process.
    assert.equal(specChange(base, spec('web', { ...rule('400MiB'), labels: { tier: 'b' } })), 'rules');
    assert.equal(
      specChange(base, spec('web', { ...rule('400MiB'), update: { batch_size: 2, min_healthy_time: '5s' } })),
      'rules',
    );
    assert.equal(
      specChange(base, spec('web', { ...rule('400MiB'), labels: { tier: 'b' }, count: 3 })),
      'placement',
    );
  });
});
