/**
 * kill -9 of the agent between a handler's exit and its restart: the persisted record is `exited`, still
 * wanted running. The next agent applies the restart policy to the recorded exit again.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { planRestore } from '../../agent/instance/restore.js';
import { specHash, type AgentState, type InstanceRecord } from '../../agent/supervisor/state-store.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

const T = 10_000_000;
function mkSpec(over: Record<string, unknown> = {}): HandlerSpec {
  const raw = { name: 'h', command: ['node', fixture('ticker.mjs')], start_seconds: 1, ...over };
  return parseHandler(raw, 'handlers[0]', 'test');
}
function exitedRecord(spec: HandlerSpec, over: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    spec_hash: specHash(spec),
    desired: 'running',
    state: 'exited',
    handle: null,
    unverified_handle: null,
    restarts: 0,
    failed_starts: 0,
    // Ran a minute, exited a second ago.
    last_exit: { code: 0, signal: null, at: T - 1000 },
    started_at: T - 61_000,
    ...over,
  };
}

describe('restore of an exited instance with a restart pending', () => {
  it('planRestore: the restart policy decides again (restart, backoff, fatal), else it stays exited', () => {
    const always = mkSpec({ restart: 'always' });
    const p = planRestore(exitedRecord(always), null, always, T);
    assert.equal(p.kind, 'resume');
    assert.ok(p.kind === 'resume' && p.decision.action === 'restart' && p.decision.delayMs === 0);

    const never = mkSpec({ restart: 'never' });
    assert.deepEqual(planRestore(exitedRecord(never), null, never, T), {
      kind: 'settle',
      to: 'exited',
      message: 'RESTORED exited',
    });
    const onFailure = mkSpec({ restart: 'on-failure' });
    assert.equal(planRestore(exitedRecord(onFailure), null, onFailure, T).kind, 'settle');
    const failed = { last_exit: { code: 2, signal: null, at: T - 1000 } };
    assert.equal(planRestore(exitedRecord(onFailure, failed), null, onFailure, T).kind, 'resume');
    // Wanted stopped: nothing to restart.
    const stopped = exitedRecord(always, { desired: 'stopped' });
    assert.equal(planRestore(stopped, null, always, T).kind, 'settle');

    // A quick exit (failed start) already counted in failed_starts: the same retry, not one more.
    const retry = mkSpec({ start_retries: 3, backoff: { initial: '1s', factor: 2, max: '10s', jitter: 0 } });
    const quick = { started_at: T - 1100, last_exit: { code: 1, signal: null, at: T - 1000 } };
    const second = planRestore(exitedRecord(retry, { ...quick, failed_starts: 2 }), null, retry, T);
    assert.ok(second.kind === 'resume');
    assert.deepEqual([second.decision.action, second.decision.delayMs], ['restart', 1000]); // 2 s from the exit, 1 s ago
    assert.equal(second.decision.history.failedStarts, 2);
    const over = planRestore(exitedRecord(retry, { ...quick, failed_starts: 4 }), null, retry, T);
    assert.ok(over.kind === 'resume');
    assert.equal(over.decision.action, 'fatal');
    assert.match(over.decision.reason, /4 failed starts in a row \(start_retries: 3\)/);

    // Killed during the backoff delay: the same decision, counted on (a fresh start would forget the count).
    const inBackoff = { ...quick, state: 'backoff' as const };
    const waiting = planRestore(exitedRecord(retry, { ...inBackoff, failed_starts: 2 }), null, retry, T);
    assert.ok(waiting.kind === 'resume', waiting.kind);
    assert.deepEqual([waiting.decision.action, waiting.decision.delayMs], ['restart', 1000]);
    assert.match(waiting.message, /^RESTORED backoff \(/);
    const lastTry = planRestore(exitedRecord(retry, { ...inBackoff, failed_starts: 4 }), null, retry, T);
    assert.ok(lastTry.kind === 'resume' && lastTry.decision.action === 'fatal');
  });

  it('a crash loop the agent was restarted in the middle of (persisted in backoff) ends fatal on its count, not afresh', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const spawnLog = path.join(dir, 'spawns');
    const spec = mkSpec({
      command: [
        'node',
        '-e',
        "require('fs').appendFileSync(process.env.SPAWN_LOG, process.pid + '\\n'); process.exit(1)",
      ],
      env: { SPAWN_LOG: spawnLog },
      start_retries: 2,
      backoff: { initial: '100ms', factor: 1, max: '100ms', jitter: 0 },
    });
    const now = Date.now();
    // Two failed starts so far, killed while waiting for the third.
    const rec = exitedRecord(spec, {
      state: 'backoff',
      failed_starts: 2,
      last_exit: { code: 1, signal: null, at: now - 50 },
      started_at: now - 150,
    });
    mkdirSync(data, { recursive: true });
    const state: AgentState = { version: 1, specs: { h: spec }, instances: { h: rec } };
    writeFileSync(path.join(data, 'state.json'), JSON.stringify(state));
    const sup = await Supervisor.create({ dataDir: data, pollIntervalMs: 50 });
    try {
      const st = await waitFor(() => (sup.status('h')[0]?.state === 'fatal' ? sup.status('h')[0] : null), {
        what: 'the crash loop to end fatal',
      });
      assert.match(st!.events.at(-1)!.message, /^FATAL 3 failed starts in a row \(start_retries: 2\)/);
      assert.equal(
        readFileSync(spawnLog, 'utf8').trim().split('\n').length,
        1,
        'the third and last try only',
      );
    } finally {
      await sup.shutdown();
    }
  });

  it('a new supervisor restarts a handler persisted as exited with restart: always', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const spawnLog = path.join(dir, 'spawns');
    const spec = mkSpec({ restart: 'always', env: { SPAWN_LOG: spawnLog } });
    const now = Date.now();
    const rec = exitedRecord(spec, {
      last_exit: { code: 0, signal: null, at: now - 1000 },
      started_at: now - 61_000,
      restarts: 2,
    });
    const state: AgentState = { version: 1, specs: { h: spec }, instances: { h: rec } };
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, 'state.json'), JSON.stringify(state));
    const sup = await Supervisor.create({ dataDir: data, pollIntervalMs: 50 });
    sup.on('state', () => trackPid(sup.status('h')[0]?.pgid ?? undefined, true));
    try {
      const st = await waitFor(
        () => {
          const s = sup.status('h')[0];
          return s?.state === 'running' ? s : null;
        },
        { what: 'the pending restart done by the new supervisor' },
      );
      trackPid(st.pgid ?? undefined, true);
      assert.equal(st.restarts, 3, 'counted as a restart');
      assert.ok(st.events.some((e) => /^RESTORED exited \(code=0\) with a restart pending/.test(e.message)));
      const pids = readFileSync(spawnLog, 'utf8').trim().split('\n');
      assert.equal(pids.length, 1, 'spawned once');
      assert.equal((await sup.stop('h')).state, 'stopped');
    } finally {
      await sup.shutdown();
    }
    assert.ok(existsSync(spawnLog));
  });
});
