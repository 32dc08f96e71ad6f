/**
 * `gov logs` takes a target set that must match one instance (DESIGN §6): a TARGET (web, web#1, web@edge-1,
 * web#1@edge-1), or --selector / --all, narrowed by --agent; the master resolves it to exactly one instance
 * (no --agent needed when the handler runs once) and says which.
 */
import assert from 'node:assert/strict';
import { GovError } from '../../shared/errors.js';
import { FakeAdmin, runGov as gov, targetSet } from './fake-admin.js';

describe('gov logs: instance targets', () => {
  it('sends the target as written, narrowed by --agent, for the master to resolve', async () => {
    for (const [argv, set] of [
      [['logs', 'web#1@edge-1', '--tail', '5'], targetSet({ names: ['web#1@edge-1'] })],
      [
        ['logs', 'web#1', '--agent', 'edge-1', '--tail', '5'],
        targetSet({ names: ['web#1'], agents: ['edge-1'] }),
      ],
      [['logs', 'web', '--tail', '5'], targetSet({ names: ['web'] })],
      [['logs', '--selector', 'tier=api', '--tail', '5'], targetSet({ selector: { tier: 'api' } })],
      [['logs', '--all', '--agent', 'edge-2', '--tail', '5'], targetSet({ all: true, agents: ['edge-2'] })],
    ] as const) {
      const { code, fake, io } = await gov([...argv]);
      assert.equal(code, 0, io.stderr);
      assert.deepEqual(fake.calls, [['tailLogs', { targets: set, stream: 'stdout', tail: 5 }]]);
    }
  });

  it('--json names the instance as far as the command line does', async () => {
    let r = await gov(['logs', 'web#1', '--agent', 'edge-1', '--json']);
    assert.deepEqual(JSON.parse(r.io.stdout), {
      handler: 'web',
      instance: 'web#1',
      agent: 'edge-1',
      stream: 'stdout',
      lines: ['line 1', 'line 2'],
    });
    r = await gov(['logs', 'web', '--json']);
    assert.deepEqual(JSON.parse(r.io.stdout), {
      handler: 'web',
      stream: 'stdout',
      lines: ['line 1', 'line 2'],
    });
  });

  it('--json names the instance the master tailed (a selector names none itself)', async () => {
    const fake = new FakeAdmin({
      tailLogs: async () => ({ lines: ['x'], handler: 'api', agent: 'edge-2', instance: 'api#1' }),
    });
    const r = await gov(['logs', '--selector', 'tier=api', '--json'], fake);
    assert.equal(r.code, 0, r.io.stderr);
    assert.deepEqual(JSON.parse(r.io.stdout), {
      handler: 'api',
      instance: 'api#1',
      agent: 'edge-2',
      stream: 'stdout',
      lines: ['x'],
    });
  });

  it('a target matching several instances: the master lists them and the CLI exits 2', async () => {
    const fake = new FakeAdmin({
      tailLogs: async () => {
        throw new GovError(
          'INVALID_ARGUMENT',
          'the target matches 2 instances: web@edge-1, web@edge-2; name one of them',
          { fields: ['targets'] },
        );
      },
    });
    const { code, io } = await gov(['logs', 'web'], fake);
    assert.equal(code, 2, io.stderr);
    assert.match(
      io.stderr,
      /^error: the target matches 2 instances: web@edge-1, web@edge-2; name one of them\n$/,
    );
  });

  it('refuses a bad index and an agent that contradicts --agent (exit 2, nothing sent)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['logs', 'web#x@edge-1'], /replica index after # must be a number/],
      [['logs', 'web#1@edge-1', '--agent', 'edge-2'], /names agent edge-1, but --agent says edge-2/],
      [['logs', 'web', 'api'], /unexpected argument "api"/],
    ];
    for (const [argv, message] of cases) {
      const { code, io, fake } = await gov(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${io.stderr}`);
      assert.match(io.stderr, message);
      assert.deepEqual(fake.calls, []);
    }
  });
});
