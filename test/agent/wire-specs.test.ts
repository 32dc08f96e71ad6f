/**
 * The agent's side of the spec contract: an APPLY or UPDATE is validated with the apply validator on
 * receipt and refused whole, naming the field, before anything changes; the hello's specs_hash is the
 * master's hash of what it assigned (so a reconnect can skip resending it); and an APPLY with keep_specs
 * leaves every instance on its spec while still stopping what `remove` names.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { GovernorAgent } from '../../agent/governor-agent.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { commandFor, type CommandFields } from '../../master/fleet/wire.js';
import { ValidationError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { assignedSpecsHash } from '../../shared/spec-hash.js';
import { specsFromWire } from '../../shared/spec-wire.js';
import { fixture, tempDir, trackPid } from '../helpers/common.js';
import { fromAgent, fromMaster } from '../helpers/wire.js';

/** On-demand specs rest cold: nothing is spawned. */
const cold = (name: string, extra: Record<string, unknown> = {}): HandlerSpec =>
  parseHandler({ name, command: ['node', fixture('ticker.mjs')], mode: 'on-demand', ...extra }, name);
const byName = (specs: HandlerSpec[]) => [...specs].sort((a, b) => a.name.localeCompare(b.name));

describe('agent: specs from the master are typed, validated on receipt and hashed', () => {
  let sup: Supervisor;
  let agent: GovernorAgent;
  /** Carries out `fields` as the agent reads them off the wire. */
  const run = (fields: CommandFields) =>
    agent.execute(fromMaster({ command: commandFor('c-1', fields) }).command!);
  beforeEach(async () => {
    const dataDir = tempDir();
    sup = await Supervisor.create({ dataDir, pollIntervalMs: 50 });
    const credentials = grpc.credentials.createInsecure();
    agent = new GovernorAgent(
      sup,
      { agentId: 'edge-1', address: '127.0.0.1:1', credentials, labels: {}, dataDir },
      silentLogger,
    );
  });
  afterEach(() => sup.shutdown());

  it('an APPLY runs the specs the master compiled, and the hello reports them back unchanged', async () => {
    const specs = [cold('a', { count: 2, env: { X: '1' }, inherit_env: [] }), cold('b', { cwd: '/tmp' })];
    const res = await run({ kind: 'APPLY', handler: '', specs });
    assert.match(res.summary ?? '', /^applied 2 handler spec/);
    assert.deepEqual(byName(sup.specs()), specs);
    const hello = fromAgent({ hello: { agent_id: 'edge-1', ...agent.inventory() } }).hello!;
    assert.deepEqual(byName(specsFromWire(hello.cached_specs, 'cached_specs', 'test')), specs);
  });

  it('an APPLY answers once its new handlers are spawned, not when a long start window ends', async () => {
    const slow = parseHandler({ name: 'slow', command: ['sleep', '600'], start_seconds: 3600 }, 'slow');
    const res = await run({ kind: 'APPLY', handler: '', specs: [slow] });
    const [st] = res.instances ?? [];
    assert.equal(st?.state, 'starting');
    assert.ok(st?.pid, 'spawned');
    trackPid(st.pgid || undefined, true);
  });

  it('an APPLY or UPDATE with a spec the apply validator refuses is refused naming the field; nothing changes', async () => {
    const a = cold('a');
    await run({ kind: 'APPLY', handler: '', specs: [a] });
    const bad = { ...cold('b'), restart: 'sometimes' } as unknown as HandlerSpec;
    const refused = (field: RegExp) => (err: Error) =>
      err instanceof ValidationError && field.test(err.message);
    await assert.rejects(
      run({ kind: 'APPLY', handler: '', specs: [cold('a', { env: { NEW: '1' } }), bad] }),
      refused(/^APPLY from the master: specs\[1\]\.restart: "sometimes" must be one of/),
    );
    await assert.rejects(
      run({ kind: 'UPDATE', handler: 'a', instance: 'a', specs: [{ ...a, count: 0 }] }),
      refused(/^UPDATE from the master: specs\[0\]\.count: 0 must be an integer ≥ 1/),
    );
    assert.deepEqual(sup.specs(), [a], 'a keeps its spec; b was not added');
  });

  it("the hello's specs_hash is the master's hash of the specs it assigned, and follows a change", async () => {
    const v1 = [cold('a', { count: 3 }), cold('b')];
    await run({ kind: 'APPLY', handler: '', specs: v1 });
    assert.equal(agent.inventory().specs_hash, assignedSpecsHash(v1));
    const v2 = [cold('a', { count: 3, env: { V: '2' } }), cold('b')];
    await run({ kind: 'APPLY', handler: '', specs: v2 });
    assert.equal(agent.inventory().specs_hash, assignedSpecsHash(v2));
    assert.notEqual(assignedSpecsHash(v2), assignedSpecsHash(v1));
    // Held under a rolling update, the existing instances keep v1: the hash says so.
    await run({ kind: 'APPLY', handler: '', specs: v1 });
    await run({ kind: 'APPLY', handler: '', specs: v2, hold: ['a'] });
    assert.notEqual(agent.inventory().specs_hash, assignedSpecsHash(v2));
  });

  it('an APPLY with keep_specs keeps every instance on its spec and stops only what remove names', async () => {
    const specs = [cold('a', { count: 2 }), cold('b')];
    await run({ kind: 'APPLY', handler: '', specs });
    const hash = agent.inventory().specs_hash;
    const res = await run({ kind: 'APPLY', handler: '', keepSpecs: true, sync: true, remove: ['b'] });
    assert.match(res.summary ?? '', /^kept /);
    assert.deepEqual(sup.specs(), [specs[0]]);
    assert.deepEqual(
      sup.status().map((s) => s.instance),
      ['a', 'a#1'],
    );
    assert.notEqual(agent.inventory().specs_hash, hash);
    assert.equal(agent.inventory().specs_hash, assignedSpecsHash([specs[0]!]));
  });
});
