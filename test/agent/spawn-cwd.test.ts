/** A cwd the agent cannot use (missing, or a file) fails the start, naming the handler, the cwd and the path. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/common.js';
import { spec, supervisors } from './health-helpers.js';

describe('a spec value checked on the agent before any spawn', () => {
  const s = supervisors();
  afterEach(() => s.close());

  it('a cwd missing on the agent, or a file, fails the start naming the handler, cwd and the path', async () => {
    const sup = await s.make();
    const dir = tempDir();
    const missing = path.join(dir, 'nope');
    const file = path.join(dir, 'file');
    writeFileSync(file, '');
    const statuses = await sup.applySpecs([
      spec({ name: 'gone', command: ['node', '-e', '0'], cwd: missing }),
      spec({ name: 'notdir', command: ['node', '-e', '0'], cwd: file }),
    ]);
    const by = (name: string) => statuses.find((x) => x.handler === name);
    const gone = by('gone');
    assert.equal(gone?.state, 'fatal');
    assert.equal(gone?.pid, null);
    assert.ok(
      gone?.events.some(
        (e) => e.message === `SPAWN_FAILED handler gone: cwd: ${missing} does not exist on this agent`,
      ),
      JSON.stringify(gone?.events),
    );
    assert.ok(
      by('notdir')?.events.some(
        (e) => e.message === `SPAWN_FAILED handler notdir: cwd: ${file} is not a directory`,
      ),
      JSON.stringify(by('notdir')?.events),
    );
  });
});
