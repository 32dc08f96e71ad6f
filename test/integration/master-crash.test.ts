/**
 * Kill -9 of the master and DESIGN §4 agent autonomy over real processes: `kill -9` of the master leaves the
 * handlers running; agents keep supervising without it (a crash is restarted locally); a master
 * restarted on the same port and data dir gets the agents back with the registry and every acknowledged
 * execution intact, and reconciles without restarting anything that runs as specified.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../../shared/proc.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';

describe('integration: kill -9 of the master', function () {
  this.slow(15_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('handlers keep running and agents keep supervising; after a restart the registry and acknowledged executions are back and nothing was restarted', async () => {
    const trigger = path.join(c.dir, 'crash-now');
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1', 'edge-2'],
        command: [process.execPath, fixture('ticker.mjs')],
        start_seconds: 0,
      },
      {
        name: 'crashy',
        agents: ['edge-1'],
        command: [process.execPath, fixture('exit-on-file.mjs')],
        env: { TRIGGER: trigger, EXIT_CODE: '3' },
        restart: 'always',
        start_seconds: 0,
        backoff: { initial: '100ms', max: '1s' },
        update: { min_healthy_time: '100ms' },
      },
    ]);
    const yaml = readFileSync(file, 'utf8');
    const api = c.admin();
    await api.apply(yaml, 'handlers.yaml');
    // A second version of crashy's spec, so the registry holds more than one version.
    const yaml2 = yaml.replace('"EXIT_CODE":"3"', '"EXIT_CODE":"4"');
    const updated = await api.apply(yaml2, 'handlers.yaml');
    // A changed spec rolls out (DESIGN §5); let that finish so the PIDs below are the final ones.
    assert.equal(updated.rollouts.length, 1);
    await waitFor(async () => (await api.getRollout(updated.rollouts[0]!.id)).state === 'succeeded', {
      what: 'the crashy update rollout to succeed',
    });
    const [crashy] = await c.waitInstances('crashy', 1, (i) => i.state === 'running' && !!i.pid);
    const restart = await api.control('restart', 'web', 'edge-2');
    assert.equal(restart.executions[0]?.status, 'success');
    const restartedPid = restart.instances.find((i) => i.agent === 'edge-2')?.status?.pid;
    assert.ok(restartedPid, 'restart reports the new PID');
    const before = await c.waitInstances(
      'web',
      2,
      (i) => i.state === 'running' && !!i.pid && (i.agent !== 'edge-2' || i.pid === restartedPid),
    );
    const agentsBefore = (await api.listAgents()).agents.map((a) => [a.id, a.hostname, a.version]);
    const versionsBefore = await c.specVersions(yaml2);
    assert.deepEqual(versionsBefore, { web: 1, crashy: 2 });
    const lifetimeBefore = (await api.getStats()).lifetime_executions;
    // Every execution returned to a caller so far (the applies' APPLYs and the restart).
    const acknowledged = (await api.listExecutions({ limit: 1000 })).records;
    assert.ok(acknowledged.some((r) => r.id === restart.executions[0]!.id));
    assert.ok(acknowledged.length >= 5, `executions so far: ${acknowledged.length}`);

    await c.killMaster('SIGKILL');

    // Handlers survive, checked by PID in /proc (not through the master).
    for (const i of [...before, crashy!]) assert.ok(isAlive(i.pid!), `${i.handler}@${i.agent} survived`);
    // The agent keeps supervising on its own: a crash while the master is down is restarted locally.
    writeFileSync(trigger, '');
    const respawned = await c.waitLocal(
      'edge-1',
      'crashy',
      (s) => s.state === 'running' && s.pid !== crashy!.pid && s.restarts === crashy!.restarts + 1,
      'crashy restarted by its agent while the master is down',
    );
    assert.ok(!isAlive(crashy!.pid!), 'the crashed process is gone');

    await c.startMaster();
    await c.waitAgentConnected('edge-1');
    await c.waitAgentConnected('edge-2');

    // Registry: agents and spec versions as before.
    const agentsAfter = (await c.admin().listAgents()).agents.map((a) => [a.id, a.hostname, a.version]);
    assert.deepEqual(agentsAfter, agentsBefore);
    assert.deepEqual(await c.specVersions(yaml2), versionsBefore);
    // Every acknowledged execution is still there, as it was.
    const after = (await c.admin().listExecutions({ limit: 1000 })).records;
    for (const r of acknowledged) {
      const now = after.find((x) => x.id === r.id);
      assert.deepEqual(now, r, `execution ${r.id} (${r.kind}@${r.agent}) survived unchanged`);
    }
    assert.ok((await c.admin().getStats()).lifetime_executions >= lifetimeBefore);

    // Reconciled without restarts: same PIDs, restart counts unchanged, fresh (not stale) status.
    const reconciled = await c.waitInstances(
      'web',
      2,
      (i) => !i.stale && i.state === 'running',
      'web reported again after the master restart',
    );
    assert.deepEqual(pidsOf(reconciled), pidsOf(before), 'web: same PIDs and restart counts');
    const [crashyNow] = await c.waitInstances(
      'crashy',
      1,
      (i) => !i.stale && i.pid === respawned.pid,
      "the master learns crashy's new PID from the agent",
    );
    assert.equal(crashyNow?.restarts, respawned.restarts, 'the restart done by the agent is reported');
    // The reconcile (APPLY on hello) left them alone; the processes are the same ones.
    await waitFor(
      async () => {
        const log = await c.admin().listExecutions({ kind: 'apply', limit: 1000 });
        const fresh = log.records.filter((r) => !acknowledged.some((a) => a.id === r.id));
        return fresh.length >= 2 && fresh.every((r) => r.status === 'success');
      },
      { what: 'reconcile APPLY executions for both agents' },
    );
    assert.deepEqual(pidsOf(await c.instances('web')), pidsOf(before));
    assert.equal(c.localStatus('edge-1').find((s) => s.handler === 'crashy')?.pid, respawned.pid);
    for (const i of reconciled) assert.ok(isAlive(i.pid!));
  });
});

function pidsOf(list: PsInstance[]): Array<[string, number | null, number]> {
  return list.map((i) => [i.agent, i.pid, i.restarts] as [string, number | null, number]).sort();
}
