/**
 * The Admin Exec handler in process, with a scripted agent session: an agent that disconnects while the
 * session is set up (its execution record being written) ends the call at once with UNAVAILABLE naming
 * it, and the record is completed — not left waiting for an `opened` that can never come.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ExecFrame } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { ExecServerFrame } from '../../proto/generated/governor/v1/ExecServerFrame.js';
import type { AgentSession } from '../../master/fleet/agent-session.js';
import { Fleet } from '../../master/fleet/fleet.js';
import { execHandler } from '../../master/exec/exec-service.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { Registry } from '../../master/state/registry.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { silentLogger } from '../../shared/logger.js';
import { parseHandler } from '../../shared/spec.js';
import { tempDir, waitFor } from '../helpers/common.js';
import { set } from '../helpers/target-set.js';

class ScriptedSession extends EventEmitter {
  state: 'connected' | 'closed' = 'connected';
  readonly hello = { exec_available: true, exec_unavailable: '' };
  readonly frames: ExecFrame[] = [];
  constructor(readonly agentId: string) {
    super();
  }
  exec(frame: ExecFrame): void {
    this.frames.push(frame);
  }
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.emit('closed', reason);
  }
}

class FakeCall extends EventEmitter {
  cancelled = false;
  written: ExecServerFrame[] = [];
  error: { code?: number; details?: string } | null = null;
  getAuthContext = () => ({ sslPeerCertificate: { subject: { CN: 'alice', OU: 'admin' } } });
  write(f: ExecServerFrame): boolean {
    this.written.push(f);
    return true;
  }
  end(): void {}
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') this.error = args[0] as { code?: number; details?: string };
    return super.emit(event, ...args);
  }
}

describe('Admin Exec handler', () => {
  let store: MasterStore;
  afterEach(() => store?.close());

  /** A master with agent edge-1 connected (scripted) and handler web running there. */
  async function fleetWithWeb() {
    store = await openMasterStore(tempDir('gov-exec-service-'));
    const reg = new Registry(store);
    const log = new ExecutionLog(store);
    const fleet = new Fleet(
      reg,
      log,
      { heartbeatIntervalMs: 1000, heartbeatGraceMs: 3000, metricsIntervalMs: 1000, commandTimeoutMs: 5000 },
      silentLogger,
    );
    await reg.upsertAgent({ agent_id: 'edge-1' });
    const session = new ScriptedSession('edge-1');
    fleet.hub.add(session as unknown as AgentSession);
    await reg.applySpecs([parseHandler({ name: 'web', agents: ['edge-1'], command: ['node', 'x.js'] }, 'h')]);
    await reg.reportStatus('edge-1', {
      handler: 'web',
      instance: 'web',
      index: 0,
      state: 'running',
      pid: 101,
    });
    return { reg, log, fleet, session };
  }

  it('refuses an observed process with its own reason (no spec to run a command with), nothing sent', async () => {
    const { reg, fleet, session } = await fleetWithWeb();
    await reg.reportStatus('edge-1', { handler: 'ext', state: 'running', pid: 202, observed: true });
    const call = new FakeCall();
    execHandler(fleet, fleet.execRouter, silentLogger)(call as never);
    call.emit('data', { body: 'start', start: { targets: set({ names: ['ext'] }), command: ['true'] } });
    const err = await waitFor(() => call.error, { what: 'the call to end', timeoutMs: 5000 });
    assert.equal(err.code, 9);
    assert.match(
      err.details ?? '',
      /ext is an observed process \(attached by PID\): governor runs commands only beside its own handlers/,
    );
    assert.deepEqual(session.frames, []);
  });

  it('ends the call at once, naming the agent, when it disconnects while the session is set up', async () => {
    const { log, fleet, session } = await fleetWithWeb();
    // The agent's link goes down while the execution record is written.
    const begin = log.beginDurably.bind(log);
    log.beginDurably = async (r) => {
      const rec = await begin(r);
      session.close('the agent closed the stream');
      return rec;
    };
    const call = new FakeCall();
    execHandler(fleet, fleet.execRouter, silentLogger)(call as never);
    call.emit('data', { body: 'start', start: { targets: set({ names: ['web'] }), command: ['true'] } });
    const err = await waitFor(() => call.error, { what: 'the call to end', timeoutMs: 5000 });
    assert.equal(err.code, 14);
    assert.match(err.details ?? '', /agent edge-1 disconnected/);
    const rec = await waitFor(() => log.query({ kind: 'exec' }).records.find((x) => x.status !== 'running'), {
      what: 'the record completed',
    });
    assert.equal(rec.status, 'error');
    assert.equal(fleet.execRouter.size, 0);
  });
});
