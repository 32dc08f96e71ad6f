/**
 * Ending a server stream whose client stopped reading. grpc-js ends a call only after every message
 * written before the status was sent, and a client that never reads never takes them: the HTTP/2 stream
 * (and what grpc-js holds for it) would stay until the connection dies. grpc-js has no public way to reset
 * one stream, so this walks its call chain (ServerWritableStreamImpl.call → ServerInterceptingCall.nextCall
 * … → BaseServerInterceptingCall.stream, grpc-js 1.10–1.14) to the http2 stream and resets it with CANCEL;
 * grpc-js then reports the call cancelled. When the chain is not there (another grpc-js), nothing is done:
 * the connection's keepalive ends it later.
 */
import { constants } from 'node:http2';

interface Http2StreamLike {
  close(code: number): void;
  destroyed: boolean;
}

export function resetStream(call: object): boolean {
  let link: unknown = (call as { call?: unknown }).call;
  for (let depth = 0; depth < 16 && link !== null && typeof link === 'object'; depth++) {
    const stream = (link as { stream?: Http2StreamLike }).stream;
    if (stream && typeof stream.close === 'function') {
      if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
      return true;
    }
    link = (link as { nextCall?: unknown }).nextCall;
  }
  return false;
}
