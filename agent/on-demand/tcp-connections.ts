/**
 * Established TCP connections on the ports a process tree listens on, read straight from /proc (no child
 * process, no socket diagnostics library): the tree's sockets are the `socket:[INODE]` links under each
 * process's /proc/PID/fd, and the kernel's socket tables (/proc/PID/net/tcp and tcp6, the network
 * namespace of the tree's first process, SocketTables) say which of those inodes listen and which are
 * established.
 *
 * An established socket counts when its local port is one the tree listens on and it is the tree's own
 * (an accepted connection) or not accepted yet (inode 0: waiting in the listen backlog). A connection the
 * handler made to elsewhere (local port ephemeral) does not count: it is the handler's client side.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** /proc/net/tcp `st` values (include/net/tcp_states.h). */
const TCP_ESTABLISHED = '01';
const TCP_LISTEN = '0A';

export interface TcpSocket {
  localPort: number;
  /** `st`, two hex digits. */
  state: string;
  inode: number;
}

/** The sockets of one /proc/net/tcp or tcp6 table (its header line skipped; malformed lines too). */
export function parseTcpTable(text: string): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const f = line.trim().split(/\s+/);
    const local = f[1];
    const state = f[3];
    const inode = Number(f[9]);
    if (!local || !state || !Number.isInteger(inode)) continue;
    const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (Number.isInteger(port)) out.push({ localPort: port, state: state.toUpperCase(), inode });
  }
  return out;
}

/** The socket inodes among the open file descriptors of `pids` (a process that is gone has none). */
export function socketInodes(pids: readonly number[], procRoot = '/proc'): Set<number> {
  const inodes = new Set<number>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) inodes.add(Number(m[1]));
    }
  }
  return inodes;
}

/** Established connections per listening port of the sockets `own` (ports with none left out). */
export function connectionsOn(sockets: readonly TcpSocket[], own: ReadonlySet<number>): Map<number, number> {
  const listening = new Set(
    sockets.filter((s) => s.state === TCP_LISTEN && own.has(s.inode)).map((s) => s.localPort),
  );
  const out = new Map<number, number>();
  for (const s of sockets) {
    if (s.state !== TCP_ESTABLISHED || !listening.has(s.localPort)) continue;
    if (s.inode !== 0 && !own.has(s.inode)) continue;
    out.set(s.localPort, (out.get(s.localPort) ?? 0) + 1);
  }
  return out;
}

/**
 * The socket tables (tcp and tcp6) of a network namespace, read at most once per `maxAgeMs`: the kernel
 * walks its whole connection hash for every read of /proc/net/tcp (milliseconds on a big host, whatever
 * few sockets there are: `npm run bench -- activity-check`), so the hot instances measured in one metrics
 * round share one read. Keyed by the namespace (/proc/PID/ns/net), so a handler in its own namespace gets
 * its own tables.
 */
export class SocketTables {
  private readonly byNs = new Map<string, { at: number; sockets: TcpSocket[] }>();

  constructor(
    private readonly maxAgeMs = 250,
    private readonly procRoot = '/proc',
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The sockets of the network namespace of `pid` (empty when it is gone). */
  of(pid: number): TcpSocket[] {
    let ns: string;
    try {
      ns = readlinkSync(`${this.procRoot}/${pid}/ns/net`);
    } catch {
      ns = `pid ${pid}`; // no namespace link (gone, or an old kernel): its own, uncached after maxAgeMs
    }
    const now = this.now();
    for (const [k, v] of this.byNs) if (now - v.at > this.maxAgeMs) this.byNs.delete(k);
    const cached = this.byNs.get(ns);
    if (cached) return cached.sockets;
    const sockets: TcpSocket[] = [];
    for (const table of ['tcp', 'tcp6']) {
      try {
        sockets.push(...parseTcpTable(readFileSync(`${this.procRoot}/${pid}/net/${table}`, 'utf8')));
      } catch {
        // no IPv6 in this kernel, or the process went away
      }
    }
    this.byNs.set(ns, { at: now, sockets });
    return sockets;
  }
}

/** The agent's socket tables (one per process: the instances of one supervisor share its reads). */
export const socketTables = new SocketTables();

/**
 * Established connections per port the processes `pids` listen on (IPv4 and IPv6), from the socket tables
 * of the first process's network namespace. Empty when none of them holds a socket.
 */
export function establishedConnections(
  pids: readonly number[],
  tables: SocketTables = socketTables,
  procRoot = '/proc',
): Map<number, number> {
  const own = socketInodes(pids, procRoot);
  const first = pids[0];
  if (own.size === 0 || first === undefined) return new Map();
  return connectionsOn(tables.of(first), own);
}
