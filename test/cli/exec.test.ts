/**
 * `gov exec`: the start frame carries the target (narrowed by --agent), the command after `--`, -i, -t and
 * --record; remote stdout and stderr go to the local ones apart; gov exec exits with the remote code; a
 * refusal from the master is printed; usage errors (no command, --json, -t without a terminal) exit 2
 * before anything connects.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { runExec, type ExecTerminal } from '../../master/cli/exec.js';
import { GovError } from '../../shared/errors.js';
import { FakeAdmin, runGov as gov, targetSet } from './fake-admin.js';

function terminal(): ExecTerminal & { outText: () => string; errText: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    stdout,
    stderr,
    size: () => ({ rows: 30, cols: 100 }),
    outText: () => out,
    errText: () => err,
  };
}

describe('gov exec', () => {
  it('sends one start frame and relays stdout, stderr and the exit code', async () => {
    const fake = new FakeAdmin();
    fake.execFrames = [
      { body: 'started', started: { execution_id: 'e1', agent: 'edge-1', instance: 'web', recording: '' } },
      { body: 'stdout', stdout: Buffer.from('out\n') },
      { body: 'stderr', stderr: Buffer.from('err\n') },
      { body: 'exit', exit: { code: 3, signal: '' } },
    ] as never;
    const term = terminal();
    const code = await runExec(
      fake,
      {
        targets: targetSet({ names: ['web'], agents: ['edge-1'] }),
        command: ['sh', '-c', 'x'],
        tty: false,
        stdin: false,
        record: true,
      },
      term,
      { TERM: 'xterm' },
    );
    assert.equal(code, 3);
    assert.equal(term.outText(), 'out\n');
    assert.equal(term.errText(), 'err\n');
    assert.deepEqual(fake.execWritten, [
      {
        start: {
          targets: targetSet({ names: ['web'], agents: ['edge-1'] }),
          command: ['sh', '-c', 'x'],
          tty: false,
          stdin: false,
          rows: 30,
          cols: 100,
          term: 'xterm',
          record: true,
        },
      },
    ]);
  });

  it('reads TARGET, --agent, -i and the command after --', async () => {
    const fake = new FakeAdmin();
    fake.execFrames = [{ body: 'exit', exit: { code: 0, signal: '' } }] as never;
    const { code, io } = await gov(['exec', '-i', '--agent', 'edge-2', 'api', '--', 'ls', '-la', '/'], fake);
    assert.equal(code, 0, io.stderr);
    const start = fake.execWritten[0]?.start;
    assert.deepEqual(start?.targets, targetSet({ names: ['api'], agents: ['edge-2'] }));
    assert.deepEqual(start?.command, ['ls', '-la', '/']);
    assert.equal(start?.stdin, true);
  });

  it("prints the master's refusal and exits 1", async () => {
    const fake = new FakeAdmin();
    fake.execError = new GovError('UNAVAILABLE', 'agent edge-3 refuses exec: exec is disabled on this agent');
    const { code, io } = await gov(['exec', 'locked', '--', 'true'], fake);
    assert.equal(code, 1);
    assert.match(io.stderr, /agent edge-3 refuses exec/);
  });

  it('refuses a missing command, --json and -t without a terminal (exit 2), connecting to nothing', async () => {
    for (const [argv, why] of [
      [['exec', 'web'], /exec needs a command/],
      [['exec', 'web', '--json', '--', 'true'], /--json does not apply to exec/],
      [['exec', '-t', 'web', '--', 'true'], /-t needs a terminal on stdin/],
    ] as const) {
      const { code, io, fake } = await gov([...argv]);
      assert.equal(code, 2, `${argv.join(' ')}: ${io.stderr}`);
      assert.match(io.stderr, why);
      assert.deepEqual(fake.calls, []);
    }
  });
});
