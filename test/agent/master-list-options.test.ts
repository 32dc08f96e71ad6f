/**
 * `gov agent --master`, GOV_MASTER and the config file's `master:` take the masters of an HA cluster as a
 * comma-separated list (flags > env > file); a bad list is refused naming where it came from.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileAgentOptions } from '../../agent/options.js';
import { UsageError } from '../../shared/cli-io.js';
import { ValidationError } from '../../shared/errors.js';
import { tempDir } from '../helpers/common.js';

describe('agent options: a list of masters', () => {
  const base = { id: 'edge-1', dataDir: 'd' };

  it('flag, env or config file; the first address is the connection default', () => {
    const flag = compileAgentOptions({ ...base, master: 'm1:7070, m2:7070,m3:7070' }, {}, '/srv').connected!;
    assert.deepEqual(flag.masters, ['m1:7070', 'm2:7070', 'm3:7070']);
    assert.equal(flag.connection.master, 'm1:7070');
    const env = compileAgentOptions(base, { GOV_MASTER: 'e1:1,e2:1' }, '/srv').connected!;
    assert.deepEqual(env.masters, ['e1:1', 'e2:1']);
    const cfg = path.join(tempDir(), 'agent.yaml');
    writeFileSync(cfg, 'master: f1:1,f2:1\n');
    const file = compileAgentOptions({ ...base, config: cfg }, {}, '/srv').connected!;
    assert.deepEqual(file.masters, ['f1:1', 'f2:1']);
    assert.deepEqual(compileAgentOptions(base, {}, '/srv').connected!.masters, ['127.0.0.1:7070']);
  });

  it('a bad entry is refused naming the flag, GOV_MASTER or the file and key', () => {
    assert.throws(
      () => compileAgentOptions({ ...base, master: 'm1:7070,m2' }, {}, '/srv'),
      (e: Error) => e instanceof UsageError && /^--master: "m2" is not HOST:PORT/.test(e.message),
    );
    assert.throws(
      () => compileAgentOptions(base, { GOV_MASTER: 'm1:7070,' }, '/srv'),
      (e: Error) => e instanceof UsageError && /^GOV_MASTER "m1:7070,": an empty address/.test(e.message),
    );
    const cfg = path.join(tempDir(), 'agent.yaml');
    writeFileSync(cfg, 'master: "f1:1,f2"\n');
    assert.throws(
      () => compileAgentOptions({ ...base, config: cfg }, {}, '/srv'),
      (e: Error) =>
        e instanceof ValidationError && e.message.startsWith(`${cfg}: master: "f2" is not HOST:PORT`),
    );
  });
});
