/**
 * The agent's exec settings: on, 8 sessions and 30 min idle by default; `--no-exec` / `exec: false` turn it
 * off; flags beat the config file; a bad value names the flag or the file and key.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileAgentOptions } from '../../agent/options.js';
import { UsageError } from '../../shared/cli-io.js';
import { ValidationError } from '../../shared/errors.js';
import { tempDir } from '../helpers/common.js';

function config(text: string): string {
  const f = path.join(tempDir(), 'agent.yaml');
  writeFileSync(f, text);
  return f;
}

describe('agent exec settings', () => {
  const base = { handlers: 'h.yaml', dataDir: 'd' };

  it('default to on, 8 sessions, 30 min idle timeout, 5 s kill grace', () => {
    const { exec } = compileAgentOptions(base, {}, '/srv');
    assert.deepEqual(exec, { enabled: true, maxSessions: 8, idleMs: 1_800_000, killGraceMs: 5000 });
  });

  it('come from the config file, and flags beat it', () => {
    const cfg = config('exec: false\nexec_max_sessions: 3\nexec_idle_timeout: 2m\n');
    const fromFile = compileAgentOptions({ ...base, config: cfg }, {}, '/srv').exec;
    assert.deepEqual(fromFile, { enabled: false, maxSessions: 3, idleMs: 120_000, killGraceMs: 5000 });
    const flags = compileAgentOptions(
      { ...base, config: config('exec_max_sessions: 3\n'), execMaxSessions: '5', execIdleTimeout: '10s' },
      {},
      '/srv',
    ).exec;
    assert.deepEqual(flags, { enabled: true, maxSessions: 5, idleMs: 10_000, killGraceMs: 5000 });
    assert.equal(compileAgentOptions({ ...base, exec: false }, {}, '/srv').exec.enabled, false);
  });

  it('refuse bad values, naming the flag or the key', () => {
    assert.throws(
      () => compileAgentOptions({ ...base, execMaxSessions: '0' }, {}, '/srv'),
      (e: unknown) =>
        e instanceof UsageError && /--exec-max-sessions must be an integer from 1 to 1000/.test(e.message),
    );
    assert.throws(
      () => compileAgentOptions({ ...base, execIdleTimeout: 'soon' }, {}, '/srv'),
      (e: unknown) => e instanceof UsageError && /--exec-idle-timeout/.test(e.message),
    );
    const bad = config('exec: maybe\n');
    assert.throws(
      () => compileAgentOptions({ ...base, config: bad }, {}, '/srv'),
      (e: unknown) => e instanceof ValidationError && e.message === `${bad}: exec: must be true or false`,
    );
    const many = config('exec_max_sessions: 0\n');
    assert.throws(
      () => compileAgentOptions({ ...base, config: many }, {}, '/srv'),
      (e: unknown) =>
        e instanceof ValidationError &&
        /exec_max_sessions: must be an integer from 1 to 1000/.test(e.message),
    );
  });
});
