/** `gov logs` takes any instance target (DESIGN §6): web, web#1, web@edge-1, web#1@edge-1. */
import assert from 'node:assert/strict';
import { runGov as gov } from './fake-admin.js';

describe('gov logs: instance targets', () => {
  it('sends the instance key and the agent written in the target', async () => {
    for (const argv of [
      ['logs', 'web#1@edge-1', '--tail', '5'],
      ['logs', 'web#1', '--agent', 'edge-1', '--tail', '5'],
      ['logs', 'web#1@edge-1', '--agent', 'edge-1', '--tail', '5'],
    ]) {
      const { code, fake, io } = await gov(argv);
      assert.equal(code, 0, io.stderr);
      assert.deepEqual(fake.calls, [
        ['tailLogs', { handler: 'web', agent: 'edge-1', stream: 'stdout', tail: 5, instance: 'web#1' }],
      ]);
    }
    const { fake } = await gov(['logs', 'web@edge-1', '--tail', '5']);
    assert.deepEqual(fake.calls, [
      ['tailLogs', { handler: 'web', agent: 'edge-1', stream: 'stdout', tail: 5 }],
    ]);
  });

  it('refuses a bad index, a missing agent and two different agents (exit 2, nothing sent)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['logs', 'web#0@edge-1'], /instance "web#0" is invalid/],
      [['logs', 'web#x@edge-1'], /instance "web#x" is invalid|handler name/],
      [['logs', 'web#100@edge-1'], /instance "web#100" is invalid/],
      [['logs', 'web#1'], /missing --agent ID .*or write web#1@ID/],
      [['logs', 'web#1@edge-1', '--agent', 'edge-2'], /names agent edge-1, but --agent says edge-2/],
    ];
    for (const [argv, message] of cases) {
      const { code, io, fake } = await gov(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${io.stderr}`);
      assert.match(io.stderr, message);
      assert.deepEqual(fake.calls, []);
    }
  });
});
