/**
 * The Admin service over target sets, in process with scripted agent sessions: one Control call fans out
 * one command per handler and agent, all at once, and answers every instance's own outcome; unknown names,
 * unknown signals and observed processes are refused before anything is sent; signals are recorded as
 * executions of kind `signal`; delete takes whole handlers; reads filter and logs need exactly one instance.
 */
import assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import type { ControlResponse } from '../../proto/generated/governor/v1/ControlResponse.js';
import type { InstanceOutcome } from '../../proto/generated/governor/v1/InstanceOutcome.js';
import type { MetricsResponse } from '../../proto/generated/governor/v1/MetricsResponse.js';
import type { ListInstancesResponse } from '../../proto/generated/governor/v1/ListInstancesResponse.js';
import type { TailLogsResponse } from '../../proto/generated/governor/v1/TailLogsResponse.js';
import { adminHandlers } from '../../master/api/admin-service.js';
import { authorize } from '../../master/api/auth.js';
import type { AgentSession } from '../../master/fleet/agent-session.js';
import { Fleet } from '../../master/fleet/fleet.js';
import type { RolloutEngine } from '../../master/rollout/engine.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { Registry } from '../../master/state/registry.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { StateError } from '../../shared/errors.js';
import { FIELDS_METADATA_KEY } from '../../shared/grpc-status.js';
import { silentLogger } from '../../shared/logger.js';
import { parseHandler } from '../../shared/spec.js';
import type { TargetSet } from '../../shared/targets.js';
import { tempDir } from '../helpers/common.js';
import { set } from '../helpers/target-set.js';
import { ScriptedSession } from '../helpers/scripted-session.js';
import { SerialQueue } from '../../shared/serial-queue.js';

interface RpcError {
  code: number;
  details: string;
  metadata: grpc.Metadata;
}

