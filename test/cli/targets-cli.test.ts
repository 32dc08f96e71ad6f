/**
 * The CLI's target sets against a fake master: TARGET... with --all, --selector and repeatable --agent become
 * one call; every instance is printed with its own outcome (exit 1 when one failed); the master's refusal of
 * unknown names exits 2; gov signal checks the signal name before connecting; gov delete takes whole handlers
 * and prints what it deleted; every text output ends with a newline.
 */
import assert from 'node:assert/strict';
import { GovError, NotFoundError } from '../../shared/errors.js';
import type { ControlResponse } from '../../master/cli/admin-client.js';
import { FakeAdmin, execution, instance, outcome, runGov as gov, targetSet } from './fake-admin.js';

/** A control answer for web on edge-1 and edge-2 whose edge-2 command failed. */
function halfFailed(): ControlResponse {
  const failed = execution({
    id: 'ex-2',
    agent: 'edge-2',
    status: 'error',
    error: 'agent edge-2 is not connected',
  });
  return {
    executions: [execution({ id: 'ex-1' }), failed],
    instances: [instance({ pid: 5555 })],
    outcomes: [
      outcome({ agent: 'edge-2', ok: false, error: failed.error, execution_id: 'ex-2' }),
      outcome({ execution_id: 'ex-1' }),
    ],
  };
}

