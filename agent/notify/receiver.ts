/**
 * The agent's one sd_notify socket (DESIGN §9): a unix datagram socket that receives every message with
 * its sender's kernel-verified PID (agent/native, SO_PASSCRED), finds the instance that PID belongs to
 * (sender.ts) and hands the parsed message (protocol.ts) to it. Anything else — an unknown or vanished
 * PID, a process outside every handler, a handler without `notify: true`, a malformed or truncated
 * datagram, a MAINPID= outside the sender's handler — is ignored and counted (`ignored`, sent to the
 * master as HostMetrics.notify_ignored) and logged at most once per IGNORED_LOG_INTERVAL_MS.
 *
 * Where (`notifySocketPath`): a handler may run as another user (`user: nobody`), and the data dir is
 * private (0700), so a root agent binds `/run/governor/<scope>.notify` (the directory 0755, the socket
 * 0666: as systemd's own /run/systemd/notify, anyone may send, and only a handler's processes are
 * heard); an agent that is not root runs every handler as itself and binds `<data-dir>/notify.sock`.
 * A socket file left by a crashed agent is replaced (one agent per data dir: the data dir's lock). When
 * the native helpers are missing or the socket cannot be bound, the receiver is unavailable with the
 * reason: the agent still starts, says so once, and a `notify: true` handler's start fails with it.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { linuxSockets, type Loaded, type Watcher } from '../native/linux-sockets.js';
import type { Handle } from '../process/backend.js';
import { parseNotify, type NotifyMessage } from './protocol.js';
import { belongsTo, readSender, type SenderFacts } from './sender.js';

/** The runtime directory of root agents' notify sockets. */
export const ROOT_NOTIFY_DIR = '/run/governor';
/** sun_path holds 108 bytes with the terminating NUL. */
export const MAX_SOCKET_PATH = 107;
/** Ignored messages are logged at most once per this (with how many since the last log). */
export const IGNORED_LOG_INTERVAL_MS = 10_000;

/** What a handler gets: the socket to name in NOTIFY_SOCKET, or why there is none. */
export type NotifyEndpoint = { socket: string } | { unavailable: string };

/** An instance as the receiver sees it. */
export interface NotifyTarget {
  readonly name: string;
  readonly handle: Handle | null;
  readonly spec: { readonly notify?: boolean };
}

/** A message from a verified process of `target`; `mainPid` already checked to be of the same handler. */
export type Deliver<T> = (target: T, msg: NotifyMessage, sender: number, main: SenderFacts | null) => void;

export interface ReceiverOptions {
  dataDir: string;
  /** `<scope>` of the agent's data dir (process/cgroups.ts cgroupScope). */
  scope: string;
  uid: number;
  logger: Logger;
  clock: Clock;
  /** The native helpers (tests pass an unavailable one). Default: linuxSockets(). */
  native?: Loaded;
  /** Root agents' socket directory (tests). Default ROOT_NOTIFY_DIR. */
  rootDir?: string;
}

/** Where this agent's notify socket goes (see the file comment); throws when the path is too long. */
export function notifySocketPath(o: Pick<ReceiverOptions, 'dataDir' | 'scope' | 'uid' | 'rootDir'>): string {
  const file =
    o.uid === 0
      ? path.join(o.rootDir ?? ROOT_NOTIFY_DIR, `${o.scope}.notify`)
      : path.join(path.resolve(o.dataDir), 'notify.sock');
  const bytes = Buffer.byteLength(file);
  if (bytes > MAX_SOCKET_PATH)
    throw new Error(
      `the notify socket path ${file} is ${bytes} bytes, more than a unix socket address holds ` +
        `(${MAX_SOCKET_PATH}): use a shorter --data-dir`,
    );
  return file;
}

/** Replaces a socket file a crashed agent left; refuses anything that is not a socket (never a symlink). */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* not ours to worry about: it was only passed along */
  }
}

function removeStale(file: string): void {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return;
  }
  if (!st.isSocket())
    throw new Error(`${file} exists and is not a socket: remove it or use another --data-dir`);
  unlinkSync(file);
}

export class NotifyReceiver<T extends NotifyTarget = NotifyTarget> {
  readonly endpoint: NotifyEndpoint;
  /** Messages ignored since the agent started. */
  ignored = 0;
  private watcher: Watcher | null = null;
  private targets: () => Iterable<T> = () => [];
  private deliver: Deliver<T> = () => {};
  private readonly log: Logger;
  private lastLogAt = -Infinity;
  /** The inode of the socket file this receiver bound: `close` removes that file only, never a successor's. */
  private boundIno = 0;
  private ignoredSinceLog = 0;

