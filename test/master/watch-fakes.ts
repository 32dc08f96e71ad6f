/** Fakes for the watch unit tests: a server stream that records what it is sent, and a request builder. */
import { Writable } from 'node:stream';
import type { WatchEvent } from '../../proto/generated/governor/v1/WatchEvent.js';
import type { WatchRequest__Output } from '../../proto/generated/governor/v1/WatchRequest.js';
import type { WatchCall } from '../../master/watch/watcher.js';

/** Records every event written; an emitted error ends it with that status, as grpc-js's stream does. */
export class FakeCall extends Writable {
  readonly sent: WatchEvent[] = [];
  status: { code: number; message: string } | null = null;
  constructor() {
    super({ objectMode: true });
    this.on('error', (err: Error & { code: number }) => {
      this.status = { code: err.code, message: err.message };
      this.end();
    });
  }
  override _write(chunk: WatchEvent, _enc: BufferEncoding, cb: () => void): void {
    this.sent.push(chunk);
    cb();
  }
  get asCall(): WatchCall {
    return this as unknown as WatchCall;
  }
}

export function request(over: Partial<WatchRequest__Output> = {}): WatchRequest__Output {
  return {
    resume: false,
    since: 0,
    epoch: '',
    snapshot: false,
    follow: true,
    handlers: [],
    agents: [],
    kinds: [],
    metrics_interval_ms: 0,
    ...over,
  };
}

/** A kept-kind event about `handler` on `agent`. */
export function instanceEvent(handler: string, agent = 'edge-1', kind = 'instance'): WatchEvent {
  return { kind, at: '2026-01-01T00:00:00.000Z', handler, agent, instance: { key: handler } };
}
