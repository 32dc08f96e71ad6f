/**
 * The HTTP/2 stream under a grpc-js server call, for the two things grpc-js has no public way to do:
 * resetting one stream whose client stopped reading (the watch), and widening the receive window of an
 * agent's link (exec output arrives on it). It walks grpc-js's call chain (ServerWritableStreamImpl.call →
 * ServerInterceptingCall.nextCall … → BaseServerInterceptingCall.stream, grpc-js 1.10–1.14) to the http2
 * stream. When the chain is not there (another grpc-js), nothing is done and false is returned: a stream
 * that is not reset ends with its connection (keepalive), a window that is not widened stays HTTP/2's
 * default (64 KiB: slower exec output, nothing else).
 */
import { constants, type ServerHttp2Stream } from 'node:http2';

/** The call's HTTP/2 stream, or null when grpc-js's call chain is not the one known here. */
export function http2StreamOf(call: object): ServerHttp2Stream | null {
  let link: unknown = (call as { call?: unknown }).call;
  for (let depth = 0; depth < 16 && link !== null && typeof link === 'object'; depth++) {
    const stream = (link as { stream?: ServerHttp2Stream }).stream;
    if (stream && typeof stream.close === 'function') return stream;
    link = (link as { nextCall?: unknown }).nextCall;
  }
  return null;
}

/** Resets the call's HTTP/2 stream with CANCEL (grpc-js then reports the call cancelled). */
export function resetStream(call: object): boolean {
  const stream = http2StreamOf(call);
  if (!stream) return false;
  if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
  return true;
}

/**
 * Lets the peer of the call's connection send `bytes` ahead on every stream and on the connection (HTTP/2
 * SETTINGS_INITIAL_WINDOW_SIZE and the connection window), instead of the default 64 KiB that makes a fast
 * sender wait a round trip per 64 KiB.
 */
export function widenReceiveWindow(call: object, bytes: number): boolean {
  const session = http2StreamOf(call)?.session;
  if (!session || session.destroyed) return false;
  try {
    session.setLocalWindowSize(bytes);
    session.settings({ initialWindowSize: bytes });
    return true;
  } catch {
    return false;
  }
}
