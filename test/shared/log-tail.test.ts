/** Log tails are bounded in lines and bytes, so an answer always fits in one agent-link message. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_LINE_BYTES, MAX_TAIL_BYTES, tailLines } from '../../shared/log-tail.js';
import { tempDir } from '../helpers/common.js';

describe('log tail', () => {
  it('returns the last N lines, and nothing for a missing file', async () => {
    const f = path.join(tempDir(), 'out.log');
    writeFileSync(f, Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n');
    assert.deepEqual(await tailLines(f, 3), ['line 97', 'line 98', 'line 99']);
    assert.deepEqual(await tailLines(path.join(tempDir(), 'none.log'), 3), []);
  });

  it('reads at most MAX_TAIL_BYTES and cuts very long lines', async () => {
    const f = path.join(tempDir(), 'big.log');
    const line = 'x'.repeat(2048);
    writeFileSync(f, Array.from({ length: 3000 }, (_, i) => `${i} ${line}`).join('\n') + '\n');
    const lines = await tailLines(f, 3000);
    const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
    assert.ok(bytes <= MAX_TAIL_BYTES, `${bytes} bytes returned`);
    assert.ok(lines.length > 100 && lines.length < 3000);
    assert.match(lines[lines.length - 1]!, /^2999 x+$/, 'the newest line is last and whole');
    assert.match(lines[0]!, /^\d+ x{2048}$/, 'no partial first line');

    const long = path.join(tempDir(), 'long.log');
    writeFileSync(long, 'y'.repeat(MAX_LINE_BYTES * 3) + '\n');
    const [cut] = await tailLines(long, 1);
    assert.ok(cut!.length < MAX_LINE_BYTES + 20 && cut!.endsWith('…[cut]'));
  });
});
