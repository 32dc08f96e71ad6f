/**
 * The agent's native socket helpers (linux-sockets.c, built by `npm ci` / `npm install` with node-gyp):
 * a unix datagram socket that receives each message with its sender's kernel-verified PID (sd_notify),
 * and the peer credentials of a connected unix stream socket (the local control socket's audit).
 *
 * Loading never throws: when the addon did not build or does not load, `linuxSockets()` returns the
 * reason instead, and the features that need it say they are unavailable (the agent still starts).
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Credentials {
  pid: number;
  uid: number;
  gid: number;
}

/** One received datagram: pid 0 when the kernel attached no credentials. */
export interface Datagram extends Credentials {
  data: Buffer;
  /** Longer than 4096 bytes (systemd's limit): cut, and to be ignored. */
  truncated: boolean;
  /**
   * Descriptors passed with it (`BARRIER=1`, `FDSTORE=1`), open: the caller closes them once it has looked at
   * the sender (a barrier's sender waits for that close and may exit right after).
   */
  fds: number[];
}

/** An opaque watcher handle (a C pointer). */
export type Watcher = { readonly __watcher: unique symbol };

export interface LinuxSockets {
  /** A bound, non-blocking unix datagram socket with SO_PASSCRED; returns its fd. */
  openDatagram(path: string): number;
  /** Every datagram waiting on `fd` (at most 256 per call); the caller closes each one's `fds`. */
  receive(fd: number): Datagram[];
  /** Calls `onReadable` whenever `fd` is readable (does not keep the process alive). */
  watch(fd: number, onReadable: () => void): Watcher;
  /** Stops the watcher and closes its fd. */
  close(watcher: Watcher): void;
  /** The process that connected the unix stream socket `fd` (SO_PEERCRED). */
  peerCredentials(fd: number): Credentials;
  /** One datagram to the socket at `path` from an unbound socket, as sd_notify() sends it. */
  send(path: string, data: Buffer): void;
}

/** A native addon loaded, or why it is unavailable. */
export type LoadedAddon<T> = { ok: true; native: T } | { ok: false; reason: string };
export type Loaded = LoadedAddon<LinuxSockets>;

let loaded: Loaded | null = null;

/**
 * An addon's file: `<package>/agent/native/build/Release/<target>.node` (from src, from dist or from the CLI
 * bundle in dist/master/cli/); `target` is a target of binding.gyp (default this one).
 */
export function addonPath(target = 'linux_sockets'): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'agent', 'native', 'build', 'Release', `${target}.node`);
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'build', 'Release', `${target}.node`);
}

/**
 * Loads addon `target` (binding.gyp) and runs `check` on it (a call the kernel may refuse: it throws), never
 * throwing: the reason it is unavailable starts with `unavailable(file)`, then says why (not built, or not
 * loading / refused, with the first line of the error).
 */
export function loadAddon<T>(
  target: string,
  unavailable: (file: string) => string,
  check: (native: T) => void = () => {},
): LoadedAddon<T> {
  const file = addonPath(target);
  try {
    const native = createRequire(import.meta.url)(file) as T;
    check(native);
    return { ok: true, native };
  } catch (err) {
    const why = fs.existsSync(file)
      ? `it does not load: ${(err as Error).message.split('\n')[0]}`
      : 'it was not built (npm ci builds it with node-gyp; see the install output)';
    return { ok: false, reason: `${unavailable(file)}: ${why}` };
  }
}

/** The addon, loaded once, or why it is unavailable. */
export function linuxSockets(): Loaded {
  return (loaded ??= loadAddon<LinuxSockets>(
    'linux_sockets',
    (file) => `the native socket helpers (${file}) are unavailable`,
  ));
}
