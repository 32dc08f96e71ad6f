/**
 * Adopting what an agent reports when the master has no record of it: restricted to that agent (an agent
 * certificate never creates a spec that reaches another agent), validated like an apply, capped per
 * hello, widened for a second agent with the same spec, and a conflict left alone.
 */
import assert from 'node:assert/strict';
import {
  adoptReported,
  MAX_ADOPTED_BYTES_PER_AGENT,
  MAX_ADOPTED_PER_AGENT,
} from '../../master/fleet/adopt.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { Registry } from '../../master/state/registry.js';
import { silentLogger } from '../../shared/logger.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { specBytes, specToWire, type WireSpec } from '../../shared/spec-wire.js';
import { MAX_MAP_KEYS, MAX_YAML_BYTES } from '../../shared/yaml-input.js';
import { tempDir } from '../helpers/common.js';
import { fromAgent } from '../helpers/wire.js';

const spec = (name: string, extra: Record<string, unknown> = {}): HandlerSpec =>
  parseHandler(
    { name, command: ['node', 'w.js'], stop_timeout: '3s', backoff: { initial: '200ms' }, ...extra },
    name,
  );

describe('adopting handlers an agent reports', () => {
  let store: MasterStore;
  let registry: Registry;
  let log: ExecutionLog;
  beforeEach(async () => {
    store = await openMasterStore(tempDir('gov-adopt-'));
    registry = new Registry(store);
    log = new ExecutionLog(store);
    for (const id of ['edge-1', 'edge-2'])
      await registry.upsertAgent({ agent_id: id, labels: { region: 'west' } });
  });
  afterEach(() => store.close());

  /**
   * `specs` (then `raw` wire specs) reported in agent `agent`'s hello, as the master reads them: adopted,
   * then their names noted as the agent's (master/fleet/fleet.ts).
   */
  const adopt = async (agent: string, specs: HandlerSpec[], raw: WireSpec[] = []) => {
    const hello = fromAgent({ hello: { agent_id: agent, cached_specs: [...specs.map(specToWire), ...raw] } });
    const r = await adoptReported(registry, log, agent, hello.hello!.cached_specs, silentLogger);
    await registry.noteHandlers(
      agent,
      hello.hello!.cached_specs.map((s) => s.name),
    );
    return r;
  };

  it('a handler the master has no record of is adopted for that agent only, recorded as an adopt by agent:<id>', async () => {
    const reported = spec('web', {
      agents: ['edge-1', 'edge-2'],
      selector: { region: 'west' },
      env: { A: '1' },
    });
    const r = await adopt('edge-1', [reported]);
    assert.deepEqual(r.adopted, ['web']);
    const v = registry.getSpec('web');
    assert.deepEqual(v?.spec, { ...reported, agents: ['edge-1'], selector: {} });
    assert.equal(v?.adopted, true);
    assert.deepEqual(registry.specsForAgent('edge-2'), [], 'nothing reaches another agent');
    const [rec] = log.query({ kind: 'adopt' }).records;
    assert.equal(rec?.issued_by, 'agent:edge-1');
    assert.equal(rec?.status, 'success');
    assert.equal(rec?.handler, 'web');
  });

  it('a hello from agent A cannot create a spec targeting agent B (agents and selector are replaced)', async () => {
    await adopt('edge-1', [
      spec('evil', { agents: ['edge-2'] }),
      spec('sel', { selector: { region: 'west' } }),
    ]);
    assert.deepEqual(registry.getSpec('evil')?.spec.agents, ['edge-1']);
    assert.deepEqual(registry.getSpec('sel')?.spec.selector, {});
    assert.deepEqual(registry.specsForAgent('edge-2'), []);
    assert.deepEqual(
      registry.specsForAgent('edge-1').map((s) => s.name),
      ['evil', 'sel'],
    );
  });

  it('a second agent with the same spec (targets aside) is added; with a different spec it is a conflict left alone', async () => {
    await adopt('edge-1', [spec('web', { agents: ['edge-1'] })]);
    const r2 = await adopt('edge-2', [spec('web', { agents: ['edge-2'] })]);
    assert.deepEqual(r2.widened, ['web']);
    assert.deepEqual(registry.getSpec('web')?.spec.agents, ['edge-1', 'edge-2']);

    await adopt('edge-1', [spec('api', { agents: ['edge-1'] })]);
    const r3 = await adopt('edge-2', [spec('api', { env: { DIFFERENT: '1' } })]);
    assert.deepEqual(r3.leftAlone, ['api']);
    assert.deepEqual(registry.getSpec('api')?.spec.agents, ['edge-1'], 'the adopted spec is unchanged');
    const conflict = log.query({ kind: 'adopt', agent: 'edge-2', status: 'error' }).records[0];
    assert.match(conflict?.error ?? '', /conflict: agent edge-2 runs api with a spec that differs/);
  });

  it("an admin's spec is never changed by a report; an agent it does not target is told to stop it", async () => {
    await registry.applySpecs([spec('web', { agents: ['edge-1'] })]);
    const r = await adopt('edge-2', [spec('web', { agents: ['edge-2'] })]);
    assert.deepEqual([r.adopted, r.leftAlone], [[], []]);
    assert.deepEqual(registry.removalsFor('edge-2'), ['web']);
    assert.deepEqual(registry.removalsFor('edge-1'), []);
    assert.deepEqual(registry.getSpec('web')?.spec.agents, ['edge-1']);
    assert.equal(registry.getSpec('web')?.version, 1);
  });

  it('a name an agent reported but lost to another agent’s adoption is held (never named for removal) until an admin applies or deletes it', async () => {
    // An empty store: edge-2 reports web first (its own spec), then edge-1 reports the web it really runs.
    await adopt('edge-2', [spec('web', { command: ['/bin/sleep', '1000'] })]);
    const r = await adopt('edge-1', [spec('web')]);
    assert.deepEqual(r.leftAlone, ['web']);
    assert.deepEqual(registry.removalsFor('edge-1'), [], 'edge-1’s web is left running');
    const conflict = log.query({ kind: 'adopt', agent: 'edge-1', status: 'error' }).records[0];
    assert.match(conflict?.error ?? '', /left running on edge-1.*apply a spec for web .* or delete web/);
    // The admin decides: web is edge-1's. edge-2 is told to stop its claim, edge-1 keeps it.
    await registry.applySpecs([spec('web', { agents: ['edge-1'] })]);
    assert.deepEqual(registry.removalsFor('edge-2'), ['web']);
    assert.deepEqual(registry.removalsFor('edge-1'), []);
    // Or deletes it: every agent known to have it is told to stop it.
    await registry.deleteSpec('web');
    assert.deepEqual(registry.removalsFor('edge-1'), ['web']);
    assert.deepEqual(registry.removalsFor('edge-2'), ['web']);
  });

  it('an agent is told to remove only handlers it is known to have: never another agent’s handler names', async () => {
    await registry.applySpecs([
      spec('payroll', { agents: ['edge-1'] }),
      spec('moved', { agents: ['edge-1'] }),
    ]);
    await registry.noteHandlers('edge-1', ['payroll', 'moved']); // what a push to edge-1 records
    await registry.deleteSpec('payroll');
    await registry.applySpecs([spec('moved', { agents: ['edge-2'] })]);
    assert.deepEqual(registry.removalsFor('edge-1'), ['moved', 'payroll']);
    assert.deepEqual(registry.removalsFor('edge-2'), [], 'edge-2 never had either');
    // Names the master knows nothing of are not kept for an agent (bounded by specs and deletions).
    await registry.noteHandlers('edge-2', ['never-heard-of']);
    assert.deepEqual(registry.getAgent('edge-2')?.handlers ?? [], []);
  });

  it('a handler an admin deleted is not adopted back: the agent is told to stop it', async () => {
    await registry.applySpecs([spec('web', { agents: ['edge-1'] })]);
    await registry.deleteSpec('web');
    const r = await adopt('edge-1', [spec('web', { agents: ['edge-1'] })]);
    assert.deepEqual([r.adopted, r.leftAlone], [[], []]);
    assert.deepEqual(registry.removalsFor('edge-1'), ['web']);
    assert.equal(registry.getSpec('web'), undefined);
    // Applied again, it is no longer a deleted name.
    await registry.applySpecs([spec('web', { agents: ['edge-1'] })]);
    assert.equal(registry.wasDeleted('web'), false);
  });

  it('a reported spec the apply validator refuses is not adopted (recorded as a failed adopt)', async () => {
    // A spec with bad values, and one with nothing but a name (all a malformed entry can be on the wire).
    const bad = { ...specToWire(spec('web')), command: [], restart: 'sometimes' };
    const r = await adopt('edge-1', [], [bad, { name: 'x' }]);
    assert.deepEqual(r.adopted, []);
    assert.equal(registry.getSpec('web'), undefined);
    assert.match(
      log.query({ kind: 'adopt', handler: 'web' }).records[0]?.error ?? '',
      /hello from agent edge-1: cached_specs\[0\]/,
    );
  });

  it('a reported spec beyond the YAML input limits (size as a whole, keys in one map) is refused with the reason, nothing stored', async () => {
    const big = spec('big', { env: { X: 'a'.repeat(MAX_YAML_BYTES) } });
    const wide = spec('wide', {
      env: Object.fromEntries(Array.from({ length: MAX_MAP_KEYS + 1 }, (_, i) => [`K${i}`, '1'])),
    });
    const r = await adopt('edge-1', [big, wide, spec('ok')]);
    assert.deepEqual(r.adopted, ['ok']);
    assert.deepEqual(r.leftAlone.sort(), ['big', 'wide']);
    assert.deepEqual(
      registry.listSpecs().map((v) => v.spec.name),
      ['ok'],
    );
    const errorOf = (h: string) => log.query({ kind: 'adopt', handler: h }).records[0]?.error ?? '';
    assert.match(
      errorOf('big'),
      /cached_specs\[0\]: too large: \d+ bytes serialized; the limit for a spec is 1048576 bytes/,
    );
    assert.match(errorOf('wide'), /cached_specs\[1\]\.env: 1001 keys, more than 1000 in one map/);
  });

  it(`the adopted specs of one agent total at most ${MAX_ADOPTED_BYTES_PER_AGENT} bytes, over all its hellos`, async () => {
    // Specs just within the per-spec limit, one per hello (as a reconnecting agent would send them).
    const fat = (i: number) => spec(`fat${i}`, { env: { X: 'a'.repeat(MAX_YAML_BYTES - 1024) } });
    const fits = Math.floor(MAX_ADOPTED_BYTES_PER_AGENT / specBytes(fat(0)));
    for (let i = 0; i < fits + 3; i++) await adopt('edge-1', [fat(i)]);
    const stored = registry.listSpecs();
    assert.equal(stored.length, fits);
    assert.ok(stored.reduce((n, v) => n + specBytes(v.spec), 0) <= MAX_ADOPTED_BYTES_PER_AGENT);
    assert.match(
      log.query({ kind: 'adopt', handler: `fat${fits}` }).records[0]?.error ?? '',
      /agent edge-1's adopted handlers would exceed 8388608 bytes/,
    );
    // A small spec still fits in what is left; another agent has its own room.
    assert.deepEqual((await adopt('edge-1', [spec('small')])).adopted, ['small']);
    assert.deepEqual((await adopt('edge-2', [fat(100)])).adopted, ['fat100']);
  });

  it(`adopts at most ${MAX_ADOPTED_PER_AGENT} handlers for one agent, over all its hellos, and leaves the rest alone`, async () => {
    const many = Array.from({ length: MAX_ADOPTED_PER_AGENT + 10 }, (_, i) => spec(`h${i}`));
    const r = await adopt('edge-1', many);
    assert.equal(r.adopted.length, MAX_ADOPTED_PER_AGENT);
    assert.equal(r.leftAlone.length, 10);
    assert.equal(registry.listSpecs().length, MAX_ADOPTED_PER_AGENT);
    // Reconnecting with other names adopts nothing more.
    const again = await adopt('edge-1', [spec('late-1'), spec('late-2')]);
    assert.deepEqual([again.adopted, again.leftAlone], [[], ['late-1', 'late-2']]);
    assert.equal(registry.listSpecs().length, MAX_ADOPTED_PER_AGENT);
  });
});
