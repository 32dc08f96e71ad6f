/**
 * The master's exec relay on its own: it grants the agent output credit only as the CLI's stream takes
 * the output (nothing while `write()` says full, the owed bytes on 'drain'), so it never holds more than
 * a window; stdin goes to the agent only within the agent's credit, the CLI's stream paused past it;
 * the CLI going away tells the agent to hang up; the agent going away ends the CLI's call with
 * UNAVAILABLE naming it; the exit reaches the CLI after its record is complete.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ExecFrame } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import type {
  ExecServerFrame,
  ExecServerFrame__Output,
} from '../../proto/generated/governor/v1/ExecServerFrame.js';
import { ExecRelay, GRANT_BATCH, OUTPUT_WINDOW, type ExecCall } from '../../master/exec/exec-relay.js';
import type { ExecutionOutcome } from '../../master/state/execution-log.js';
import { silentLogger } from '../../shared/logger.js';
import { Encoded } from '../../shared/wire-bytes.js';
import { execToCli } from '../helpers/wire.js';

class FakeCall extends EventEmitter {
  /** As written, output (wire bytes) as the CLI reads it. */
  written: Array<ExecServerFrame | ExecServerFrame__Output> = [];
  cancelled = false;
  full = false;
  paused = false;
  ended = false;
  error: { code?: number; details?: string } | null = null;
  write(f: ExecServerFrame | Encoded): boolean {
    this.written.push(f instanceof Encoded ? execToCli(f) : f);
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') this.error = args[0] as { code?: number; details?: string };
    return super.emit(event, ...args);
  }
}

function relay(cancelled = false) {
  const cli = new FakeCall();
  cli.cancelled = cancelled;
  const toAgent: ExecFrame[] = [];
  const outcomes: ExecutionOutcome[] = [];
  const r = new ExecRelay(
    cli as unknown as ExecCall,
    { agentId: 'edge-1', send: (f) => toAgent.push(f) },
    {
      session: 's1',
      executionId: 'e1',
      instance: 'web',
      complete: async (o) => {
        outcomes.push(o);
      },
    },
    () => {},
    silentLogger,
  );
  const agent = (f: Partial<ExecFrame__Output> & { body: ExecFrame__Output['body'] }) =>
    r.fromAgent({ session: 's1', ...f } as ExecFrame__Output);
  const grants = () => toAgent.reduce((n, f) => n + (f.grant ?? 0), 0);
  return { r, cli, toAgent, outcomes, agent, grants };
}

const chunk = Buffer.alloc(64 * 1024, 1);