  constructor(private readonly opts: ReceiverOptions) {
    this.log = opts.logger.named('notify');
    this.endpoint = this.open();
    if ('unavailable' in this.endpoint)
      this.log.warn('sd_notify unavailable: notify: true handlers will not start', {
        reason: this.endpoint.unavailable,
      });
    else this.log.info('sd_notify socket ready', { socket: this.endpoint.socket });
  }

  private open(): NotifyEndpoint {
    const loaded = this.opts.native ?? linuxSockets();
    if (!loaded.ok) return { unavailable: loaded.reason };
    const n = loaded.native;
    try {
      const file = notifySocketPath(this.opts);
      const dir = path.dirname(file);
      if (this.opts.uid === 0) {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
        const d = lstatSync(dir);
        if (!d.isDirectory() || d.uid !== 0)
          throw new Error(`${dir} is not a directory owned by root: remove it`);
        chmodSync(dir, 0o755); // whatever the umask: a `user:` handler must reach the socket
      }
      removeStale(file);
      const fd = n.openDatagram(file);
      // Handlers running as another user (`user:`) must be able to send; only their processes are heard.
      if (this.opts.uid === 0) chmodSync(file, 0o666);
      this.boundIno = lstatSync(file).ino;
      this.watcher = n.watch(fd, () => {
        for (const d of n.receive(fd)) {
          // In order, and a passed descriptor closed only after its message was handled: systemd-notify
          // sends READY=1, then BARRIER=1 with a descriptor, and exits once that is closed — its READY=1 must
          // be mapped while it still exists.
          try {
            this.onDatagram(d.pid, d.data, d.truncated);
          } finally {
            for (const f of d.fds) closeQuietly(f);
          }
        }
      });
      return { socket: file };
    } catch (err) {
      return { unavailable: `the sd_notify socket cannot be opened: ${errorMessage(err)}` };
    }
  }

  /** Starts delivering: `targets` lists the instances (looked up per message), `deliver` acts. */
  attach(targets: () => Iterable<T>, deliver: Deliver<T>): void {
    this.targets = targets;
    this.deliver = deliver;
  }

  /** Stops receiving and removes the socket file (handlers' sends fail until the next agent binds it). */
  close(): void {
    if (!this.watcher) return;
    const loaded = this.opts.native ?? linuxSockets();
    if (loaded.ok) loaded.native.close(this.watcher);
    this.watcher = null;
    if ('socket' in this.endpoint) {
      try {
        if (lstatSync(this.endpoint.socket).ino === this.boundIno) unlinkSync(this.endpoint.socket);
      } catch {
        /* already gone */
      }
    }
  }

  /** One datagram: the sender's facts first (it may be exiting), then the parse, the mapping, delivery. */
  onDatagram(pid: number, data: Buffer, truncated: boolean): void {
    const sender = pid > 0 ? readSender(pid) : null;
    if (truncated) return this.ignore(pid, 'longer than 4096 bytes');
    if (pid <= 0) return this.ignore(pid, 'no sender credentials');
    if (!sender) return this.ignore(pid, 'the sender is gone');
    const parsed = parseNotify(data);
    if (!parsed.ok) return this.ignore(pid, `malformed: ${parsed.reason}`);
    const target = this.find(sender);
    if (!target) return this.ignore(pid, 'the sender is no process of a supervised handler');
    if (target.spec.notify !== true)
      return this.ignore(pid, `handler ${target.name} does not have notify: true`);
    let main: SenderFacts | null = null;
    const mainPid = parsed.message.mainPid;
    if (mainPid !== undefined) {
      main = mainPid === pid ? sender : readSender(mainPid);
      if (!main || this.find(main) !== target) {
        this.ignore(pid, `MAINPID=${mainPid} is no process of ${target.name}`);
        main = null;
      } else if (mainPid === target.handle?.pid) {
        // The shim is in the handler's cgroup and session, but never its main: it swallows signals.
        this.ignore(pid, `MAINPID=${mainPid} is the shim of ${target.name}, not a process of the handler`);
        main = null;
      }
    }
    this.deliver(target, parsed.message, pid, main);
  }

  private find(s: SenderFacts): T | null {
    for (const t of this.targets()) if (t.handle && belongsTo(s, t.handle)) return t;
    return null;
  }

  private ignore(pid: number, reason: string): void {
    this.ignored++;
    this.ignoredSinceLog++;
    const now = this.opts.clock.now();
    if (now - this.lastLogAt < IGNORED_LOG_INTERVAL_MS) return;
    this.log.warn('sd_notify message ignored', { pid, reason, ignored_since_last_log: this.ignoredSinceLog });
    this.lastLogAt = now;
    this.ignoredSinceLog = 0;
  }
}
