/**
 * The sd_notify protocol (systemd's sd_notify(3)): one datagram holds newline-separated `KEY=VALUE`
 * assignments. This is the pure parse into what Governor acts on; unknown keys (systemd has many:
 * ERRNO=, FDSTORE=, EXTEND_TIMEOUT_USEC= …) are kept aside and ignored, as systemd ignores what it does
 * not know. A datagram that is not text, holds a NUL, has a line without `=` or a known key with a bad
 * value is malformed: ignored whole (and counted by the receiver), so half a message never acts.
 */

/** What one datagram says, in the order systemd applies it. */
export interface NotifyMessage {
  ready: boolean;
  reloading: boolean;
  stopping: boolean;
  /** STATUS=… (may be empty: clears the text). */
  status?: string;
  /** MAINPID=N. */
  mainPid?: number;
  /** WATCHDOG=1 (a ping) / WATCHDOG=trigger (fail now). */
  watchdog?: 'ping' | 'trigger';
  /** WATCHDOG_USEC=N: the new watchdog timeout in ms (0 turns it off), rounded up. */
  watchdogMs?: number;
  /** Governor's own BUSY=1 / IDLE=1 (on-demand idleness); the last one in the datagram wins. */
  busy?: boolean;
}

/** systemd caps STATUS= text it keeps; so do we (it travels to the master with every status). */
export const MAX_STATUS_CHARS = 1024;

export type Parsed = { ok: true; message: NotifyMessage } | { ok: false; reason: string };

const FLAG_KEYS = { READY: 'ready', RELOADING: 'reloading', STOPPING: 'stopping' } as const;

/** Parses one datagram's bytes. */
export function parseNotify(data: Buffer): Parsed {
  if (data.length === 0) return { ok: false, reason: 'empty datagram' };
  if (data.includes(0)) return { ok: false, reason: 'a NUL byte in the datagram' };
  const text = data.toString('utf8');
  if (Buffer.byteLength(text) !== data.length || text.includes('\uFFFD'))
    return { ok: false, reason: 'not UTF-8 text' };
  const message: NotifyMessage = { ready: false, reloading: false, stopping: false };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `line ${JSON.stringify(line.slice(0, 40))} is not KEY=VALUE` };
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    const bad = (why: string): Parsed => ({ ok: false, reason: `${key}=${value.slice(0, 40)}: ${why}` });
    if (Object.hasOwn(FLAG_KEYS, key)) {
      if (value !== '1') return bad('only 1 is meaningful');
      message[FLAG_KEYS[key as keyof typeof FLAG_KEYS]] = true;
    } else if (key === 'STATUS') {
      message.status = value.slice(0, MAX_STATUS_CHARS);
    } else if (key === 'MAINPID') {
      if (!/^[1-9]\d{0,9}$/.test(value)) return bad('not a PID');
      message.mainPid = Number(value);
    } else if (key === 'WATCHDOG') {
      if (value === '1') message.watchdog = 'ping';
      else if (value === 'trigger') message.watchdog = 'trigger';
      else return bad('expected 1 or trigger');
    } else if (key === 'WATCHDOG_USEC') {
      if (!/^\d{1,15}$/.test(value)) return bad('not a number of microseconds');
      // Bounded like every timer (DESIGN §8 item 13).
      message.watchdogMs = Math.min(Math.ceil(Number(value) / 1000), 2 ** 31 - 1);
    } else if (key === 'BUSY' || key === 'IDLE') {
      if (value !== '1') return bad('only 1 is meaningful');
      message.busy = key === 'BUSY';
    }
    // Anything else: a key of systemd's that Governor does not act on.
  }
  return { ok: true, message };
}