describe('gov commands over target sets (fake master)', () => {
  it('names, --all, --selector and repeated --agent become one call with one target set', async () => {
    const cases: Array<[string[], unknown]> = [
      [['restart', 'web', 'api#1@edge-2'], targetSet({ names: ['web', 'api#1@edge-2'] })],
      [
        ['stop', '--all', '--agent', 'edge-1', '--agent', 'edge-2'],
        targetSet({ all: true, agents: ['edge-1', 'edge-2'] }),
      ],
      [['start', '--selector', 'tier=web,team=a'], targetSet({ selector: { tier: 'web', team: 'a' } })],
      [['ensure', 'web', '--selector', 'tier=web'], targetSet({ names: ['web'], selector: { tier: 'web' } })],
    ];
    for (const [argv, set] of cases) {
      const { code, io, fake } = await gov(argv);
      assert.equal(code, 0, `${argv.join(' ')}: ${io.stderr}`);
      assert.deepEqual(fake.calls, [['control', argv[0], set, undefined]], argv.join(' '));
    }
    const twice = await gov(['restart', '--selector', 'tier=web', '--selector', 'team=a']);
    assert.equal(twice.code, 0, twice.io.stderr);
    assert.deepEqual(
      twice.fake.calls,
      [['control', 'restart', targetSet({ selector: { tier: 'web', team: 'a' } }), undefined]],
      'a repeated --selector adds its pairs: every one must match',
    );
    const ps = await gov(['ps', '--selector', 'tier=web', '--agent', 'edge-2']);
    assert.deepEqual(ps.fake.calls, [
      ['listInstances', { targets: targetSet({ selector: { tier: 'web' }, agents: ['edge-2'] }) }],
    ]);
    const metrics = await gov(['metrics', 'web#1', 'api']);
    assert.deepEqual(metrics.fake.calls, [
      ['getMetrics', { targets: targetSet({ names: ['web#1', 'api'] }) }],
    ]);
  });

  it('ensure --hold DUR sends the lease length; release takes targets like the other control commands', async () => {
    const held = await gov(['ensure', 'web', '--hold', '10m', '--json']);
    assert.equal(held.code, 0, held.io.stderr);
    assert.deepEqual(held.fake.calls, [
      ['control', 'ensure', targetSet({ names: ['web'] }), undefined, { hold_ms: 600_000 }],
    ]);
    assert.equal((JSON.parse(held.io.stdout) as { hold_ms: number }).hold_ms, 600_000);
    const released = await gov(['release', 'web@edge-1', '--selector', 'tier=web']);
    assert.equal(released.code, 0, released.io.stderr);
    assert.deepEqual(released.fake.calls, [
      ['control', 'release', targetSet({ names: ['web@edge-1'], selector: { tier: 'web' } }), undefined],
    ]);
    assert.ok(released.io.stdout.endsWith('\n'));
  });

  it('a bad --hold is a usage error naming the flag (exit 2, nothing connects); only ensure takes it', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['ensure', 'web', '--hold', 'soon'], /^error: --hold: "soon" is not a duration/],
      [['ensure', 'web', '--hold', '0'], /^error: --hold "0": must be longer than 0/],
      [['ensure', 'web', '--hold', '30d'], /^error: --hold: "30d" exceeds the longest timer Node can run/],
      [['ensure', 'web', '--hold'], /argument missing/],
      [['release', 'web', '--hold', '1m'], /unknown option '--hold'/],
      [['restart', 'web', '--hold', '1m'], /unknown option '--hold'/],
    ];
    for (const [argv, error] of cases) {
      const { code, io, fake } = await gov(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${io.stderr}`);
      assert.match(io.stderr, error, argv.join(' '));
      assert.deepEqual(fake.connections, [], argv.join(' '));
    }
  });

  it('a control command without a target is a usage error naming the choices; nothing connects', async () => {
    for (const action of ['start', 'stop', 'restart', 'ensure', 'release']) {
      const { code, io, fake } = await gov([action, '--agent', 'edge-1']);
      assert.equal(code, 2, io.stderr);
      assert.match(
        io.stderr,
        new RegExp(
          `^error: gov ${action} needs a target: handler names or instances \\(web, web@edge-1, web#1@edge-1\\), --all, or --selector K=V\\n`,
        ),
      );
      assert.deepEqual(fake.connections, []);
    }
  });

  it('an empty --selector is a usage error, never "everything" (reads and controls alike); nothing connects', async () => {
    for (const argv of [
      ['ps', '--selector', ''],
      ['metrics', '--selector', ' '],
      ['restart', '--selector', ''],
      ['logs', '--selector', ''],
      ['ps', '--selector', 'tier=web', '--selector', ''],
    ]) {
      const { code, io, fake } = await gov(argv);
      assert.equal(code, 2, argv.join(' '));
      assert.match(io.stderr, /^error: --selector "\s*" is empty: give key=value pairs\n/, argv.join(' '));
      assert.deepEqual(fake.connections, [], argv.join(' '));
    }
    const clash = await gov(['ps', '--selector', 'tier=web', '--selector', 'tier=api']);
    assert.equal(clash.code, 2);
    assert.match(clash.io.stderr, /selector key "tier" is given twice/);
  });

  it("the master's refusal of an unknown name among known ones exits 2 with its words (nothing was done)", async () => {
    const fake = new FakeAdmin({
      control: async () => {
        throw new NotFoundError(
          'unknown handler "nope" (known: api, web); nothing was done — apply a spec with gov apply -f',
          {
            fields: ['targets'],
          },
        );
      },
    });
    const { code, io } = await gov(['restart', 'web', 'nope', 'api'], fake);
    assert.equal(code, 2, io.stderr);
    assert.equal(
      io.stderr,
      'error: unknown handler "nope" (known: api, web); nothing was done — apply a spec with gov apply -f\n',
    );
    assert.equal(io.stdout, '');
    // The same kind without the targets field (e.g. an execution record not found) stays a failure: exit 1.
    const other = new FakeAdmin({
      control: async () => {
        throw new GovError('NOT_FOUND', 'something else');
      },
    });
    assert.equal((await gov(['restart', 'web'], other)).code, 1);
  });

  it('one line per instance in ps order; a failed one exits 1 with its error on stderr; --json has outcomes', async () => {
    const fake = new FakeAdmin({ control: async () => halfFailed() });
    let r = await gov(['restart', 'web'], fake);
    assert.equal(r.code, 1);
    assert.equal(
      r.io.stdout,
      'web@edge-1: running, pid 5555\nweb@edge-2: failed: agent edge-2 is not connected (execution ex-2)\n',
    );
    assert.equal(r.io.stderr, 'error: restart web@edge-2: agent edge-2 is not connected\n');
    r = await gov(['restart', 'web', '--json'], fake);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.io.stdout) as { outcomes: Array<Record<string, unknown>>; targets: unknown };
    assert.deepEqual(doc.targets, targetSet({ names: ['web'] }));
    assert.deepEqual(
      doc.outcomes.map((o) => [o.key, o.ok, o.error, o.execution_id, o.pid]),
      [
        ['web@edge-1', true, null, 'ex-1', 5555],
        ['web@edge-2', false, 'agent edge-2 is not connected', 'ex-2', null],
      ],
    );
  });

  it('gov signal: the name checked before connecting (any case, SIG optional), --main passed, one line per instance', async () => {
    let r = await gov(['signal', 'hup', 'web']);
    assert.equal(r.code, 0, r.io.stderr);
    assert.deepEqual(r.fake.calls, [
      ['control', 'signal', targetSet({ names: ['web'] }), undefined, { signal: 'SIGHUP', main: false }],
    ]);
    assert.equal(r.io.stdout, 'web@edge-1: SIGHUP sent to its process group (pid 5555)\n');
    r = await gov(['signal', 'SIGusr1', '--all', '--main', '--json']);
    assert.deepEqual(r.fake.calls, [
      ['control', 'signal', targetSet({ all: true }), undefined, { signal: 'SIGUSR1', main: true }],
    ]);
    const doc = JSON.parse(r.io.stdout) as Record<string, unknown>;
    assert.equal(doc.signal, 'SIGUSR1');
    assert.equal(doc.main, true);
    const listed = await gov(['executions', '--kind', 'signal']);
    assert.equal(listed.code, 0, `signal executions can be listed: ${listed.io.stderr}`);
    for (const bad of ['BOGUS', '9', 'SIG']) {
      const { code, io, fake } = await gov(['signal', bad, 'web']);
      assert.equal(code, 2, io.stderr);
      assert.match(io.stderr, /^error: SIGNAL ".*" is not a signal name/);
      assert.deepEqual(fake.connections, [], 'nothing sent');
    }
  });

  it('gov delete: whole handlers only; --all asks nothing and prints what it deleted', async () => {
    for (const [argv, why] of [
      [['delete', 'web@edge-1'], /delete takes handler names, not instances \(web@edge-1\)/],
      [['delete', 'web#1', 'api'], /not instances \(web#1\)/],
      [
        ['delete', 'web', '--agent', 'edge-1'],
        /delete takes no --agent: a handler is deleted on every agent/,
      ],
      [['delete'], /gov delete needs a target/],
    ] as const) {
      const { code, io, fake } = await gov([...argv]);
      assert.equal(code, 2, io.stderr);
      assert.match(io.stderr, why);
      assert.deepEqual(fake.connections, []);
    }
    const fake = new FakeAdmin({
      deleteHandler: async () => ({
        executions: [execution({ kind: 'delete', handler: '' })],
        instances: [],
        outcomes: [
          outcome({ handler: 'web', instance: 'web' }),
          outcome({ handler: 'api', instance: 'api', agent: 'edge-2' }),
          outcome({ handler: 'idle', instance: '', agent: '', execution_id: '' }),
        ],
      }),
    });
    const r = await gov(['delete', '--all'], fake);
    assert.equal(r.code, 0, r.io.stderr);
    assert.deepEqual(fake.calls, [['deleteHandler', targetSet({ all: true })]]);
    assert.equal(
      r.io.stdout,
      'api@edge-2: stopped and forgotten\nweb@edge-1: stopped and forgotten\n' +
        'handler api deleted\nhandler idle deleted\nhandler web deleted\n',
    );
  });

  it('gov ps sorts by handler, agent, instance index and --json carries key, instance, pid and shim_pid', async () => {
    const at = (agent: string, handler: string, index: number) => {
      const i = instance({ agent, pid: 100 + index });
      i.status = {
        ...i.status!,
        handler,
        index,
        instance: index ? `${handler}#${index}` : handler,
        shim_pid: 99,
      };
      return i;
    };
    const fake = new FakeAdmin({
      listInstances: async () => ({
        instances: [
          at('edge-2', 'web', 0),
          at('edge-1', 'web', 10),
          at('edge-1', 'web', 2),
          at('edge-1', 'api', 0),
        ],
      }),
    });
    const r = await gov(['ps', '--json'], fake);
    const items = (JSON.parse(r.io.stdout) as { instances: Array<Record<string, unknown>> }).instances;
    assert.deepEqual(
      items.map((i) => i.key),
      ['api@edge-1', 'web#2@edge-1', 'web#10@edge-1', 'web@edge-2'],
    );
    assert.deepEqual(
      {
        instance: items[1]?.instance,
        index: items[1]?.index,
        pid: items[1]?.pid,
        shim_pid: items[1]?.shim_pid,
      },
      { instance: 'web#2', index: 2, pid: 102, shim_pid: 99 },
    );
    const text = (await gov(['ps'], fake)).io.stdout.split('\n').slice(1, 5);
    assert.deepEqual(
      text.map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
      ['api edge-1', 'web#2 edge-1', 'web#10 edge-1', 'web edge-2'],
    );
  });

  it('every text output ends with a newline, empty results included', async () => {
    const empty = new FakeAdmin({
      listInstances: async () => ({ instances: [] }),
      listAgents: async () => ({ agents: [] }),
      listExecutions: async () => ({ count: 0, records: [] }),
      getMetrics: async () => ({ instances: [], agents: [], governor: null }),
      control: async () => ({ executions: [], instances: [], outcomes: [] }),
    });
    const argvs = [
      ['ps'],
      ['agents'],
      ['executions'],
      ['metrics'],
      ['stats'],
      ['restart', '--selector', 'tier=none'],
      ['signal', 'HUP', '--all'],
    ];
    for (const fake of [new FakeAdmin(), empty])
      for (const argv of argvs) {
        const { io } = await gov(argv, fake);
        assert.ok(io.stdout.length > 0, `${argv.join(' ')} prints something`);
        assert.ok(io.stdout.endsWith('\n'), `${argv.join(' ')}: ${JSON.stringify(io.stdout.slice(-40))}`);
      }
    const { io } = await gov(['restart', '--selector', 'tier=none'], empty);
    assert.equal(io.stdout, 'no instances to restart: the targets name none (gov ps lists them)\n');
  });
});
