/**
 * A master store that parses but has the wrong shape is refused with the file and the field path —
 * never loaded as empty (a master that knows nothing would tell every agent "no handlers").
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MASTER_STATE_FILE, openMasterStore } from '../../master/state/store.js';
import { EXECUTION_JOURNAL_FILE } from '../../master/state/execution-journal.js';
import { GOV_BIN, tempDir } from '../helpers/common.js';
import { testPki } from '../helpers/pki.js';

const goodSpec = {
  name: 'web',
  count: 1,
  agents: ['edge-1'],
  selector: {},
  command: ['node', 'web.js'],
  env: {},
  backoff: { initial_ms: 1000, max_ms: 60000, factor: 2, jitter: 0.1 },
  update: {},
};

/** [what the file holds, the error expected]. */
const CASES: Array<[string, unknown, RegExp]> = [
  ['null', null, /\(top level\): expected an object, got null/],
  ['an array', [], /\(top level\): expected an object, got array/],
  ['executions: "oops"', { executions: 'oops' }, /: executions: expected an array, got string/],
  ['agents as an array', { agents: [] }, /: agents: expected an object, got array/],
  ['specs as a string', { specs: 'x' }, /: specs: expected an object, got string/],
  ['instances as a number', { instances: 5 }, /: instances: expected an object, got number/],
  ['rollouts as an array', { rollouts: [] }, /: rollouts: expected an object, got array/],
  [
    'lifetime_executions as a string',
    { lifetime_executions: '3' },
    /: lifetime_executions: expected a number/,
  ],
  [
    'an agent record without labels',
    {
      agents: {
        'edge-1': {
          id: 'edge-1',
          hostname: 'h',
          version: '',
          connected: false,
          last_seen: '',
          revoked: false,
        },
      },
    },
    /: agents\.edge-1\.labels: expected an object, got undefined/,
  ],
  ['a spec entry that is a string', { specs: { web: 'x' } }, /: specs\.web: expected an object, got string/],
  [
    'a spec entry without versions',
    { specs: { web: { name: 'web', versions: [] } } },
    /: specs\.web\.versions: expected at least one version/,
  ],
  [
    'a spec version whose command is a string',
    {
      specs: {
        web: {
          name: 'web',
          versions: [
            { version: 1, hash: 'h', applied_at: '', spec: { ...goodSpec, command: 'node web.js' } },
          ],
        },
      },
    },
    /: specs\.web\.versions\[0\]\.spec\.command: expected an array, got string/,
  ],
  [
    'an instance entry without a status',
    { instances: { 'edge-1': { web: { reported_at: '' } } } },
    /: instances\.edge-1\.web\.status: expected an object, got undefined/,
  ],
  [
    'an execution with an unknown status',
    {
      executions: [
        { id: '1', kind: 'start', handler: 'w', agent: 'a', issued_by: 'x', started_at: '', status: 'done' },
      ],
    },
    /: executions\[0\]\.status: expected one of running, success, error, timeout, got "done"/,
  ],
  ['a rollout that is a string', { rollouts: { r1: 'x' } }, /: rollouts\.r1: expected an object, got string/],
];

describe('master store shape', () => {
  for (const [what, content, error] of CASES) {
    it(`refuses a master.json holding ${what}, naming the file and the field`, async () => {
      const dir = tempDir('gov-shape-');
      const file = path.join(dir, MASTER_STATE_FILE);
      writeFileSync(file, JSON.stringify(content));
      await assert.rejects(openMasterStore(dir), (e: Error) => {
        assert.ok(e.message.startsWith(`${file}: `), e.message);
        assert.match(e.message, error);
        return true;
      });
      // Refused, not replaced: the lock is released and the file is untouched.
      await assert.rejects(openMasterStore(dir), error);
    });
  }

  it('a state file that cannot be read (a directory, larger than a text can hold) is refused naming it, untouched', async () => {
    for (const name of [MASTER_STATE_FILE, EXECUTION_JOURNAL_FILE]) {
      const dir = tempDir('gov-shape-');
      mkdirSync(path.join(dir, name));
      await assert.rejects(openMasterStore(dir), (e: Error) => {
        assert.match(
          e.message,
          new RegExp(`^state file ${path.join(dir, name)} cannot be read: is a directory`),
        );
        return true;
      });
      assert.ok(statSync(path.join(dir, name)).isDirectory(), 'left as it was');
    }
    // Sparse: its size is all that is read.
    const dir = tempDir('gov-shape-');
    const big = path.join(dir, EXECUTION_JOURNAL_FILE);
    writeFileSync(path.join(dir, MASTER_STATE_FILE), '{}');
    writeFileSync(big, '');
    truncateSync(big, 600 * 1024 * 1024);
    await assert.rejects(
      openMasterStore(dir),
      new RegExp(`state file ${big} cannot be read: ${600 * 1024 * 1024} bytes, more than one text can hold`),
    );
    assert.equal(statSync(big).size, 600 * 1024 * 1024);
  });

  it('loads a file of the right shape (older files get missing top-level keys filled in)', async () => {
    const dir = tempDir('gov-shape-');
    writeFileSync(
      path.join(dir, MASTER_STATE_FILE),
      JSON.stringify({
        specs: {
          web: { name: 'web', versions: [{ version: 1, hash: 'h', applied_at: '', spec: goodSpec }] },
        },
      }),
    );
    const store = await openMasterStore(dir);
    assert.equal(store.data.specs.web?.versions.length, 1);
    assert.deepEqual(store.data.executions, []);
    await store.close();
  });

  it('gov master exits non-zero with the file and field when master.json has the wrong shape', async () => {
    const dir = tempDir('gov-shape-');
    writeFileSync(path.join(dir, MASTER_STATE_FILE), JSON.stringify({ executions: 'oops' }));
    const p = (await testPki()).paths('master');
    const r = spawnSync(
      process.execPath,
      [GOV_BIN, 'master', '--data-dir', dir, '--listen', '127.0.0.1:0', '--http', 'off'].concat([
        '--ca',
        p.ca,
        '--cert',
        p.cert,
        '--key',
        p.key,
      ]),
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.notEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`${MASTER_STATE_FILE}: executions: expected an array, got string`));
  });
});
