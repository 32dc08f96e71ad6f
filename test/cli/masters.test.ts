/** `gov masters`: the masters, which one leads and since when, lease ages; one JSON document with --json. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../master/cli/gov-program.js';
import { mastersTable } from '../../master/cli/masters.js';
import { tempDir } from '../helpers/common.js';
import { captureIO, master, runGov as gov } from './fake-admin.js';

describe('gov masters', () => {
  it('prints id, address, leader, leader since and lease age, and the store and who answered', async () => {
    const r = await gov(['masters']);
    assert.equal(r.code, 0, r.io.stderr);
    assert.deepEqual(r.fake.calls, [['listMasters']]);
    const lines = r.io.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'store etcd, answered by m-2');
    assert.match(lines[1] ?? '', /^ID\s+ADDRESS\s+LEADER\s+LEADER SINCE\s+LEASE AGE\s+LEASE TTL$/);
    assert.match(lines[2] ?? '', /^m-1\s+10\.0\.0\.1:7070\s+yes\s+\S+ ago\s+1s\s+5s$/);
    assert.match(lines[3] ?? '', /^m-2\s+10\.0\.0\.2:7070\s+no\s+-\s+800ms\s+5s$/);
  });

  it('--json prints the response as one document', async () => {
    const r = await gov(['masters', '--json']);
    assert.equal(r.code, 0, r.io.stderr);
    const doc = JSON.parse(r.io.stdout) as {
      store: string;
      answered_by: string;
      masters: Array<{ id: string; leader: boolean }>;
    };
    assert.equal(doc.store, 'etcd');
    assert.equal(doc.answered_by, 'm-2');
    assert.deepEqual(
      doc.masters.map((m) => [m.id, m.leader]),
      [
        ['m-1', true],
        ['m-2', false],
      ],
    );
  });

  it('a single master (embedded store) shows no lease', () => {
    const text = mastersTable(
      {
        store: 'embedded',
        answered_by: '127.0.0.1:7070',
        masters: [master({ id: '127.0.0.1:7070', address: '127.0.0.1:7070', leader: true, lease_ttl_ms: 0 })],
      },
      Date.now(),
    );
    assert.match(text, /^store embedded, answered by 127\.0\.0\.1:7070\n/);
    assert.match(text, /127\.0\.0\.1:7070\s+127\.0\.0\.1:7070\s+yes\s+-\s+-\s+-/);
  });

  it('is completed by the shell (gov maste<TAB>) and has help', async () => {
    const io = captureIO();
    assert.equal(await main(['completion', 'bash'], io), 0, io.stderr);
    const file = path.join(tempDir(), 'gov.bash');
    writeFileSync(file, io.stdout);
    const out = execFileSync(
      'bash',
      [
        '--norc',
        '--noprofile',
        '-c',
        `source '${file}'\nCOMP_WORDS=(gov maste); COMP_CWORD=1; COMPREPLY=(); _gov; echo "\${COMPREPLY[*]}"`,
      ],
      { encoding: 'utf8' },
    );
    assert.deepEqual(out.trim().split(' '), ['master', 'masters']);
    const help = captureIO();
    assert.equal(await main(['masters', '--help'], help), 0);
    assert.match(help.stdout, /which one leads/);
  });
});
