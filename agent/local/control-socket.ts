/**
 * One local control socket: a unix stream socket at a path, served by a gRPC server of its own (grpc-js's
 * connection injector: the connections come from a plain net.Server, so each one's fd is at hand). The
 * file's permissions are the authorization: the kernel refuses a connect by a user without write
 * permission on it (mode 0660 and a group for the control socket, 0666 for a read-only one). Each
 * connection is identified by the kernel (SO_PEERCRED, agent/native): its uid, gid and pid become the
 * connection's remote address, which `call.getPeer()` reports to the handlers (`callerOf`) — set by this
 * server, never by the client.
 *
 * A socket file left by an agent that died (nobody answers on it) is replaced; a path where something
 * answers, or that is not a socket, is refused naming it. The file is removed on close.
 *
 * What one local user can hold is bounded (`LOCAL_LIMITS`), so no user of a socket (every user, for a
 * read-only one) can exhaust the agent's descriptors or memory: connections at once per uid and per socket,
 * streams per connection, the size of a request; a gRPC connection with no call for a while is closed. A
 * review measured, without them, 20,000 idle connections from `nobody` (the agent's descriptor limit: it
 * could no longer read /proc nor answer root), 4 GB of half-sent requests held, and 3,000 unread 1 MB log
 * answers pinned.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { PermissionError, StateError, ValidationError } from '../../shared/errors.js';
import type { LinuxSockets } from '../native/linux-sockets.js';
import { MAX_MESSAGE_BYTES } from '../../shared/proto.js';

/** The remote address of a local connection: `local-peer:uid=0,gid=0,pid=123`. */
const PEER_PREFIX = 'local-peer:';
/** sockaddr_un's sun_path (108 bytes) less its terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;
const PEER_RE = /^local-peer:uid=(\d+),gid=(\d+),pid=(\d+)$/;

export interface LocalCaller {
  uid: number;
  gid: number;
  pid: number;
}

/** The kernel-verified caller of a call on a local control socket (PermissionError when there is none). */
export function callerOf(call: { getPeer(): string }): LocalCaller {
  const m = PEER_RE.exec(call.getPeer());
  if (!m) throw new PermissionError('the caller of this local call is unknown (no peer credentials)');
  return { uid: Number(m[1]), gid: Number(m[2]), pid: Number(m[3]) };
}

/** The bounds of one local socket (see the file comment). Root and the agent's own uid: per socket only. */
export const LOCAL_LIMITS = {
  /** Connections of one uid at once; more are closed at once. */
  perUid: 8,
  /** Connections at once on one socket, every uid together. */
  perSocket: 64,
  /** Concurrent calls on one connection (HTTP/2 streams; a CLI command uses one or two). */
  streams: 8,
  /** The largest request (10,000 targets of 63 characters fit). */
  requestBytes: 1024 * 1024,
  /**
   * A gRPC connection with no call for this long is closed (a CLI connects, calls and leaves); one that never
   * speaks HTTP/2 is not, and stays within the counts above.
   */
  idleMs: 60_000,
} as const;

export interface ControlSocketOptions {
  path: string;
  /** File mode (0o660 for control, 0o666 for a read-only socket). */
  mode: number;
  /** Group owning the file (null: the agent's own). */
  gid: number | null;
  service: grpc.ServiceDefinition;
  handlers: grpc.UntypedServiceImplementation;
  native: LinuxSockets;
}

export class ControlSocket {
  private constructor(
    readonly path: string,
    private readonly server: net.Server,
    private readonly grpcServer: grpc.Server,
    private readonly injector: grpc.ConnectionInjector,
    private readonly ino: number,
  ) {}

