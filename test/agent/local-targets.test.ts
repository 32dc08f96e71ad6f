/**
 * Target sets on an agent's local socket (agent/local/local-targets.ts) follow the master's rules: a command
 * whose --all or --selector picks no handler does nothing and is refused (NOT_FOUND, field targets: exit 2);
 * a read whose selector matches nothing lists nothing.
 */
import assert from 'node:assert/strict';
import { resolveLocalTargets } from '../../agent/local/local-targets.js';
import { NotFoundError } from '../../shared/errors.js';
import { parseHandler } from '../../shared/spec.js';
import { set } from '../helpers/target-set.js';

describe('local target sets', () => {
  const specs = [parseHandler({ name: 'web', command: ['x'], count: 2, labels: { tier: 'front' } }, 'web')];
  const COMMAND = { empty: 'refuse', observed: 'refuse' } as const;

  it('a command whose selector picks no handler is refused, naming the labels; a read lists nothing', () => {
    assert.throws(
      () => resolveLocalTargets(specs, new Set(), 'edge-1', set({ selector: { tier: 'back' } }), COMMAND),
      (e: Error) =>
        e instanceof NotFoundError &&
        e.message === 'no handler has the labels tier=back; nothing was done' &&
        (e.fields ?? []).includes('targets'),
    );
    const read = resolveLocalTargets(specs, new Set(), 'edge-1', set({ selector: { tier: 'back' } }), {
      empty: 'everything',
      observed: 'include',
    });
    assert.deepEqual(read.instances, []);
    const picked = resolveLocalTargets(
      specs,
      new Set(),
      'edge-1',
      set({ selector: { tier: 'front' } }),
      COMMAND,
    );
    assert.deepEqual(
      picked.instances.map((i) => i.key),
      ['web', 'web#1'],
    );
  });

  it('--all on an agent without handlers is refused as naming nothing', () => {
    assert.throws(
      () => resolveLocalTargets([], new Set(), 'edge-1', set({ all: true }), COMMAND),
      /^NotFoundError|there are no handlers; nothing was done/,
    );
  });
});
