/**
 * The HA master's lease judged locally (master/ha/lease.ts): its age counts from when the last confirmed
 * renewal was sent, on the monotonic clock, and every use checks it — a master paused past its lease learns
 * it on waking, before its late timers run and before it acts.
 */
import assert from 'node:assert/strict';
import { leaseFresh, leaseMarginMs, MasterLease } from '../../master/ha/lease.js';
import { connectEtcd, type EtcdConnection } from '../../master/state/etcd-client.js';
import { silentLogger } from '../../shared/logger.js';
import { waitFor } from '../helpers/common.js';
import { useEtcd } from '../helpers/etcd.js';

describe('HA lease: local deadline', () => {
  it('leaseFresh: fresh until the TTL less the margin, measured from the renewal sent', () => {
    assert.equal(leaseMarginMs(5000), 500);
    assert.equal(leaseMarginMs(2000), 200);
    assert.equal(leaseFresh(1000, 1000 + 1799, 2000, 200), true);
    assert.equal(leaseFresh(1000, 1000 + 1800, 2000, 200), false);
    assert.equal(leaseFresh(1000, 1000 + 60_000, 2000, 200), false);
  });

  describe('on a real etcd', function () {
    this.timeout(60_000);
    const etcd = useEtcd();
    let conn: EtcdConnection | undefined;
    before(async () => {
      conn = await connectEtcd({ endpoints: [etcd().endpoint] });
    });
    after(() => conn?.close()); // none when etcd is skipped (not installed here)

    it('a renewed lease stays alive past its TTL; its age stays within a third of the TTL or so', async () => {
      const lease = await MasterLease.grant(conn!.client, 2000, silentLogger);
      try {
        const start = Date.now();
        await waitFor(() => Date.now() - start > 3000, { timeoutMs: 5000, intervalMs: 100 });
        assert.equal(lease.alive(), true, `lost: ${lease.lost}`);
        assert.ok(lease.ageMs < 2000, `age ${lease.ageMs}`);
      } finally {
        await lease.revoke();
      }
    });

    it('time jumping past the TTL (a paused process waking) is noticed by the next use, synchronously, and emits lost once', async () => {
      let now = 0;
      const lease = await MasterLease.grant(conn!.client, 2000, silentLogger, () => now);
      const lost: string[] = [];
      lease.on('lost', (r) => lost.push(r));
      try {
        now = 1000;
        assert.equal(lease.alive(), true);
        now = 10_000; // woken after 10 s: no timer has run yet
        assert.equal(lease.alive(), false);
        assert.equal(lost.length, 1);
        assert.match(lost[0] ?? '', /no renewal confirmed for 10000 ms \(lease TTL 2000 ms\)/);
        assert.equal(lease.alive(), false);
        assert.equal(lost.length, 1);
      } finally {
        await lease.revoke();
      }
    });

    it('a lease revoked in etcd is lost at its next renewal', async () => {
      const lease = await MasterLease.grant(conn!.client, 2000, silentLogger);
      const lost = new Promise<string>((resolve) => lease.once('lost', resolve));
      await conn!.client.leaseClient.leaseRevoke({ ID: lease.id });
      assert.match(await lost, /etcd says the lease expired/);
      assert.equal(lease.alive(), false);
    });
  });
});