  static async open(opts: ControlSocketOptions): Promise<ControlSocket> {
    const file = path.resolve(opts.path);
    // Longer paths do not fit sockaddr_un (Node would bind a cut one without a word).
    if (Buffer.byteLength(file) > MAX_SOCKET_PATH_BYTES)
      throw new ValidationError(
        `${file}: a unix socket path may be at most ${MAX_SOCKET_PATH_BYTES} bytes (it has ${Buffer.byteLength(file)}); choose a shorter --socket`,
      );
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    refuseOpenDirs(file);
    refuseClosedPath(file, opts.mode, opts.gid);
    await removeStale(file);
    const grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': LOCAL_LIMITS.requestBytes,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_concurrent_streams': LOCAL_LIMITS.streams,
      'grpc.max_connection_idle_ms': LOCAL_LIMITS.idleMs,
    });
    grpcServer.addService(opts.service, opts.handlers);
    const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const perUid = new Map<number, number>();
    const trusted = new Set([0, process.geteuid?.() ?? 0]);
    const server = net.createServer((conn) => {
      let peer: LocalCaller;
      try {
        const fd = (conn as unknown as { _handle?: { fd?: number } })._handle?.fd;
        if (typeof fd !== 'number' || fd < 0) throw new Error('no file descriptor');
        peer = opts.native.peerCredentials(fd);
      } catch {
        conn.destroy(); // unidentified: never served
        return;
      }
      const held = perUid.get(peer.uid) ?? 0;
      if (!trusted.has(peer.uid) && held >= LOCAL_LIMITS.perUid) {
        conn.destroy(); // this user holds its share already
        return;
      }
      perUid.set(peer.uid, held + 1);
      conn.once('close', () => {
        const n = (perUid.get(peer.uid) ?? 1) - 1;
        if (n > 0) perUid.set(peer.uid, n);
        else perUid.delete(peer.uid);
      });
      Object.defineProperty(conn, 'remoteAddress', {
        value: `${PEER_PREFIX}uid=${peer.uid},gid=${peer.gid},pid=${peer.pid}`,
        writable: false,
        enumerable: true,
      });
      injector.injectConnection(conn);
    });
    server.maxConnections = LOCAL_LIMITS.perSocket;
    // The mode is set on the file as created (umask), never wider than asked, before anyone can connect.
    // The umask is the whole process's: it is put back as soon as listen() has bound (synchronously), not
    // after 'listening', so no continuation, spawned handler or file created meanwhile inherits it.
    let listening: Promise<void>;
    const umask = process.umask(0o777 & ~opts.mode);
    try {
      listening = new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(file, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    await listening;
    try {
      // The mode is the umask's (above); the group is set on the path itself, never through a link (and no
      // one else can have swapped the file meanwhile: refuseOpenDirs).
      if (opts.gid !== null) fs.lchownSync(file, -1, opts.gid);
    } catch (err) {
      server.close();
      fs.rmSync(file, { force: true });
      throw err;
    }
    return new ControlSocket(file, server, grpcServer, injector, fs.statSync(file).ino);
  }

  /** Stops serving and removes the file (if it is still ours). */
  async close(): Promise<void> {
    this.injector.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.grpcServer.forceShutdown();
    try {
      if (fs.statSync(this.path).ino === this.ino) fs.rmSync(this.path, { force: true });
    } catch {
      /* already gone */
    }
  }
}

/**
 * A socket opened to others (a group, or everybody for a read-only socket) must be reachable by them: a
 * connect needs search permission on every directory above it, and the kernel refuses it silently
 * otherwise (a socket in the private 0700 data dir serves its owner only). Refused naming the directory.
 */
function refuseClosedPath(file: string, mode: number, gid: number | null): void {
  const others = (mode & 0o006) !== 0;
  if (!others && gid === null) return; // only the agent's user (and its group, as it may) is meant
  const who = others ? 'every user' : `group ${gid}`;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const searchable = (st.mode & 0o001) !== 0 || (!others && st.gid === gid && (st.mode & 0o010) !== 0);
    if (!searchable)
      throw new ValidationError(
        `${file}: the socket is meant for ${who}, but directory ${dir} (mode ` +
          `0${(st.mode & 0o777).toString(8)}) is closed to them, so the kernel would refuse every connect; ` +
          'put the socket where they can reach it (e.g. under /run/governor)',
      );
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * Every directory above the socket must be the agent's own (or root's) and closed to other writers (or
 * sticky, as /tmp: others cannot rename or remove what is not theirs). Otherwise another user could move the
 * socket aside right after it is bound and put a link or a socket of their own at its path: connections
 * would reach them, and the group set on the path would land on the file the link names (one of root's).
 */
function refuseOpenDirs(file: string): void {
  const me = process.geteuid?.() ?? 0;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const owner = st.uid === 0 || st.uid === me;
    const openToWriters = (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0;
    if (!owner || openToWriters)
      throw new ValidationError(
        `${file}: directory ${dir} (owner uid ${st.uid}, mode 0${(st.mode & 0o7777).toString(8)}) ` +
          `${owner ? 'is writable by others' : "is not the agent's own or root's"}: another user could ` +
          'replace the socket there; put it in a directory only the agent (or root) can write (e.g. /run/governor)',
      );
    if (dir === path.dirname(dir)) return;
  }
}

/** A socket file nobody answers on (a crashed agent's) is removed; anything else at the path is refused. */
async function removeStale(file: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket())
    throw new ValidationError(
      `${file} exists and is not a socket: refusing to replace it (choose another --socket)`,
    );
  const answering = await new Promise<boolean>((resolve) => {
    const c = net.connect(file);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (answering)
    throw new StateError(
      `${file} is in use: another process serves it (another agent?); choose another --socket`,
    );
  fs.rmSync(file, { force: true });
}
