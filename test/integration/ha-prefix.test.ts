/**
 * Clusters sharing one etcd (issue 16, `--etcd-prefix`): a master whose prefix lies inside another
 * cluster's keys is refused at start (its leader key, registry entry and state would land among the other
 * cluster's records, whose next leader then refuses its own store), while a sibling prefix that merely
 * starts with the same characters (`/gov` beside `/gov2`) is a cluster of its own.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { connectEtcd } from '../../master/state/etcd-client.js';
import { openEtcdStore } from '../../master/state/etcd-store.js';
import { enclosingPrefixes } from '../../master/ha/cluster-prefix.js';
import { Proc } from '../helpers/cluster.js';
import { waitFor } from '../helpers/common.js';
import { useEtcd } from '../helpers/etcd.js';
import { HaCluster } from '../helpers/ha-cluster.js';
import { freePort } from '../helpers/etcd.js';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('HA masters: clusters sharing one etcd under their own prefixes', function () {
  this.timeout(120_000);
  const etcd = useEtcd();
  let ha: HaCluster | null = null;
  const others: Proc[] = [];

  afterEach(async () => {
    for (const p of others.splice(0)) await p.kill('SIGKILL').catch(() => {});
    await ha?.stop();
    ha = null;
  });

  /** A master of another cluster, at `prefix`, beside the test's cluster (same etcd, certificates). */
  async function otherMaster(prefix: string): Promise<Proc> {
    const h = ha as HaCluster;
    const args = h.masterArgs(0);
    const address = `127.0.0.1:${await freePort()}`;
    const set = (flag: string, value: string) => (args[args.indexOf(flag) + 1] = value);
    set('--etcd-prefix', prefix);
    set('--listen', address);
    set('--advertise', address);
    set('--master-id', 'm-other');
    set('--data-dir', path.join(h.dir, `other-${others.length}`));
    const p = new Proc(
      `gov master at ${prefix}`,
      spawn(process.execPath, args, { cwd: h.dir, stdio: 'pipe' }),
    );
    others.push(p);
    return p;
  }

  it('enclosingPrefixes lists every prefix strictly enclosing one', () => {
    assert.deepEqual(enclosingPrefixes('/a/b/'), ['/', '/a/']);
    assert.deepEqual(enclosingPrefixes('/gov/'), ['/']);
  });

  it('a master whose --etcd-prefix lies inside another cluster is refused at start, naming both prefixes; the other cluster still loads its store', async () => {
    ha = await HaCluster.start(etcd(), { masters: 1 });
    await ha.waitLeader();
    const conn = await connectEtcd({ endpoints: [etcd().endpoint], dialTimeoutMs: 5000 });
    try {
      const a = ha.prefix;
      await waitFor(() => conn.client.get(`${a}state/meta`).exists(), {
        what: 'the cluster to store its state',
      });
      for (const nested of [`${a}state/`, `${a}state/agents/`]) {
        const p = await otherMaster(nested);
        const outcome = await waitFor(
          () => (!p.running ? 'exited' : /listening on/.test(p.stdout) ? 'listening' : null),
          { timeoutMs: 20_000, what: `the master at ${nested} to exit or listen` },
        );
        assert.equal(outcome, 'exited', `a master at ${nested} started inside ${a}:\n${p.tail()}`);
        assert.notEqual((await p.exited).code, 0);
        // Exited: its stderr is complete.
        assert.match(
          p.stderr,
          new RegExp(
            `${escape(nested)}: lies inside the keys of the Governor cluster at prefix ${escape(a)}`,
          ),
        );
      }
      // Nothing of the refused masters landed in the cluster's keys: its store (a next leader's load) is whole.
      const store = await openEtcdStore({ etcd: conn, prefix: `${a}state/` });
      assert.ok(store.data.version > 0);
      await store.close();
    } finally {
      conn.close();
    }
  });

  it('a sibling prefix sharing the first characters (/gov beside /gov2) is a cluster of its own', async () => {
    ha = await HaCluster.start(etcd(), { masters: 1 });
    await ha.waitLeader();
    const sibling = `${ha.prefix.slice(0, -1)}2/`;
    const p = await otherMaster(sibling);
    await waitFor(() => (/listening on/.test(p.stdout) ? true : p.running ? null : 'exited'), {
      timeoutMs: 20_000,
      what: `the master at ${sibling} to listen`,
    }).then((r) => assert.equal(r, true, p.tail()));
  });
});
