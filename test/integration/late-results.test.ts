/**
 * The execution log ends up true (DESIGN §8.10): a command the master reported failed was either not
 * carried out, or its record is corrected once the agent's answer comes. Real `gov master` / `gov agent`
 * processes; the agent is frozen with SIGSTOP (and woken with SIGCONT) around a `gov restart`, and every
 * test compares the record with what the agent really did (the handler's PID and restart count).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { EXECUTION_JOURNAL_FILE } from '../../master/state/execution-journal.js';
import { Cluster, type LocalInstance } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';

interface Rec {
  id: string;
  kind: string;
  handler: string;
  status: string;
  result: string | null;
  error: string | null;
  late: boolean;
  note: string;
  unanswered: boolean;
}

/** Freezes an agent process; the returned function wakes it (idempotent, also called on cleanup). */
function freeze(pid: number): () => void {
  process.kill(pid, 'SIGSTOP');
  let frozen = true;
  return () => {
    if (!frozen) return;
    frozen = false;
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  };
}

/**
 * `restart HANDLER` through the in-process admin client (no CLI start-up between the freeze and the
 * command on a busy machine); resolves with the execution's error, '' when it succeeded.
 */
async function restart(c: Cluster, handler: string): Promise<string> {
  const res = await c.admin('admin-admin', 60_000).control('restart', handler);
  const exec = res.executions[0];
  assert.ok(exec, `restart ${handler}: no execution`);
  return exec.status === 'success' ? '' : `${exec.status}: ${exec.error}`;
}

/** The newest `restart` execution of `handler`, as `gov executions --json` prints it. */
async function lastRestart(c: Cluster, handler: string): Promise<Rec> {
  const { records } = await c.govJson<{ records: Rec[] }>([
    'executions',
    '--kind',
    'restart',
    '--handler',
    handler,
    '--limit',
    '1',
  ]);
  assert.ok(records[0], `no restart execution of ${handler}`);
  return records[0];
}

/** Waits until the agent has answered the newest restart of `handler` (the record is no longer unanswered). */
async function answeredRestart(c: Cluster, handler: string, timeoutMs = 20_000): Promise<Rec> {
  return waitFor(
    async () => {
      const r = await lastRestart(c, handler);
      return r.status !== 'running' && !r.unanswered ? r : null;
    },
    { timeoutMs, intervalMs: 200, what: `the agent's answer to the restart of ${handler} to be recorded` },
  ).catch((err: unknown) => {
    throw new Error(
      `${String(err)}\nmaster:\n${c.master?.tail(15)}\nagent:\n${c.agents.get('edge-1')?.tail(15)}`,
    );
  });
}

/** The agent's own view once it settled (connected again, the instance running). */
async function settled(c: Cluster, handler: string): Promise<LocalInstance> {
  await c.waitAgentConnected('edge-1', true, 20_000);
  const [i] = await c.waitInstances(handler, 1, (x) => x.state === 'running' && !!x.pid, undefined, 20_000);
  return c.waitLocal('edge-1', handler, (s) => s.state === 'running' && s.pid === i?.pid, undefined, 20_000);
}

/** The record says what the agent did: success iff the handler was restarted. */
function assertTrue(rec: Rec, before: LocalInstance, after: LocalInstance): void {
  const restarted = after.pid !== before.pid;
  assert.equal(
    after.restarts > before.restarts,
    restarted,
    `restart count and PID agree (before ${JSON.stringify(before)}, after ${JSON.stringify(after)})`,
  );
  assert.equal(
    rec.status === 'success',
    restarted,
    `the execution log says ${rec.status} but the handler was ${restarted ? '' : 'not '}restarted ` +
      `(pid ${before.pid} → ${after.pid}): ${JSON.stringify(rec)}`,
  );
}

