/**
 * Log records carry an error under one key, `err`, and the logger alone decides what of it is written:
 * its message and, when it has one, its code (errno, domain kind) — in the text and the JSON format.
 */
import assert from 'node:assert/strict';
import { NotFoundError } from '../../shared/errors.js';
import { ERROR_KEY, Logger } from '../../shared/logger.js';

function capture(format: 'text' | 'json') {
  const lines: string[] = [];
  const log = new Logger('t', { level: 'debug', format, sink: { write: (l) => lines.push(l) } });
  return { log, lines };
}

const enospc = (): NodeJS.ErrnoException =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('logger: one key for errors', () => {
  it('the key is err', () => {
    assert.equal(ERROR_KEY, 'err');
  });

  it('text: an error object is written as its message and its code under err', () => {
    const { log, lines } = capture('text');
    log.warn('write failed', { file: '/d/state.json', err: enospc() });
    log.error('not found', { err: new NotFoundError('unknown handler "web"') });
    log.info('plain', { err: new Error('boom') });
    assert.match(
      lines[0] ?? '',
      / \[t\] write failed file=\/d\/state\.json err="ENOSPC: no space left on device, write" err_code=ENOSPC\n$/,
    );
    assert.match(lines[1] ?? '', / err="unknown handler \\"web\\"" err_code=NOT_FOUND\n$/);
    assert.match(lines[2] ?? '', / plain err=boom\n$/);
  });

  it('json: err is {message, code}', () => {
    const { log, lines } = capture('json');
    log.warn('write failed', { err: enospc() });
    log.warn('thrown a string', { err: 'just text' });
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(first?.err, { message: 'ENOSPC: no space left on device, write', code: 'ENOSPC' });
    assert.deepEqual(second?.err, { message: 'just text' });
  });

  it('an Error under another key is written as an error too (never as {})', () => {
    const { log, lines } = capture('json');
    log.info('x', { cause: enospc() });
    assert.deepEqual((JSON.parse(lines[0] ?? '{}') as Record<string, unknown>).cause, {
      message: 'ENOSPC: no space left on device, write',
      code: 'ENOSPC',
    });
  });

  it('an absent err writes nothing', () => {
    const { log, lines } = capture('text');
    log.info('fine', { err: undefined, n: 1 });
    assert.match(lines[0] ?? '', / fine n=1\n$/);
  });
});
