/** A test run that leaves something open fails, naming it, instead of hanging or being forced to exit. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, fixture, trackPid } from './helpers/common.js';

describe('test runs end by themselves', function () {
  this.slow(10_000);

  it('a run that leaves a server open fails after the grace period and names the open server', async () => {
    const mocha = path.join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const hooks = path.join(REPO_ROOT, 'dist', 'test', 'hooks.test.js');
    const child = spawn(process.execPath, [mocha, '--no-config', hooks, fixture('leaky-spec.mjs')], {
      env: { ...process.env, GOV_TEST_LEAK_GRACE_MS: '300' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackPid(child.pid);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    assert.notEqual(exit, null, `the leaky run hung instead of failing:\n${out}`);
    assert.equal(exit, 1, out);
    assert.match(out, /1 passing/);
    assert.match(out, /did not exit 300 ms after its last hook/);
    assert.match(out, /handle: Server address \{"address":"127\.0\.0\.1","family":"IPv4","port":\d+\}/);
  });
});