describe('integration: the execution log ends up true when the master gives up on a command (DESIGN §8.10)', function () {
  this.slow(30_000);
  this.timeout(120_000);

  describe('the master gives up by disconnecting (grace 3s)', () => {
    let c: Cluster;
    let wake: () => void = () => {};

    before(async () => {
      c = await Cluster.start({ agents: ['edge-1'], heartbeatGrace: '3s' });
      const file = c.writeHandlers([
        {
          name: 'web',
          agents: ['edge-1'],
          command: [process.execPath, fixture('ticker.mjs')],
          start_seconds: 0,
        },
        {
          // A restart takes stop_timeout: SIGTERM is ignored, SIGKILL comes after 3 s.
          name: 'slow',
          agents: ['edge-1'],
          command: [process.execPath, fixture('ignore-term.mjs')],
          stop_timeout: '3s',
          start_seconds: 0,
        },
      ]);
      await c.govJson(['apply', '-f', file]);
      await c.waitInstances('web', 1, (i) => i.state === 'running' && !!i.pid);
      await c.waitInstances('slow', 1, (i) => i.state === 'running' && !!i.pid);
    });
    afterEach(() => wake());
    after(async () => {
      wake();
      await c?.stop();
    });

    it('a command read from a stream the master closed while the agent was frozen is not carried out, and its record says so', async () => {
      const agentPid = c.agents.get('edge-1')!.pid;
      const before = await c.waitLocal('edge-1', 'web', (s) => s.state === 'running' && !!s.pid);
      wake = freeze(agentPid);
      assert.match(await restart(c, 'web'), /^error: .*disconnected before answering/);
      await c.waitAgentConnected('edge-1', false);
      wake();

      const rec = await answeredRestart(c, 'web');
      const after = await settled(c, 'web');
      assertTrue(rec, before, after);
      assert.equal(after.pid, before.pid, 'the agent did not start a command from a closed stream');
      assert.equal(rec.status, 'error');
      assert.equal(rec.late, true, 'the agent answered late: "not carried out"');
      assert.match(rec.error ?? '', /not carried out/);
      assert.match(rec.note, /disconnected before answering/, 'the give-up is kept in the note');
    });

    it('a command the agent carried out after the master gave up is corrected to a late success, and stays so across a master restart', async () => {
      const agentPid = c.agents.get('edge-1')!.pid;
      const before = await c.waitLocal('edge-1', 'slow', (s) => s.state === 'running' && !!s.pid);
      type Stats = { by_handler: Record<string, { success: number; error: number }> };
      const slowStats = async () =>
        (await c.govJson<Stats>(['stats'])).by_handler.slow ?? { success: 0, error: 0 };
      const statsBefore = await slowStats();
      const pending = restart(c, 'slow');
      // The agent has started the restart (SIGTERM sent, waiting for stop_timeout): freeze it now.
      await c.waitInstances('slow', 1, (i) => i.state === 'stopping');
      wake = freeze(agentPid);
      assert.match(await pending, /^error: .*disconnected before answering/);
      wake();

      const rec = await answeredRestart(c, 'slow');
      const after = await settled(c, 'slow');
      assertTrue(rec, before, after);
      assert.notEqual(after.pid, before.pid, 'the agent finished the restart it had started');
      assert.equal(rec.status, 'success');
      assert.equal(rec.late, true);
      assert.match(rec.result ?? '', new RegExp(`pid ${after.pid}`), 'the result is the agent’s');
      assert.match(rec.note, /disconnected before answering/);
      const stats = await slowStats();
      assert.equal(stats.success, statsBefore.success + 1, 'stats count it as a success');
      assert.equal(stats.error, statsBefore.error, 'and not as an error');

      await c.killMaster();
      await c.startMaster();
      await c.waitAgentConnected('edge-1');
      const again = await lastRestart(c, 'slow');
      assert.equal(again.id, rec.id);
      assert.deepEqual(
        { status: again.status, late: again.late, note: again.note },
        { status: 'success', late: true, note: rec.note },
        'the correction was persisted',
      );
    });

    it('an answer the agent could not deliver (master killed mid-command) corrects the record after the master restarts', async () => {
      const agentPid = c.agents.get('edge-1')!.pid;
      assert.ok(agentPid);
      const before = await c.waitLocal('edge-1', 'slow', (s) => s.state === 'running' && !!s.pid);
      const pending = c.gov(['restart', 'slow']);
      await c.waitInstances('slow', 1, (i) => i.state === 'stopping', undefined, 20_000);
      // The running record is on disk (it went out with the instance's status) before the master dies.
      const file = path.join(c.masterDataDir, EXECUTION_JOURNAL_FILE);
      const id = await waitFor(
        () => {
          // The journal's lines (a torn last one aside): the last line of a record is its state on disk.
          const onDisk = new Map<string, Rec>();
          for (const l of readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l.endsWith('}'))) {
            const { record } = JSON.parse(l) as { record?: Rec };
            if (record) onDisk.set(record.id, record);
          }
          return [...onDisk.values()].find(
            (e) => e.kind === 'restart' && e.handler === 'slow' && e.status === 'running',
          )?.id;
        },
        { what: 'the running restart record on disk', timeoutMs: 10_000 },
      );
      await c.killMaster();
      assert.equal((await pending).code, 1);
      // The agent finishes the restart with no master to tell.
      await c.waitLocal(
        'edge-1',
        'slow',
        (s) => s.state === 'running' && s.pid !== before.pid,
        undefined,
        20_000,
      );
      await c.startMaster();

      const rec = await answeredRestart(c, 'slow');
      assert.equal(rec.id, id);
      const after = await settled(c, 'slow');
      assertTrue(rec, before, after);
      assert.equal(rec.status, 'success');
      assert.equal(rec.late, true);
      assert.match(rec.note, /interrupted/);
    });
  });

  describe("the master gives up by timing out (command timeout 1.5s + the handler's 1s stop_timeout, grace 10s)", () => {
    let c: Cluster;
    let wake: () => void = () => {};

    before(async () => {
      c = await Cluster.start({
        agents: ['edge-1'],
        heartbeatGrace: '10s',
        masterArgs: ['--command-timeout', '1500ms'],
      });
      // A RESTART may also wait out the handler's stop_timeout and start window: 1.5 s + 1 s + 0 s.
      const file = c.writeHandlers([
        {
          name: 'web',
          agents: ['edge-1'],
          command: [process.execPath, fixture('ticker.mjs')],
          start_seconds: 0,
          stop_timeout: '1s',
        },
      ]);
      await c.govJson(['apply', '-f', file]);
      await c.waitInstances('web', 1, (i) => i.state === 'running' && !!i.pid);
    });
    after(async () => {
      wake();
      await c?.stop();
    });

    it('a command whose deadline passed while the agent was frozen is not carried out, though heartbeats queued before it were read late', async () => {
      const agentPid = c.agents.get('edge-1')!.pid;
      const before = await c.waitLocal('edge-1', 'web', (s) => s.state === 'running' && !!s.pid);
      wake = freeze(agentPid);
      // Master heartbeats (every 200 ms) queue up ahead of the command: read late, they understate the
      // master's clock — the deadline must still be judged right.
      await new Promise((r) => setTimeout(r, 500));
      assert.match(await restart(c, 'web'), /^timeout: .*did not answer RESTART within 2500 ms/);
      wake();

      const rec = await answeredRestart(c, 'web');
      const after = await settled(c, 'web');
      assertTrue(rec, before, after);
      assert.equal(after.pid, before.pid, 'the expired command was not carried out');
      assert.equal(rec.status, 'timeout');
      assert.equal(rec.late, true);
      assert.match(rec.error ?? '', /not carried out: its deadline passed/);
      assert.match(rec.note, /did not answer RESTART within 2500 ms/);
    });

    it("a stop or a restart that waits out the handler's own stop_timeout and start window is no timeout, through the CLI too", async () => {
      const ready = path.join(c.dir, 'slow.ready');
      const file = c.writeHandlers(
        [
          {
            name: 'slow',
            agents: ['edge-1'],
            command: [process.execPath, fixture('ignore-term.mjs')],
            env: { PID_FILE: ready },
            start_seconds: 2,
            stop_timeout: '2s',
          },
        ],
        'slow.yaml',
      );
      await c.govJson(['apply', '-f', file]);
      await c.waitInstances('slow', 1, (i) => i.state === 'running');
      await waitFor(() => existsSync(ready), { what: 'slow ignoring SIGTERM' });
      // It ignores SIGTERM: SIGKILL after 2 s, then 2 s of start window — each past the 1.5 s command timeout.
      rmSync(ready);
      const restarted = await c.gov(['restart', 'slow']);
      assert.equal(restarted.code, 0, restarted.stderr);
      await waitFor(() => existsSync(ready), { what: 'slow ignoring SIGTERM again' });
      const stopped = await c.gov(['stop', 'slow']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /slow@edge-1: stopped/);
    });
  });
});
