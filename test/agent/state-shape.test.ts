/**
 * An agent state file of the wrong shape is refused with the file and the field: the agent never starts
 * from scratch beside handlers it may have running.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/common.js';
import { startAgent, writeHandlers } from './helpers.js';

const handle = {
  pid: 4242,
  pgid: 4242,
  start_time: '1',
  cmdline_hash: 'h',
  spawned_at: 1,
  stdout_log: '/x',
  stderr_log: '/y',
  exit_file: '/z',
  spec_hash: 's',
};
const record = (h: unknown) => ({
  spec_hash: 's',
  desired: 'running',
  state: 'running',
  handle: h,
  unverified_handle: null,
  restarts: 0,
  failed_starts: 0,
  last_exit: null,
  started_at: 1,
});
const spec = {
  name: 'web',
  count: 1,
  agents: [],
  selector: {},
  command: ['node'],
  env: {},
  backoff: {},
  update: {},
};

const CASES: Array<[string, unknown, RegExp]> = [
  ['null', null, /: \(top level\): expected an object, got null/],
  ['{}', {}, /: version: missing/],
  [
    'a layout version it does not know',
    { version: 2, specs: {}, instances: {} },
    /: version: layout version 2 is not one this agent understands/,
  ],
  ['specs as an array', { version: 1, specs: [], instances: {} }, /: specs: expected an object, got array/],
  [
    'a handle that is a string',
    { version: 1, specs: { web: spec }, instances: { web: record('pid 4242') } },
    /: instances\.web\.handle: expected an object, got string/,
  ],
  [
    'a handle without a start time',
    { version: 1, specs: { web: spec }, instances: { web: record({ ...handle, start_time: undefined }) } },
    /: instances\.web\.handle\.start_time: expected a string, got undefined/,
  ],
  [
    'a main pid that is not a number',
    {
      version: 1,
      specs: { web: spec },
      instances: { web: record({ ...handle, main_pid: '4243', main_start_time: '2' }) },
    },
    /: instances\.web\.handle\.main_pid: expected a number, got string/,
  ],
  [
    'a lease end that is not a number',
    { version: 1, specs: { web: spec }, instances: { web: { ...record(handle), lease_until: 'soon' } } },
    /: instances\.web\.lease_until: expected a number, got string/,
  ],
  [
    'an unknown instance state',
    { version: 1, specs: { web: spec }, instances: { web: { ...record(handle), state: 'dancing' } } },
    /: instances\.web\.state: expected one of .*got "dancing"/,
  ],
];

describe('agent state file shape', function () {
  this.slow(5000);
  for (const [what, content, error] of CASES) {
    it(`gov agent refuses a state.json holding ${what}: exits non-zero naming the file and the field`, async () => {
      const dir = tempDir();
      const data = path.join(dir, 'data');
      mkdirSync(data);
      const file = path.join(data, 'state.json');
      const text = JSON.stringify(content);
      writeFileSync(file, text);
      const agent = startAgent(writeHandlers(dir, [{ name: 'web', command: ['node', '-e', '0'] }]), data);
      const code = await Promise.race([
        agent.exited,
        new Promise<'running'>((r) => setTimeout(() => r('running'), 20_000).unref()),
      ]);
      if (code === 'running') {
        agent.proc.kill('SIGKILL');
        assert.fail(`the agent started instead of refusing its state file:\n${agent.stderr()}`);
      }
      assert.notEqual(code, 0, agent.stderr());
      assert.ok(agent.stderr().includes(`${file}: `), agent.stderr());
      assert.match(agent.stderr(), error);
      assert.equal(readFileSync(file, 'utf8'), text, 'the file is left as it was');
    });
  }
});