describe('Admin Control and reads over target sets', () => {
  let store: MasterStore;
  let reg: Registry;
  let log: ExecutionLog;
  let fleet: Fleet;
  let api: ReturnType<typeof adminHandlers>;
  let sessions: Record<string, ScriptedSession>;
  /** Handlers an active rollout holds (the rollout engine's assertIdle, faked). */
  const held = new Set<string>();

  /** Calls an Admin handler as `cn` with role OU `ou`; rejects with the status error. */
  function call<Res>(method: keyof typeof api, request: Record<string, unknown>, cn = 'alice'): Promise<Res> {
    const h = api[method] as unknown as (
      call: unknown,
      cb: (err: RpcError | null, res?: Res) => void,
    ) => void;
    return new Promise((resolve, reject) =>
      h(
        { request, getAuthContext: () => ({ sslPeerCertificate: { subject: { CN: cn, OU: 'admin' } } }) },
        (err, res) => (err ? reject(err) : resolve(res!)),
      ),
    );
  }
  const control = (targets: TargetSet | null, over: Record<string, unknown> = {}) =>
    call<ControlResponse>('Control', {
      action: 'restart',
      handler: '',
      agent: '',
      instance: '',
      targets,
      signal: '',
      main: false,
      ...over,
    });
  const sent = () =>
    Object.values(sessions)
      .flatMap((s) => s.commands.map((c) => `${c.kind} ${c.instance || c.handler}@${s.agentId}`))
      .sort();
  const outcomeKeys = (os: InstanceOutcome[] | undefined) =>
    (os ?? []).map((o) => `${o.instance}@${o.agent}:${o.ok ? 'ok' : `failed(${o.error})`}`);
  async function rejected(p: Promise<unknown>, code: number, message: RegExp, fields?: string[]) {
    await assert.rejects(p, (err: RpcError) => {
      assert.equal(err.code, code, err.details);
      assert.match(err.details, message);
      if (fields) assert.deepEqual(String(err.metadata.get(FIELDS_METADATA_KEY)[0] ?? '').split(','), fields);
      return true;
    });
  }

  beforeEach(async () => {
    store = await openMasterStore(tempDir('gov-control-'));
    reg = new Registry(store);
    log = new ExecutionLog(store);
    fleet = new Fleet(
      reg,
      log,
      { heartbeatIntervalMs: 1000, heartbeatGraceMs: 3000, metricsIntervalMs: 1000, commandTimeoutMs: 5000 },
      silentLogger,
    );
    held.clear();
    const rollouts = {
      specChanges: new SerialQueue(),
      assertIdle: (...handlers: string[]) => {
        for (const h of handlers)
          if (held.has(h)) throw new StateError(`handler ${h} has rollout ro-1 paused; wait for it`);
      },
      assertNotRolling: () => {}, // no rollout moves anything here
    };
    api = adminHandlers(fleet, rollouts as unknown as RolloutEngine);
    sessions = {};
    for (const id of ['edge-1', 'edge-2']) {
      await reg.upsertAgent({ agent_id: id });
      sessions[id] = new ScriptedSession(id);
      fleet.hub.add(sessions[id] as unknown as AgentSession);
    }
    await reg.applySpecs(
      [
        { name: 'web', agents: ['edge-1', 'edge-2'], count: 2, labels: { tier: 'front' } },
        { name: 'api', agents: ['edge-1', 'edge-2'], labels: { tier: 'back' } },
        { name: 'db', agents: ['edge-2'], labels: { tier: 'back' } },
      ].map((raw, i) => parseHandler({ command: ['node', 'x.js'], ...raw }, `handlers[${i}]`)),
    );
    for (const [agent, handler, instance, index, pid] of [
      ['edge-2', 'web', 'web#1', 1, 202],
      ['edge-1', 'web', 'web#1', 1, 102],
      ['edge-2', 'api', 'api', 0, 203],
      ['edge-1', 'web', 'web', 0, 101],
      ['edge-2', 'web', 'web', 0, 201],
      ['edge-1', 'api', 'api', 0, 103],
      ['edge-2', 'db', 'db', 0, 204],
    ] as const)
      await reg.reportStatus(agent, { handler, instance, index, state: 'running', pid });
    await reg.reportStatus('edge-1', {
      handler: 'ext',
      instance: 'ext',
      state: 'running',
      pid: 4242,
      observed: true,
    });
  });
  afterEach(() => store.close());

  it('one call for several handlers: one command per handler and agent, all in flight at once, every instance its outcome', async () => {
    // Each command is held until all four have arrived: the fan-out is concurrent, not one after another.
    let release!: () => void;
    const all = new Promise<void>((r) => (release = r));
    let arrived = 0;
    for (const s of Object.values(sessions))
      s.answer = async () => {
        if (++arrived === 4) release();
        await all;
        return { ok: true, summary: 'restarted' };
      };
    const res = await control(set({ names: ['web', 'api'] }));
    assert.deepEqual(sent(), [
      'RESTART api@edge-1',
      'RESTART api@edge-2',
      'RESTART web@edge-1',
      'RESTART web@edge-2',
    ]);
    assert.equal(res.executions?.length, 4);
    assert.deepEqual(outcomeKeys(res.outcomes), [
      'api@edge-1:ok',
      'api@edge-2:ok',
      'web@edge-1:ok',
      'web#1@edge-1:ok',
      'web@edge-2:ok',
      'web#1@edge-2:ok',
    ]);
    const ids = new Set(res.executions!.map((e) => e.id));
    assert.ok(
      res.outcomes!.every((o) => ids.has(o.execution_id!)),
      'each outcome names its execution',
    );
    assert.equal(res.instances?.length, 6, 'the targeted instances, not the others');
  });

  it('an instance a failed command concerned fails with its error; the others succeed', async () => {
    sessions['edge-2']!.answer = (cmd) =>
      cmd.handler === 'web'
        ? { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'web would not start', fields: [] } }
        : { ok: true };
    const res = await control(set({ selector: { tier: 'front' } }));
    assert.deepEqual(outcomeKeys(res.outcomes), [
      'web@edge-1:ok',
      'web#1@edge-1:ok',
      'web@edge-2:failed(web would not start)',
      'web#1@edge-2:failed(web would not start)',
    ]);
  });

  it('instance keys and --agent send one command per key, or per handler where all its instances there are named', async () => {
    const res = await control(set({ names: ['web#1@edge-2', 'api'], agents: ['edge-2'] }));
    assert.deepEqual(sent(), ['RESTART api@edge-2', 'RESTART web#1@edge-2']);
    assert.deepEqual(outcomeKeys(res.outcomes), ['api@edge-2:ok', 'web#1@edge-2:ok']);
  });

  it('the answer shows the statuses the agents just reported (a restart shows the new PIDs at once)', async () => {
    sessions['edge-2']!.answer = () => ({
      ok: true,
      instances: [{ handler: 'db', instance: 'db', index: 0, state: 'running', pid: 9204 } as never],
    });
    const res = await control(set({ names: ['db'] }));
    assert.deepEqual(
      res.instances?.map((i) => [i.agent, i.status?.pid]),
      [['edge-2', 9204]],
    );
  });

  it('an unknown name among known ones: NOT_FOUND naming it (field targets), nothing sent or recorded', async () => {
    await rejected(
      control(set({ names: ['web', 'nope', 'api'] })),
      5,
      /^unknown handler "nope" \(known: api, db, web\); nothing was done/,
      ['targets'],
    );
    assert.deepEqual(sent(), []);
    assert.equal(log.query({}).records.length, 0);
  });

  it('a selector picking no handler: NOT_FOUND naming the labels (field targets), nothing sent or recorded', async () => {
    await rejected(
      control(set({ selector: { zz: '1' } })),
      5,
      /^no handler has the labels zz=1; nothing was done$/,
      ['targets'],
    );
    await rejected(
      control(set({ selector: { zz: '1' } }), { action: 'signal', signal: 'SIGHUP' }),
      5,
      /zz=1/,
    );
    assert.deepEqual(sent(), []);
    assert.equal(log.query({}).records.length, 0);
  });

  it('no target refused; the one-handler fields of older clients still work', async () => {
    await rejected(control(set()), 3, /no target/);
    const res = await control(null, { handler: 'web', agent: 'edge-1' });
    assert.deepEqual(sent(), ['RESTART web@edge-1']);
    assert.deepEqual(outcomeKeys(res.outcomes), ['web@edge-1:ok', 'web#1@edge-1:ok']);
    const one = await control(null, { handler: 'web', agent: 'edge-2', instance: 'web#1', action: 'stop' });
    assert.deepEqual(outcomeKeys(one.outcomes), ['web#1@edge-2:ok']);
  });

  it('signal: one SIGNAL per instance (a replica not running keeps no other from it) with the canonical name and --main, recorded as kind signal with "SIGHUP main"', async () => {
    const res = await control(set({ all: true, agents: ['edge-1'] }), {
      action: 'signal',
      signal: 'hup',
      main: true,
    });
    const cmds = sessions['edge-1']!.commands;
    assert.deepEqual(
      cmds.map((c) => [c.kind, c.handler, c.instance, c.signal, c.main]),
      [
        ['SIGNAL', 'api', 'api', 'SIGHUP', true],
        ['SIGNAL', 'web', 'web', 'SIGHUP', true],
        ['SIGNAL', 'web', 'web#1', 'SIGHUP', true],
      ],
    );
    assert.deepEqual(sessions['edge-2']!.commands, []);
    assert.deepEqual(outcomeKeys(res.outcomes), ['api@edge-1:ok', 'web@edge-1:ok', 'web#1@edge-1:ok']);
    const recs = log.query({ kind: 'signal' }).records;
    assert.equal(recs.length, 3);
    assert.ok(
      recs.every((r) => r.params_summary === 'SIGHUP main'),
      JSON.stringify(recs),
    );
    await control(set({ names: ['db'] }), { action: 'signal', signal: 'SIGUSR1' });
    assert.equal(log.query({ kind: 'signal', handler: 'db' }).records[0]?.params_summary, 'SIGUSR1 group');
  });

  it('ensure hold_ms and release: the lease length reaches each ENSURE (recorded as "hold 10m"); release is its own kind', async () => {
    await control(set({ names: ['api'] }), { action: 'ensure', hold_ms: 600_000 });
    const cmds = Object.values(sessions).flatMap((x) => x.commands);
    assert.deepEqual(
      cmds.map((c) => [c.kind, c.handler, c.hold_ms]),
      [
        ['ENSURE', 'api', 600_000],
        ['ENSURE', 'api', 600_000],
      ],
    );
    assert.deepEqual(
      log.query({ kind: 'ensure' }).records.map((r) => r.params_summary),
      ['hold 10m', 'hold 10m'],
    );
    await control(set({ names: ['db'] }), { action: 'release' });
    assert.deepEqual(sessions['edge-2']!.commands.at(-1)?.kind, 'RELEASE');
    assert.equal(log.query({ kind: 'release' }).records.length, 1);
  });

  it('hold_ms is refused (INVALID_ARGUMENT, field hold_ms, nothing sent) unless ensure with a lease length', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ action: 'restart', hold_ms: 1000 }, /^hold_ms only applies to action ensure, not restart$/],
      [{ action: 'release', hold_ms: 1000 }, /^hold_ms only applies to action ensure, not release$/],
      [{ action: 'ensure', hold_ms: -5 }, /^hold_ms: -5 ms is not a lease length: it must be more than 0$/],
      [{ action: 'ensure', hold_ms: 2 ** 40 }, /^hold_ms: .* exceeds the longest timer Node can run/],
    ];
    for (const [over, message] of cases)
      await rejected(control(set({ names: ['web'] }), over), 3, message, ['hold_ms']);
    assert.deepEqual(sent(), []);
  });

  it('a hold_ms of NaN, a fraction or beyond the timer cap is no "no lease": refused (field hold_ms), nothing sent or recorded', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ action: 'ensure', hold_ms: NaN }, /^hold_ms: NaN is not a lease length/],
      [
        { action: 'ensure', hold_ms: 1.5 },
        /^hold_ms: 1.5 ms is not a lease length: it must be a whole number/,
      ],
      [{ action: 'ensure', hold_ms: 2 ** 31 }, /^hold_ms: .* exceeds the longest timer Node can run/],
      [{ action: 'ensure', hold_ms: Infinity }, /^hold_ms: .* exceeds the longest timer Node can run/],
      [{ action: 'restart', hold_ms: NaN }, /^hold_ms only applies to action ensure, not restart$/],
      [
        { action: 'signal', signal: 'HUP', hold_ms: 1000 },
        /^hold_ms only applies to action ensure, not signal$/,
      ],
    ];
    for (const [over, message] of cases)
      await rejected(control(set({ names: ['web'] }), over), 3, message, ['hold_ms']);
    assert.deepEqual(sent(), []);
    assert.equal(log.query({}).records.length, 0);
  });

  it('the one-handler fields: a handler that disagrees with instance is refused naming both (INVALID_ARGUMENT), nothing sent or recorded', async () => {
    await rejected(
      control(null, { handler: 'web', agent: 'edge-1', instance: 'api' }),
      3,
      /^handler "web" and instance "api" disagree/,
      ['handler', 'instance'],
    );
    await rejected(
      control(null, { handler: 'api', agent: 'edge-2', instance: 'web#1', action: 'stop' }),
      3,
      /^handler "api" and instance "web#1" disagree/,
      ['handler', 'instance'],
    );
    assert.deepEqual(sent(), []);
    assert.equal(log.query({}).records.length, 0);
    // Agreeing fields, or the instance alone, still name that instance.
    const one = await control(null, { handler: 'web', agent: 'edge-2', instance: 'web#1', action: 'stop' });
    assert.deepEqual(outcomeKeys(one.outcomes), ['web#1@edge-2:ok']);
  });

  it('signal: an unknown signal name is INVALID_ARGUMENT and nothing is sent', async () => {
    for (const bad of ['BOGUS', '9', ''])
      await rejected(
        control(set({ names: ['web'] }), { action: 'signal', signal: bad }),
        3,
        /is not a signal name/,
        ['signal'],
      );
    assert.deepEqual(sent(), []);
  });

  it('signal (and every control action) of an observed process is refused in the observed words, nothing sent', async () => {
    for (const action of ['signal', 'restart'])
      await rejected(
        control(set({ names: ['web', 'ext'] }), { action, signal: 'HUP' }),
        9,
        /ext is an observed process \(attached by PID\): governor never signals it/,
      );
    assert.deepEqual(sent(), []);
  });

  it('logs and delete of an observed process are refused with their own reason, not the signal one', async () => {
    await rejected(
      call('TailLogs', {
        handler: '',
        agent: '',
        tail: 5,
        stream: 'stdout',
        instance: '',
        targets: set({ names: ['ext'] }),
      }),
      9,
      /ext is an observed process \(attached by PID\): governor did not start it and holds no output of it/,
    );
    await rejected(
      call('DeleteHandler', { handler: '', targets: set({ names: ['ext'] }) }),
      9,
      /ext is an observed process \(attached by PID\): it is no handler; `gov detach --agent AGENT --name NAME`/,
    );
    assert.deepEqual(sent(), []);
  });

  it('Control is admin only: a viewer is refused at the interceptor', () => {
    const d = authorize('/governor.v1.Admin/Control', { cn: 'bob', ou: 'viewer' });
    assert.equal(d.ok, false);
    assert.equal(d.ok ? 0 : d.code, 7);
    assert.equal(authorize('/governor.v1.Admin/Control', { cn: 'alice', ou: 'admin' }).ok, true);
  });

  it('ListInstances: a target set filters, sorted by handler, agent, index; observed processes listed', async () => {
    const list = (targets: TargetSet) =>
      call<ListInstancesResponse>('ListInstances', {
        handler: '',
        agent: '',
        targets,
        page_size: 0,
        page_token: '',
      }).then((r) => r.instances!.map((i) => `${i.status!.instance}@${i.agent}`));
    assert.deepEqual(await list(set()), [
      'api@edge-1',
      'api@edge-2',
      'db@edge-2',
      'ext@edge-1',
      'web@edge-1',
      'web#1@edge-1',
      'web@edge-2',
      'web#1@edge-2',
    ]);
    assert.deepEqual(await list(set({ names: ['web#1', 'db'] })), [
      'db@edge-2',
      'web#1@edge-1',
      'web#1@edge-2',
    ]);
    assert.deepEqual(await list(set({ agents: ['edge-1'], selector: { tier: 'back' } })), ['api@edge-1']);
    assert.deepEqual(await list(set({ names: ['ext'] })), ['ext@edge-1']);
    await assert.rejects(list(set({ names: ['nope'] })), (e: RpcError) => e.code === 5);
  });

  it('GetMetrics: asks only the narrowed agents and keeps only the targeted instances', async () => {
    for (const s of Object.values(sessions))
      s.answer = () => ({
        ok: true,
        metrics: {
          host: null,
          instances: ['web', 'web#1', 'api', 'db'].map((key) => ({
            handler: key.split('#')[0],
            instance: key,
          })),
        } as never,
      });
    const metrics = (targets: TargetSet) =>
      call<MetricsResponse>('GetMetrics', { handler: '', agent: '', targets }).then((r) =>
        r.instances!.map((i) => `${i.metrics!.instance}@${i.agent}`),
      );
    assert.deepEqual(await metrics(set({ names: ['web#1', 'db'], agents: ['edge-2'] })), [
      'web#1@edge-2',
      'db@edge-2',
    ]);
    assert.deepEqual(sessions['edge-1']!.commands, [], 'edge-1 not asked');
    assert.deepEqual(await metrics(set({ selector: { tier: 'back' } })), [
      'api@edge-1',
      'api@edge-2',
      'db@edge-2',
    ]);
  });

  it('TailLogs: a target matching one instance needs no agent; several are refused listing them', async () => {
    sessions['edge-2']!.answer = () => ({ ok: true, lines: ['db says hi'] });
    const tail = (targets: TargetSet) =>
      call<TailLogsResponse>('TailLogs', {
        handler: '',
        agent: '',
        tail: 5,
        stream: 'stdout',
        instance: '',
        targets,
      });
    assert.deepEqual((await tail(set({ names: ['db'] }))).lines, ['db says hi']);
    assert.deepEqual(
      sessions['edge-2']!.commands.map((c) => [c.kind, c.handler, c.instance]),
      [['LOGS', 'db', 'db']],
    );
    await rejected(
      tail(set({ names: ['api'] })),
      3,
      /^the target matches 2 instances: api@edge-1, api@edge-2; name one of them$/,
      ['targets'],
    );
    await rejected(tail(set({ names: ['web'], agents: ['edge-1'] })), 3, /web@edge-1, web#1@edge-1/);
  });

  it('DeleteHandler: whole handlers only (names, --all, --selector), each instance its outcome', async () => {
    const del = (targets: TargetSet) => call<ControlResponse>('DeleteHandler', { handler: '', targets });
    await rejected(del(set({ names: ['web@edge-1'] })), 3, /not instance keys \(web@edge-1\)/, ['targets']);
    await rejected(del(set({ names: ['web'], agents: ['edge-1'] })), 3, /not agents \(--agent\)/, [
      'targets',
    ]);
    await rejected(del(set({ names: ['web', 'nope'] })), 5, /unknown handler "nope"/, ['targets']);
    assert.ok(reg.getSpec('web'), 'nothing deleted by a refused request');
    const res = await del(set({ selector: { tier: 'back' } }));
    assert.deepEqual(outcomeKeys(res.outcomes), ['api@edge-1:ok', 'api@edge-2:ok', 'db@edge-2:ok']);
    assert.equal(reg.getSpec('api'), undefined);
    assert.equal(reg.getSpec('db'), undefined);
    assert.ok(reg.getSpec('web'));
    assert.deepEqual(sent(), ['APPLY @edge-1', 'APPLY @edge-2'], 'one spec push per agent');
  });

  it('DeleteHandler: a handler a rollout holds is refused (the rollout would fail for all it covers), nothing deleted', async () => {
    held.add('db');
    const del = (targets: TargetSet) => call<ControlResponse>('DeleteHandler', { handler: '', targets });
    await rejected(del(set({ selector: { tier: 'back' } })), 9, /handler db has rollout ro-1 paused/);
    assert.ok(reg.getSpec('api') && reg.getSpec('db'), 'neither deleted');
    assert.deepEqual(sent(), []);
  });
});
