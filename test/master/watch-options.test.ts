/** The master's watch settings: flags and config keys, their defaults, and bad values refused by name. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileMasterOptions, resolveMasterOptions } from '../../master/options.js';
import { tempDir } from '../helpers/common.js';

describe('master watch options', () => {
  it('defaults: 10000 kept events, a 1000-event buffer per watcher, 15 minutes of history', () => {
    const o = compileMasterOptions({}, '/tmp');
    assert.deepEqual([o.watchEvents, o.watchBuffer, o.metricsHistoryMs], [10_000, 1000, 900_000]);
  });

  it('flags over the config file', () => {
    const file = path.join(tempDir(), 'master.yaml');
    writeFileSync(file, 'watch_events: 500\nwatch_buffer: 20\nmetrics_history: 5m\n');
    const fromFile = resolveMasterOptions({ config: file }, {}, '/tmp');
    assert.deepEqual(
      [fromFile.watchEvents, fromFile.watchBuffer, fromFile.metricsHistoryMs],
      [500, 20, 300_000],
    );
    const flags = resolveMasterOptions(
      { config: file, watchEvents: '7', watchBuffer: '8', metricsHistory: '1m' },
      {},
      '/tmp',
    );
    assert.deepEqual([flags.watchEvents, flags.watchBuffer, flags.metricsHistoryMs], [7, 8, 60_000]);
  });

  it('refuses bad values naming the flag or key', () => {
    assert.throws(() => resolveMasterOptions({ watchEvents: 'many' }, {}, '/tmp'), /--watch-events many/);
    assert.throws(
      () => resolveMasterOptions({ watchBuffer: '0' }, {}, '/tmp'),
      /--watch-buffer 0: must be an integer from 1 to 1000000/,
    );
    assert.throws(
      () => resolveMasterOptions({ metricsHistory: '10 parsecs' }, {}, '/tmp'),
      /--metrics-history/,
    );
    const file = path.join(tempDir(), 'master.yaml');
    writeFileSync(file, 'watch_events: -3\n');
    assert.throws(() => resolveMasterOptions({ config: file }, {}, '/tmp'), /watch_events/);
  });
});
