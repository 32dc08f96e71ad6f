/** The TARGET words (shared/targets.ts): names, instance keys, selectors, and the checks of a whole set. */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import {
  checkTargetSet,
  instanceTarget,
  isEmptyTarget,
  legacyTarget,
  parseSelector,
  parseTargetName,
  requestTargets,
} from '../../shared/targets.js';
import { set } from '../helpers/target-set.js';

describe('TARGET syntax', () => {
  it('parses handler names and instance keys into handler, index and agent', () => {
    assert.deepEqual(parseTargetName('web'), { text: 'web', handler: 'web', index: null, agent: null });
    assert.deepEqual(parseTargetName('web#1'), { text: 'web#1', handler: 'web', index: 1, agent: null });
    assert.deepEqual(parseTargetName('web@edge-1'), {
      text: 'web@edge-1',
      handler: 'web',
      index: 0,
      agent: 'edge-1',
    });
    assert.deepEqual(parseTargetName('web#12@edge-1').index, 12);
  });

  it('refuses bad names, indexes and agents, naming the text', () => {
    for (const [text, why] of [
      ['Web!', /target "Web!": the handler name "Web!" is not valid/],
      ['web#x', /replica index after # must be a number/],
      ['web#01', /replica index after # must be a number/],
      ['web@', /the agent after @ must be an agent id/],
      ['', /handler name "" is not valid/],
    ] as const)
      assert.throws(
        () => parseTargetName(text),
        (e: unknown) => e instanceof ValidationError && why.test(e.message),
      );
  });

  it('prints instances the way they are named back', () => {
    assert.equal(instanceTarget('web', 0, 'edge-1'), 'web@edge-1');
    assert.equal(instanceTarget('web', 1, 'edge-1'), 'web#1@edge-1');
    for (const t of ['web@edge-1', 'web#1@edge-1']) {
      const n = parseTargetName(t);
      assert.equal(instanceTarget(n.handler, n.index ?? 0, n.agent!), t);
    }
  });

  it('selectors: k=v[,k=v], spaces trimmed; a pair without = is refused', () => {
    assert.deepEqual(parseSelector('tier=web, team = a'), { tier: 'web', team: 'a' });
    assert.deepEqual(parseSelector(''), {});
    assert.throws(() => parseSelector('tier'), /selector "tier" must be key=value/);
    assert.throws(() => parseSelector('=x'), /must be key=value/);
    assert.throws(() => parseSelector('g=nomatch,g=x'), /selector key "g" is given twice/);
    // Names every object has are labels like any other.
    assert.deepEqual(parseSelector('constructor=x,toString=y'), { constructor: 'x', toString: 'y' });
  });

  it('a selector pair no label can have is refused, naming the label rule (it would select nothing)', () => {
    assert.throws(
      () => parseSelector('a b=x'),
      /selector "a b=x": label key "a b" must start with a letter or digit/,
    );
    assert.throws(() => parseSelector('-k=x'), /label key "-k"/);
    assert.throws(() => parseSelector(`k=${'v'.repeat(129)}`), /longer than 128 characters/);
    assert.deepEqual(parseSelector('k=a=b,app.io/tier='), { k: 'a=b', 'app.io/tier': '' });
  });

  it('a set: --all stands alone, agents are agent ids, an @agent must agree with --agent', () => {
    assert.equal(checkTargetSet(set({ names: ['web', 'api@edge-1'] })).length, 2);
    assert.throws(() => checkTargetSet(set({ all: true, names: ['web'] })), /--all stands alone/);
    assert.throws(() => checkTargetSet(set({ all: true, selector: { a: 'b' } })), /--all stands alone/);
    assert.throws(() => checkTargetSet(set({ agents: ['bad agent'] })), /is not an agent id/);
    assert.throws(
      () => checkTargetSet(set({ names: ['web@edge-1'], agents: ['edge-2'] })),
      /target web@edge-1 names agent edge-1, but --agent says edge-2/,
    );
    checkTargetSet(set({ names: ['web@edge-1'], agents: ['edge-1', 'edge-2'] }));
  });

  it('empty means no names, no --all, no selector (agents alone narrow everything)', () => {
    assert.equal(isEmptyTarget(set()), true);
    assert.equal(isEmptyTarget(set({ agents: ['edge-1'] })), true);
    assert.equal(isEmptyTarget(set({ all: true })), false);
    assert.equal(isEmptyTarget(set({ selector: { a: 'b' } })), false);
  });

  it('the one-handler fields of older clients become a set', () => {
    assert.deepEqual(legacyTarget('web', '', ''), set({ names: ['web'] }));
    assert.deepEqual(legacyTarget('web', 'edge-1'), set({ names: ['web'], agents: ['edge-1'] }));
    assert.deepEqual(
      legacyTarget('web', 'edge-1', 'web#1'),
      set({ names: ['web#1@edge-1'], agents: ['edge-1'] }),
    );
    assert.deepEqual(legacyTarget('', ''), set());
  });

  it("a request's targets win over its one-handler fields; missing wire fields read as empty", () => {
    assert.deepEqual(
      requestTargets({ handler: 'web', targets: { all: true } }, 'edge-1'),
      set({ all: true }),
    );
    assert.deepEqual(
      requestTargets({ handler: 'web', targets: null }, 'edge-1'),
      legacyTarget('web', 'edge-1'),
    );
  });
});
