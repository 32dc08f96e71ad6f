/**
 * The agent's CPU share against its handlers (agent/cpu-share.ts): an agent leading its own session gives that
 * session's autogroup the weight of nice -10, its handlers keep nice 0 in sessions of their own, and an agent
 * sharing its session (a terminal's, the test runner's) leaves that session as it was.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { raiseCpuShare, type CpuShareFiles } from '../../agent/cpu-share.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { startAgent, waitInstance, writeHandlers } from './helpers.js';

/** `/autogroup-123 nice -10` → {group: '/autogroup-123', nice: -10}. */
function autogroupOf(pid: number | 'self'): { group: string; nice: number } {
  const [group, , nice] = readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim().split(/\s+/);
  return { group: group!, nice: Number(nice) };
}

function autogroupSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'not root: a session cannot be given a negative nice';
  if (!existsSync('/proc/sys/kernel/sched_autogroup_enabled'))
    return 'this kernel has no autogroup scheduling';
  if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1')
    return 'autogroup scheduling is off here (kernel.sched_autogroup_enabled 0)';
  return null;
}

describe('agent CPU share: its session against its handlers’ sessions', function () {
  this.slow(3000);

  describe('the decision (files given)', () => {
    function files(enabled: string | null, sid: number): CpuShareFiles & { dir: string } {
      const dir = tempDir();
      const f = {
        dir,
        enabled: path.join(dir, 'enabled'),
        autogroup: path.join(dir, 'autogroup'),
        stat: path.join(dir, 'stat'),
      };
      if (enabled !== null) writeFileSync(f.enabled, `${enabled}\n`);
      writeFileSync(f.autogroup, '/autogroup-7 nice 0\n');
      // A command with spaces and parentheses: the session is field 6, counted after the last ')'.
      writeFileSync(
        f.stat,
        `4242 (gov (agent) x) S 1 4242 ${sid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n`,
      );
      return f;
    }

    it('a session leader sets its autogroup nice', () => {
      const f = files('1', 4242);
      assert.deepEqual(raiseCpuShare(-10, 4242, f), { nice: -10 });
      assert.equal(readFileSync(f.autogroup, 'utf8'), '-10');
    });

    it('an agent in another process’s session leaves that session as it is, and says why', () => {
      const f = files('1', 100);
      const r = raiseCpuShare(-10, 4242, f);
      assert.ok('unchanged' in r && /shares session 100/.test(r.unchanged), JSON.stringify(r));
      assert.equal(readFileSync(f.autogroup, 'utf8'), '/autogroup-7 nice 0\n', 'not written');
    });

    it('autogroup scheduling off or absent: nothing written, the reason given', () => {
      for (const [enabled, why] of [
        ['0', /is off/],
        [null, /no autogroup scheduling/],
      ] as const) {
        const f = files(enabled, 4242);
        const r = raiseCpuShare(-10, 4242, f);
        assert.ok('unchanged' in r && why.test(r.unchanged), JSON.stringify(r));
        assert.equal(readFileSync(f.autogroup, 'utf8'), '/autogroup-7 nice 0\n');
      }
    });

    it('a refused write is reported, not thrown', () => {
      const f = files('1', 4242);
      const r = raiseCpuShare(-10, 4242, { ...f, autogroup: path.join(f.dir, 'missing', 'autogroup') });
      assert.ok(
        'unchanged' in r && /could not set its session's nice to -10/.test(r.unchanged),
        JSON.stringify(r),
      );
    });
  });

  describe('a real agent', () => {
    before(function () {
      const skip = autogroupSkipReason();
      if (skip) {
        console.log(`      (skipped: ${skip})`);
        this.skip();
      }
    });

    async function runTicker(opts: { ownSession: boolean; extra?: string[] }) {
      const dir = tempDir();
      const data = path.join(dir, 'data');
      const file = writeHandlers(dir, [
        { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
      ]);
      const agent = startAgent(file, data, ['--socket', 'off', ...(opts.extra ?? [])], {
        ownSession: opts.ownSession,
      });
      const st = await waitInstance(data, agent.pid, 'tick', (s) => s.state === 'running', 'tick running');
      trackPid(st.pgid ?? undefined, true);
      return { agent, st };
    }

    it('leading its own session, the agent runs at nice -10 there and its handler at nice 0 in its own', async () => {
      const runner = autogroupOf('self');
      const { agent, st } = await runTicker({ ownSession: true });
      const mine = autogroupOf(agent.pid);
      assert.equal(mine.nice, -10, agent.stderr());
      const handler = autogroupOf(st.pid!);
      assert.equal(handler.nice, 0, 'the handler keeps the default weight');
      assert.notEqual(handler.group, mine.group, 'the handler is a session (an autogroup) of its own');
      assert.deepEqual(autogroupOf('self'), runner, 'the test runner’s session is left as it was');
      process.kill(agent.pid, 'SIGTERM');
      await agent.exited;
    });

    it('--autogroup-nice off leaves its own session as it was', async () => {
      const { agent } = await runTicker({ ownSession: true, extra: ['--autogroup-nice', 'off'] });
      assert.equal(autogroupOf(agent.pid).nice, 0);
      process.kill(agent.pid, 'SIGTERM');
      await agent.exited;
    });

    it('sharing the test runner’s session, the agent leaves it as it was and logs why', async () => {
      const before = autogroupOf('self');
      const { agent } = await runTicker({ ownSession: false });
      await waitFor(() => /CPU share is left as it is/.test(agent.stderr()), {
        what: 'the reason in the log',
      });
      assert.deepEqual(autogroupOf(agent.pid), before);
      assert.deepEqual(autogroupOf('self'), before);
      process.kill(agent.pid, 'SIGTERM');
      await agent.exited;
    });
  });
});
