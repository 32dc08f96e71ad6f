/**
 * The agent's event list of local control commands: each command recorded with its outcome before its
 * answer, bounded, persisted; unreported ones are what a welcome sends, and an acknowledgement is kept
 * across a restart (a restarted agent never sends an acknowledged one again).
 */
import assert from 'node:assert/strict';
import { LocalAudit } from '../../agent/local/local-audit.js';
import { silentLogger } from '../../shared/logger.js';
import { tempDir } from '../helpers/common.js';

const input = (handler: string) => ({
  kind: 'restart',
  handler,
  instance: '',
  issued_by: 'local:1000',
  params_summary: '',
});

describe('local audit: the event list of local commands', () => {
  it('records success and failure with the outcome, bounded, and keeps acknowledgements across a restart', async () => {
    const dir = tempDir();
    let t = 1_000_000;
    const audit = await LocalAudit.open(dir, silentLogger, { capacity: 3, now: () => (t += 10) });
    const sent: string[] = [];
    audit.on('recorded', (e) => sent.push(e.id ?? ''));
    const ok = await audit.record(
      input('a'),
      async () => 'fine',
      (r) => `said ${r}`,
    );
    assert.equal(ok.result, 'fine');
    assert.deepEqual(
      { ...ok.event, id: '' },
      {
        id: '',
        ...input('a'),
        started_at: new Date(1_000_010).toISOString(),
        completed_at: new Date(1_000_020).toISOString(),
        ok: true,
        error: '',
        result: 'said fine',
        reported: false,
      },
    );
    const failed = await audit.record(
      input('b'),
      () => Promise.reject(new Error('no such thing')),
      () => '',
    );
    assert.equal(failed.result, undefined);
    assert.equal(failed.event.ok, false);
    assert.equal(failed.event.error, 'no such thing');
    assert.deepEqual(sent, [ok.event.id, failed.event.id], 'each announced once recorded');

    await audit.record(input('c'), async () => 1, String);
    await audit.record(input('d'), async () => 1, String);
    assert.deepEqual(
      audit.events().map((e) => e.handler),
      ['b', 'c', 'd'],
      'the oldest dropped past the capacity',
    );
    audit.acknowledged([failed.event.id]);
    assert.deepEqual(
      audit.pending().map((e) => e.handler),
      ['c', 'd'],
    );
    await audit.close();

    const again = await LocalAudit.open(dir, silentLogger);
    assert.deepEqual(
      again.pending().map((e) => e.handler),
      ['c', 'd'],
      'the acknowledgement was persisted',
    );
    assert.equal(
      again.pending().some((e) => 'reported' in e),
      false,
      'sent as LocalExecution',
    );
    await again.close();
  });
});
