/** Admin.ListMasters on the single master (file store): itself, leading since it started, store embedded. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { createGrpcAdminApi } from '../../master/cli/admin-client.js';
import { DistributedGovernor } from '../../master/governor.js';
import { compileMasterOptions } from '../../master/options.js';
import { silentLogger } from '../../shared/logger.js';
import { clientConnection } from '../../shared/tls.js';
import { tempDir } from '../helpers/common.js';
import { testPki } from '../helpers/pki.js';

describe('ListMasters on a single master', () => {
  it('answers store embedded with itself as the leader (its address, since it started), to a viewer too', async () => {
    const pki = await testPki();
    const options = compileMasterOptions(
      {
        listen: '127.0.0.1:0',
        http: 'off',
        data_dir: tempDir(),
        ca: path.join(pki.dir, 'ca.crt'),
        cert: path.join(pki.dir, 'master.crt'),
        key: path.join(pki.dir, 'master.key'),
      },
      process.cwd(),
    );
    const before = Date.now();
    const governor = await DistributedGovernor.create(options, silentLogger);
    try {
      const port = await governor.listen();
      const address = `127.0.0.1:${port}`;
      const conn = clientConnection(address, pki.material('viewer-viewer'), { separateConnection: true });
      const api = createGrpcAdminApi({
        target: conn.target,
        credentials: conn.credentials,
        channelOptions: conn.options,
      });
      try {
        const res = await api.listMasters();
        assert.equal(res.store, 'embedded');
        assert.equal(res.answered_by, address);
        assert.equal(res.masters.length, 1);
        const m = res.masters[0]!;
        assert.deepEqual([m.id, m.address, m.leader, m.lease_ttl_ms], [address, address, true, 0]);
        assert.ok(Date.parse(m.leader_since) >= before - 1000 && Date.parse(m.leader_since) <= Date.now());
        assert.match(m.version, /^\d+\.\d+\.\d+/);
      } finally {
        api.close();
      }
    } finally {
      await governor.shutdown();
    }
  });
});
