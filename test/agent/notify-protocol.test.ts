/**
 * The sd_notify message parse (agent/notify/protocol.ts): systemd's keys as systemd means them, unknown
 * keys ignored, a malformed datagram refused whole (so half a message never acts); and the socket path
 * rule (sun_path holds 107 bytes: a path too long is refused by name, never cut).
 */
import assert from 'node:assert/strict';
import { parseNotify, MAX_STATUS_CHARS } from '../../agent/notify/protocol.js';
import { notifySocketPath } from '../../agent/notify/receiver.js';
import { statusCell } from '../../master/cli/format.js';

const parse = (text: string) => parseNotify(Buffer.from(text));

describe('sd_notify protocol', () => {
  it('reads the keys Governor acts on, in one datagram, and ignores systemd keys it does not use', () => {
    const r = parse(
      'READY=1\nSTATUS=up: 3 workers\nMAINPID=4242\nWATCHDOG=1\nWATCHDOG_USEC=2500\nERRNO=0\nBUSY=1\n',
    );
    assert.deepEqual(r, {
      ok: true,
      message: {
        ready: true,
        reloading: false,
        stopping: false,
        status: 'up: 3 workers',
        mainPid: 4242,
        watchdog: 'ping',
        watchdogMs: 3,
        busy: true,
      },
    });
    const m = parse('RELOADING=1\nSTOPPING=1\nWATCHDOG=trigger\nIDLE=1');
    assert.ok(m.ok);
    assert.equal(m.message.reloading, true);
    assert.equal(m.message.stopping, true);
    assert.equal(m.message.watchdog, 'trigger');
    assert.equal(m.message.busy, false);
  });

  it('STATUS= may contain = and is kept up to its cap; an empty one clears the text', () => {
    const r = parse(`STATUS=a=b ${'x'.repeat(2000)}`);
    assert.ok(r.ok);
    assert.equal(r.message.status?.length, MAX_STATUS_CHARS);
    assert.ok(r.message.status?.startsWith('a=b '));
    const e = parse('STATUS=');
    assert.ok(e.ok);
    assert.equal(e.message.status, '');
  });

  it('refuses a malformed datagram whole, with the reason', () => {
    for (const [text, why] of [
      ['', /empty/],
      ['READY=1\ngarbage', /not KEY=VALUE/],
      ['READY=2', /READY=2: only 1/],
      ['MAINPID=abc', /not a PID/],
      ['MAINPID=0', /not a PID/],
      ['WATCHDOG=2', /expected 1 or trigger/],
      ['WATCHDOG_USEC=-5', /microseconds/],
      ['READY=1\0', /NUL/],
    ] as const) {
      const r = parse(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.match(r.reason, why, text);
    }
    assert.equal(parseNotify(Buffer.from([0xff, 0xfe, 0x3d])).ok, false);
  });

  it('the socket path: /run/governor for a root agent, the data dir otherwise; too long is refused by name', () => {
    assert.equal(
      notifySocketPath({ dataDir: '/var/lib/gov', scope: 'agent-abc', uid: 0 }),
      '/run/governor/agent-abc.notify',
    );
    assert.equal(
      notifySocketPath({ dataDir: '/home/u/gov', scope: 'agent-abc', uid: 1000 }),
      '/home/u/gov/notify.sock',
    );
    const long = `/tmp/${'d'.repeat(120)}`;
    assert.throws(
      () => notifySocketPath({ dataDir: long, scope: 's', uid: 1000 }),
      /notify socket path .* is 1\d\d bytes, more than a unix socket address holds \(107\): use a shorter --data-dir/,
    );
  });

  it('gov ps shows a STATUS= text as one safe cell: control characters as spaces, cut with …', () => {
    assert.equal(statusCell('a\nb\tc\u001b[31m'), 'a b c [31m');
    assert.equal(statusCell(''), null);
    const cut = statusCell('y'.repeat(100))!;
    assert.equal(cut.length, 60);
    assert.ok(cut.endsWith('…'));
  });
});
