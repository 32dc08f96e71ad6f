/** Watch requests: kinds and names validated (unknown kinds refused, naming them); what passes a filter. */
import assert from 'node:assert/strict';
import { compileWatchFilter, passes } from '../../master/watch/watch-filter.js';
import { request } from './watch-fakes.js';

describe('watch filters', () => {
  it('refuses an unknown kind, naming it and listing the kinds', () => {
    assert.throws(
      () => compileWatchFilter(request({ kinds: ['instance', 'bogus'] })),
      (e: Error & { kind?: string }) =>
        e.kind === 'INVALID_ARGUMENT' &&
        /"bogus"/.test(e.message) &&
        /instance, health, execution, rollout, agent, policy, metrics/.test(e.message),
    );
  });

  it('refuses invalid handler names, agent ids and indexes, naming the field', () => {
    assert.throws(
      () => compileWatchFilter(request({ handlers: ['Web!'] })),
      /handlers: "Web!" is not a valid/,
    );
    assert.throws(() => compileWatchFilter(request({ agents: ['a b'] })), /agents: "a b"/);
    assert.throws(() => compileWatchFilter(request({ since: -1 })), /since/);
    assert.throws(() => compileWatchFilter(request({ since: 1.5 })), /since/);
    assert.throws(() => compileWatchFilter(request({ metrics_interval_ms: -5 })), /metrics_interval_ms/);
  });

  it('without kinds: every kept kind, no metrics; metrics are opt-in', () => {
    const all = compileWatchFilter(request());
    assert.deepEqual([...all.kinds].sort(), [
      'agent',
      'execution',
      'health',
      'instance',
      'policy',
      'rollout',
    ]);
    assert.equal(all.metricsIntervalMs, null);
    assert.equal(compileWatchFilter(request({ metrics_interval_ms: 1000 })).metricsIntervalMs, 1000);
    assert.equal(compileWatchFilter(request({ kinds: ['metrics'] })).metricsIntervalMs, 0);
    assert.equal(
      compileWatchFilter(request({ kinds: ['instance'], metrics_interval_ms: 1000 })).metricsIntervalMs,
      null,
      'kinds without metrics leaves them out',
    );
  });

  it('handlers and agents narrow events; agent events and metrics pass the handler filter; a rollout passes when it covers one', () => {
    const f = compileWatchFilter(request({ handlers: ['web'], agents: ['edge-1'], kinds: [] }));
    assert.equal(passes(f, { kind: 'instance', handlers: ['web'], agent: 'edge-1' }), true);
    assert.equal(passes(f, { kind: 'instance', handlers: ['db'], agent: 'edge-1' }), false);
    assert.equal(passes(f, { kind: 'instance', handlers: ['web'], agent: 'edge-2' }), false);
    assert.equal(passes(f, { kind: 'agent', handlers: [], agent: 'edge-1' }), true);
    assert.equal(passes(f, { kind: 'agent', handlers: [], agent: 'edge-2' }), false);
    assert.equal(passes(f, { kind: 'rollout', handlers: ['db', 'web'], agent: '' }), true);
    assert.equal(passes(f, { kind: 'rollout', handlers: ['db'], agent: '' }), false);
    assert.equal(passes(f, { kind: 'execution', handlers: [], agent: 'edge-1' }), false, 'about no handler');
    assert.equal(passes(f, { kind: 'notice', handlers: [], agent: '' }), true);
    const kinds = compileWatchFilter(request({ kinds: ['health'] }));
    assert.equal(passes(kinds, { kind: 'instance', handlers: ['web'], agent: 'edge-1' }), false);
    assert.equal(passes(kinds, { kind: 'health', handlers: ['web'], agent: 'edge-1' }), true);
    assert.equal(passes(kinds, { kind: 'snapshot', handlers: [], agent: '' }), true, 'always sent');
  });
});