describe('master exec relay', () => {
  it('opens with one output window and grants more only as the CLI stream drains', () => {
    const { r, cli, toAgent, agent, grants } = relay();
    r.open({ handler: 'web', instance: 'web', command: ['yes'] });
    assert.equal(toAgent[0]?.open?.grant, OUTPUT_WINDOW);
    agent({ body: 'opened', opened: { grant: 1024, pid: 1, recording: '' } });
    agent({ body: 'stdout', stdout: chunk });
    assert.equal(grants(), 0, 'less than a batch owed: no grant yet');
    for (let i = 1; i < GRANT_BATCH / chunk.length; i++) agent({ body: 'stdout', stdout: chunk });
    assert.equal(grants(), GRANT_BATCH, 'what the CLI took is granted back, a batch at a time');
    cli.full = true;
    for (let i = 0; i < 4; i++) agent({ body: 'stdout', stdout: chunk });
    assert.equal(grants(), GRANT_BATCH, 'nothing granted while the CLI stream is full');
    cli.full = false;
    cli.emit('drain');
    assert.equal(grants(), GRANT_BATCH + 4 * chunk.length, 'the owed bytes granted on drain');
  });

  it('ends a session whose agent sends output past its credit, instead of holding what it sends', () => {
    const { r, cli, toAgent, outcomes, agent } = relay();
    r.open({ handler: 'web', instance: 'web', command: ['yes'] });
    agent({ body: 'opened', opened: { grant: 1024, pid: 1, recording: '' } });
    cli.full = true; // a CLI that reads nothing: no grant after the first window
    // Within the window, the last chunk past it (the agent sends while its credit is above 0): relayed.
    agent({ body: 'stdout', stdout: Buffer.from('x') });
    for (let i = 0; i < OUTPUT_WINDOW / chunk.length; i++) agent({ body: 'stdout', stdout: chunk });
    const relayed = cli.written.filter((f) => f.stdout).length;
    assert.equal(relayed, OUTPUT_WINDOW / chunk.length + 1);
    const errorSoFar = cli.error;
    assert.equal(errorSoFar, null);
    // A hostile or broken agent keeps sending: not written to the CLI, the session ends.
    for (let i = 0; i < 100; i++) agent({ body: 'stdout', stdout: chunk });
    assert.equal(cli.written.filter((f) => f.stdout).length, relayed, 'output past the credit relayed');
    assert.match(
      cli.error?.details ?? '',
      /agent edge-1 sent exec output past the credit the master granted/,
    );
    assert.match(toAgent.at(-1)?.close ?? '', /past the credit/);
    assert.equal(outcomes[0]?.status, 'error');
  });

  it('sends stdin only within the agent credit, pausing the CLI stream past it', () => {
    const { cli, toAgent, agent } = relay();
    const stdinSent = () => toAgent.filter((f) => f.stdin).length;
    cli.emit('data', { body: 'stdin', stdin: Buffer.from('early') });
    assert.equal(stdinSent(), 0, 'nothing before the agent opened the session');
    assert.equal(cli.paused, true);
    agent({ body: 'opened', opened: { grant: 5, pid: 1, recording: '' } });
    assert.equal(stdinSent(), 1);
    assert.equal(cli.paused, false);
    cli.emit('data', { body: 'stdin', stdin: Buffer.from('more') });
    assert.equal(stdinSent(), 1, 'the credit is spent');
    assert.equal(cli.paused, true);
    agent({ body: 'grant', grant: 5 });
    assert.equal(stdinSent(), 2);
    assert.equal(cli.paused, false);
  });

  it('tells the agent to hang up when the CLI goes away, and records it', () => {
    const { cli, toAgent, outcomes } = relay();
    cli.emit('cancelled');
    assert.match(toAgent.at(-1)?.close ?? '', /cancelled/);
    assert.equal(outcomes[0]?.status, 'error');
  });

  it('starts nothing on the agent for a CLI that went away while the session was set up; records it', () => {
    // The call was cancelled while the record was written: its 'cancelled' event came before the relay.
    const { r, toAgent, outcomes } = relay(true);
    r.open({ handler: 'web', instance: 'web', command: ['sleep', '1000'] });
    assert.equal(toAgent.filter((f) => f.open).length, 0, 'the program was started for nobody');
    assert.equal(r.state, 'done');
    assert.match(outcomes[0]?.error ?? '', /cancelled/);
  });

  it('ends the CLI call with UNAVAILABLE naming the agent when it goes away', () => {
    const { r, cli, outcomes } = relay();
    r.agentGone('stream cancelled');
    assert.match(
      cli.error?.details ?? '',
      /agent edge-1 disconnected during the exec session \(stream cancelled\)/,
    );
    assert.equal(cli.error?.code, 14);
    assert.equal(outcomes.length, 1);
  });

  it('writes the exit once the record is complete, then ends the call', async () => {
    const { cli, agent, outcomes } = relay();
    agent({ body: 'opened', opened: { grant: 0, pid: 1, recording: '' } });
    agent({ body: 'exit', exit: { code: 3, signal: '' } });
    assert.deepEqual(outcomes, [
      { status: 'error', result: 'exit code 3', error: 'the program ended with exit code 3' },
    ]);
    assert.equal(cli.ended, false);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(cli.written.at(-1), { exit: { code: 3, signal: '' } });
    assert.equal(cli.ended, true);
  });
});
