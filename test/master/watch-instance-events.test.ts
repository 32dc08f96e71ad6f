/**
 * Which events an instance change makes: instance for first seen / removed / a state change (busy ↔ idle
 * included), health for health or its reason, both (instance first) when both changed, none for the
 * figures that move on every report (idle_ms, cools_in_ms, events, the busy reason's text).
 */
import assert from 'node:assert/strict';
import type { InstanceStatus } from '../../proto/generated/governor/v1/InstanceStatus.js';
import { instanceEvents } from '../../master/watch/instance-events.js';

const base: InstanceStatus = { handler: 'web', state: 'running', pid: 10, health: 'healthy', idle_ms: 0 };
const kinds = (before: InstanceStatus | null, after: InstanceStatus | null) =>
  instanceEvents(
    {
      agent: 'edge-1',
      key: 'web',
      before,
      after: after && { agent: 'edge-1', status: after, stale: false, reported_at: 'now' },
    },
    'now',
  ).map((e) => e.kind);

describe('watch instance events', () => {
  it('first seen and removed are instance events; removed carries what it was', () => {
    assert.deepEqual(kinds(null, base), ['instance']);
    assert.deepEqual(kinds(base, null), ['instance']);
    const [removed] = instanceEvents({ agent: 'edge-1', key: 'web', before: base, after: null }, 'now');
    assert.equal(removed?.instance?.removed, true);
    assert.equal(removed?.instance?.previous_pid, 10);
    assert.equal(removed?.handler, 'web');
  });

  it('a state or pid change is an instance event with the previous values', () => {
    const [e] = instanceEvents(
      {
        agent: 'edge-1',
        key: 'web',
        before: base,
        after: { agent: 'edge-1', status: { ...base, state: 'stopping' }, stale: false, reported_at: 'now' },
      },
      'now',
    );
    assert.equal(e?.kind, 'instance');
    assert.equal(e?.instance?.previous_state, 'running');
    assert.equal(e?.instance?.instance?.status?.state, 'stopping');
    assert.deepEqual(kinds(base, { ...base, pid: 11 }), ['instance']);
  });

  it('health or its reason alone is a health event; both changed give instance then health', () => {
    assert.deepEqual(kinds(base, { ...base, health: 'unhealthy' }), ['health']);
    assert.deepEqual(kinds(base, { ...base, health_reason: 'probe failed' }), ['health']);
    assert.deepEqual(kinds(base, { ...base, state: 'backoff', health: 'unknown' }), ['instance', 'health']);
  });

  it('the ever-moving figures make no event; busy ↔ idle does', () => {
    assert.deepEqual(kinds(base, { ...base, idle_ms: 5000, cools_in_ms: 100, events: [{ at: 'x' }] }), []);
    assert.deepEqual(kinds({ ...base, busy_reason: 'cpu 30%' }, { ...base, busy_reason: 'cpu 40%' }), []);
    assert.deepEqual(kinds({ ...base, busy_reason: 'cpu 30%' }, { ...base, busy_reason: '' }), ['instance']);
    assert.deepEqual(
      kinds(base, { ...base, pid: 10, restarts: 0 }),
      [],
      'an absent field equals its default',
    );
  });
});
