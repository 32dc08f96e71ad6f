/**
 * `gov signal SIGNAL TARGET...` end to end (real master and agent): a handler recording every signal it
 * gets receives `gov signal HUP NAME` (its process group) and `gov signal usr1 NAME --main` (its main
 * process, the PID `gov ps` shows); each is recorded as an execution of kind `signal` with the signal in its
 * params; an unknown signal name sends nothing (exit 2); an observed process is refused and never signalled
 * (exit 1); a viewer is refused.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Cluster } from '../helpers/cluster.js';
import { fixture, tempDir, waitFor } from '../helpers/common.js';
import { outsideWorkload, signalsRecorded } from '../agent/observed-helpers.js';

describe('integration: gov signal', function () {
  this.slow(20_000);
  let c: Cluster;
  let log: string;

  const received = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
    log = path.join(c.dir, 'rec-signals.log');
    const file = c.writeHandlers([
      {
        name: 'rec',
        agents: ['edge-1'],
        command: [process.execPath, fixture('signal-recorder.mjs'), log, `${log}.ready`],
        start_seconds: 0,
      },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('rec', 1, (i) => i.state === 'running' && !!i.pid);
    await waitFor(() => existsSync(`${log}.ready`), { what: 'rec ready', timeoutMs: 15_000 });
  });
  after(async () => {
    await c?.stop();
  });

  it('HUP to the process group and USR1 --main to the main process reach the handler; both recorded', async () => {
    const hup = await c.gov(['signal', 'HUP', 'rec']);
    assert.equal(hup.code, 0, hup.stderr);
    assert.match(hup.stdout, /^rec@edge-1: SIGHUP sent to its process group \(pid \d+\)\n$/);
    await waitFor(() => received().includes('SIGHUP'), { what: 'rec got SIGHUP', timeoutMs: 10_000 });

    const { instances } = await c.govJson<{ instances: Array<{ pid: number; shim_pid: number }> }>([
      'ps',
      'rec',
    ]);
    // The handler's own pid (what it logs) and, for diagnosis, its shim's.
    assert.ok(
      instances[0]!.shim_pid > 0 && instances[0]!.shim_pid !== instances[0]!.pid,
      JSON.stringify(instances),
    );
    const usr1 = await c.govJson<{ outcomes: Array<{ key: string; ok: boolean; pid: number }> }>([
      'signal',
      'usr1',
      'rec',
      '--main',
    ]);
    assert.deepEqual(
      usr1.outcomes.map((o) => [o.key, o.ok, o.pid]),
      [['rec@edge-1', true, instances[0]?.pid]],
    );
    await waitFor(() => received().includes('SIGUSR1'), { what: 'rec got SIGUSR1', timeoutMs: 10_000 });

    const { records } = await c.govJson<{ records: Array<{ params_summary: string; status: string }> }>([
      'executions',
      '--kind',
      'signal',
    ]);
    assert.deepEqual(records.map((r) => [r.params_summary, r.status]).sort(), [
      ['SIGHUP group', 'success'],
      ['SIGUSR1 main', 'success'],
    ]);
  });

  it('an unknown signal name: exit 2, nothing sent', async () => {
    const before = received().length;
    const r = await c.gov(['signal', 'BOGUS', 'rec']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /SIGNAL "BOGUS" is not a signal name/);
    const { records } = await c.govJson<{ records: unknown[] }>(['executions', '--kind', 'signal']);
    assert.equal(records.length, 2, 'no execution for it');
    assert.equal(received().length, before);
  });

  it('an observed process is refused and never signalled; a viewer may not signal', async () => {
    const w = await outsideWorkload(tempDir());
    await c.govJson(['attach', '--agent', 'edge-1', '--pid', String(w.pid), '--name', 'ext']);
    const r = await c.gov(['signal', 'HUP', 'ext']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ext is an observed process \(attached by PID\): governor never signals it/);
    const viewer = await c.gov(['signal', 'HUP', 'rec'], { pair: 'viewer-viewer' });
    assert.equal(viewer.code, 1, viewer.stderr);
    assert.match(viewer.stderr, /may not call Admin\/Control: viewer is read-only/);
    assert.equal(signalsRecorded(w.log), '', 'the observed process got nothing');
  });
});
