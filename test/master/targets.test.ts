/**
 * Resolving a TARGET set against the registry (master/state/targets.ts): names, instance keys, --all,
 * --selector, agents narrowing; unknown names refused all together before anything is done; observed
 * processes listed by reads and refused by commands; and how instances group into commands.
 */
import assert from 'node:assert/strict';
import { GovError, NotFoundError, StateError, ValidationError } from '../../shared/errors.js';
import { parseHandler } from '../../shared/spec.js';
import type { TargetSet } from '../../shared/targets.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { Registry } from '../../master/state/registry.js';
import { commandUnits, resolveTargets, type ResolveOptions } from '../../master/state/targets.js';
import { tempDir } from '../helpers/common.js';
import { set } from '../helpers/target-set.js';

const COMMAND: ResolveOptions = { empty: 'refuse', observed: 'refuse' };
const READ: ResolveOptions = { empty: 'everything', observed: 'include' };

describe('target sets resolved against the registry', () => {
  let store: MasterStore;
  let reg: Registry;
  beforeEach(async () => {
    store = await openMasterStore(tempDir('gov-targets-'));
    reg = new Registry(store);
    for (const id of ['edge-1', 'edge-2', 'edge-3']) await reg.upsertAgent({ agent_id: id });
    await reg.applySpecs(
      [
        { name: 'web', agents: ['edge-1', 'edge-2'], count: 2, labels: { tier: 'front', team: 'a' } },
        { name: 'api', agents: ['edge-1', 'edge-2'], labels: { tier: 'back', team: 'a' } },
        { name: 'db', agents: ['edge-3'], labels: { tier: 'back', team: 'b' } },
      ].map((raw, i) => parseHandler({ command: ['node', 'x.js'], ...raw }, `handlers[${i}]`)),
    );
    // edge-3 also runs an observed process named `ext`.
    await reg.reportStatus('edge-3', {
      handler: 'ext',
      instance: 'ext',
      state: 'running',
      pid: 4242,
      observed: true,
    });
  });
  afterEach(() => store.close());

  const keys = (s: TargetSet, opts = COMMAND) =>
    resolveTargets(reg, s, opts).instances.map((i) => `${i.key}@${i.agent}`);

  /** `fn` throws a GovError of `kind` naming `fields`, whose message matches. */
  const refused = (fn: () => unknown, kind: string, message: RegExp, fields = ['targets']) =>
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof GovError, String(err));
      assert.equal(err.kind, kind, err.message);
      assert.match(err.message, message);
      assert.deepEqual(err.fields, fields);
      return true;
    });

  it('a handler name takes every instance of it on every agent it is assigned to, sorted', () => {
    assert.deepEqual(keys(set({ names: ['web'] })), [
      'web@edge-1',
      'web#1@edge-1',
      'web@edge-2',
      'web#1@edge-2',
    ]);
  });

  it('instance keys take one instance (web@edge-1, web#1@edge-2) or one index everywhere (web#1)', () => {
    assert.deepEqual(
      keys(set({ names: ['web@edge-1'] })),
      ['web@edge-1'],
      'web@edge-1 is index 0, as ps prints it',
    );
    assert.deepEqual(keys(set({ names: ['web#1@edge-2'] })), ['web#1@edge-2']);
    assert.deepEqual(keys(set({ names: ['web#1'] })), ['web#1@edge-1', 'web#1@edge-2']);
    assert.deepEqual(keys(set({ names: ['web#1@edge-2', 'api'] })), [
      'api@edge-1',
      'api@edge-2',
      'web#1@edge-2',
    ]);
  });

  it('--all takes every handler; --selector those whose labels match every pair', () => {
    assert.deepEqual(resolveTargets(reg, set({ all: true }), COMMAND).handlers, ['api', 'db', 'web']);
    assert.deepEqual(resolveTargets(reg, set({ selector: { tier: 'back' } }), COMMAND).handlers, [
      'api',
      'db',
    ]);
    assert.deepEqual(resolveTargets(reg, set({ selector: { tier: 'back', team: 'b' } }), COMMAND).handlers, [
      'db',
    ]);
    assert.throws(
      () => keys(set({ selector: { tier: 'none' } })),
      (e: Error) =>
        e instanceof NotFoundError &&
        /^no handler has the labels tier=none; nothing was done$/.test(e.message),
      'a command whose selector picks no handler does nothing: refused',
    );
    assert.deepEqual(
      resolveTargets(reg, set({ selector: { tier: 'none' } }), { empty: 'everything', observed: 'include' })
        .instances,
      [],
      'a read whose selector matches nothing lists nothing',
    );
  });

  it('--agent narrows any set to instances on those agents', () => {
    assert.deepEqual(keys(set({ all: true, agents: ['edge-2'] })), [
      'api@edge-2',
      'web@edge-2',
      'web#1@edge-2',
    ]);
    assert.deepEqual(keys(set({ names: ['web'], agents: ['edge-1'] })), ['web@edge-1', 'web#1@edge-1']);
  });

  it('a selector (or --all) that --agent narrows to no instance is refused by commands, listed empty by reads', () => {
    // db (tier=back, team=b) runs on edge-3 only.
    const set1 = set({ selector: { team: 'b' }, agents: ['edge-1'] });
    refused(
      () => resolveTargets(reg, set1, COMMAND),
      'NOT_FOUND',
      /--selector team=b picks db, none of which runs on edge-1; nothing was done/,
    );
    assert.deepEqual(keys(set1, READ), []);
    assert.deepEqual(keys(set({ selector: { tier: 'back' }, agents: ['edge-3'] })), ['db@edge-3']);
  });

  it('unknown names are refused all together, listed with the known handlers, before anything', () => {
    refused(
      () => resolveTargets(reg, set({ names: ['web', 'nope', 'api', 'nada'] }), COMMAND),
      'NOT_FOUND',
      /^unknown handlers "nope", "nada" \(known: api, db, web\); nothing was done/,
    );
    refused(
      () => resolveTargets(reg, set({ names: ['web'], agents: ['edge-9'] }), COMMAND),
      'NOT_FOUND',
      /^unknown agent "edge-9" \(known: edge-1, edge-2, edge-3\)/,
    );
    refused(
      () => resolveTargets(reg, set({ names: ['web@edge-9'] }), READ),
      'NOT_FOUND',
      /unknown agent "edge-9"/,
    );
  });

  it('a known name that names no instance is refused naming what exists', () => {
    refused(
      () => resolveTargets(reg, set({ names: ['web#2'] }), COMMAND),
      'NOT_FOUND',
      /handler web has 2 instance\(s\) per agent \(web, web#1\)/,
    );
    refused(
      () => resolveTargets(reg, set({ names: ['db@edge-1'] }), COMMAND),
      'NOT_FOUND',
      /handler db is not assigned to agent edge-1 \(assigned: edge-3\)/,
    );
    refused(
      () => resolveTargets(reg, set({ names: ['db'], agents: ['edge-1'] }), COMMAND),
      'NOT_FOUND',
      /target db: handler db is not assigned to agent edge-1 \(assigned: edge-3\)/,
    );
    refused(
      () => resolveTargets(reg, set({ names: ['web@edge-1'], agents: ['edge-2'] }), COMMAND),
      'INVALID_ARGUMENT',
      /target web@edge-1 names agent edge-1, but --agent says edge-2/,
    );
  });

  it('an observed process is listed by reads and refused by commands in the observed words', () => {
    const read = resolveTargets(reg, set({ names: ['ext'] }), READ);
    const ext = reg.listInstances({ agent: 'edge-3' }).find((v) => v.status.observed)!;
    assert.ok(read.matches(ext), 'gov ps ext lists it');
    assert.ok(resolveTargets(reg, set(), READ).matches(ext), 'gov ps lists it');
    assert.deepEqual(read.instances, [], 'no spec instance: nothing to command');
    assert.throws(
      () => resolveTargets(reg, set({ names: ['web', 'ext'] }), COMMAND),
      (err: unknown) =>
        err instanceof StateError &&
        /ext is an observed process .*governor never signals it/.test(err.message),
    );
    assert.ok(
      !resolveTargets(reg, set({ all: true }), COMMAND).instances.some((i) => i.handler === 'ext'),
      '--all never takes an observed process for a command',
    );
  });

  it('an empty set: everything for reads, a refusal naming the choices for commands', () => {
    assert.deepEqual(resolveTargets(reg, set(), READ).handlers, ['api', 'db', 'web']);
    assert.throws(
      () => resolveTargets(reg, set(), COMMAND),
      (err: unknown) =>
        err instanceof ValidationError && /no target: name handlers or instances/.test(err.message),
    );
    assert.throws(() => resolveTargets(reg, set({ all: true, names: ['web'] }), READ), ValidationError);
  });

  it('reads match reported instances by the same rule (matchesKey)', () => {
    const r = resolveTargets(reg, set({ names: ['web#1'], agents: ['edge-2'] }), READ);
    assert.equal(r.matchesKey('web', 'web#1', 'edge-2'), true);
    assert.equal(r.matchesKey('web', 'web#1', 'edge-1'), false);
    assert.equal(r.matchesKey('web', 'web', 'edge-2'), false);
    assert.equal(r.matchesKey('api', 'api', 'edge-2'), false);
  });

  it('commands: one per handler and agent when all its instances there are targeted, else one per key', () => {
    const units = (s: TargetSet) =>
      commandUnits(reg, resolveTargets(reg, s, COMMAND).instances).map(
        (u) => `${u.handler}/${u.agent}/${u.instance || '*'}:${u.targets.length}`,
      );
    assert.deepEqual(units(set({ names: ['web', 'api'] })), [
      'api/edge-1/*:1',
      'api/edge-2/*:1',
      'web/edge-1/*:2',
      'web/edge-2/*:2',
    ]);
    assert.deepEqual(units(set({ names: ['web#1'] })), ['web/edge-1/web#1:1', 'web/edge-2/web#1:1']);
    assert.deepEqual(units(set({ names: ['web@edge-1', 'web#1'] })), [
      'web/edge-1/*:2',
      'web/edge-2/web#1:1',
    ]);
  });

  it('ensure: instances named one by one get one command each (a handler-wide ENSURE wakes one instance); a handler name stays one', () => {
    const ensureUnits = (s: TargetSet) =>
      commandUnits(reg, resolveTargets(reg, s, COMMAND).instances, { perNamed: true }).map(
        (u) => `${u.handler}/${u.agent}/${u.instance || '*'}:${u.targets.length}`,
      );
    assert.deepEqual(ensureUnits(set({ names: ['web#0@edge-1', 'web#1@edge-1'] })), [
      'web/edge-1/web:1',
      'web/edge-1/web#1:1',
    ]);
    assert.deepEqual(ensureUnits(set({ names: ['web'], agents: ['edge-1'] })), ['web/edge-1/*:2']);
    assert.deepEqual(
      ensureUnits(set({ all: true })).filter((u) => u.startsWith('web/')),
      ['web/edge-1/*:2', 'web/edge-2/*:2'],
    );
  });

  it('NotFound refusals of names carry the field `targets` (the CLI exits 2 on them)', () => {
    try {
      resolveTargets(reg, set({ names: ['nope'] }), COMMAND);
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof NotFoundError);
      assert.deepEqual(err.fields, ['targets']);
    }
  });
});
