/**
 * GET /api/events of the `gov ui` proxy: the master's `Admin.Watch`, followed across drops and reconnects
 * (watch-follow.ts), relayed as server-sent events: one SSE event per WatchEvent, its JSON as `data` and
 * its index as `id` (not on a snapshot part before the last), so a browser that reconnects by itself
 * (EventSource sends `Last-Event-ID`) resumes from there instead of starting over. It starts with a
 * snapshot (what the page replaces its view with) and carries every metrics sample the agents push (their
 * sampling interval), or at most one per agent per `interval_ms` when the query asks. A comment line every keep-alive period keeps idle proxies and the browser from timing the stream out. The watch
 * ends when the browser goes; a refusal by the master ends the stream with a `refused` event naming it,
 * a lost master is told by a `reconnecting` event (each attempt) while the watch waits for it.
 * A browser that takes nothing of what was written for STALLED_PERIODS keep-alive periods (a hung tab)
 * has its stream cut, so the proxy does not hold every event for it; EventSource then reconnects by itself
 * and resumes from the last id it got.
 */
import type http from 'node:http';
import { errorMessage } from '../../../shared/errors.js';
import type { AdminApi, WatchRequest } from '../admin-client.js';
import { followWatch } from '../watch-follow.js';
import { HttpError } from './api-routes.js';

/** Every kind (admin.proto WatchRequest.kinds), metrics included: a live view shows them all. */
export const LIVE_KINDS = ['instance', 'health', 'execution', 'rollout', 'agent', 'metrics'];
const MAX_METRICS_INTERVAL_MS = 3_600_000;
const DEFAULT_KEEPALIVE_MS = 15_000;
/** Keep-alive periods in a row a browser may take nothing of what waits for it before its stream is cut. */
const STALLED_PERIODS = 4;

/**
 * The watch the page asks for: every kind, metrics at the agents' own sampling interval (each sample they
 * push) or at most one per agent per `interval_ms` (query); a resume from `Last-Event-ID`.
 */
export function watchRequestOf(url: URL, lastEventId: string | undefined): WatchRequest {
  const text = url.searchParams.get('interval_ms');
  let interval = 0;
  if (text !== null && text !== '') {
    interval = Number(text);
    if (!Number.isFinite(interval) || interval < 0 || interval > MAX_METRICS_INTERVAL_MS)
      throw new HttpError(
        400,
        `interval_ms ${JSON.stringify(text)}: expected ms, 0..${MAX_METRICS_INTERVAL_MS}`,
      );
  }
  const req: WatchRequest = {
    snapshot: true,
    follow: true,
    kinds: LIVE_KINDS,
    metrics_interval_ms: interval,
  };
  const since = lastEventId === undefined ? NaN : Number(lastEventId);
  if (Number.isInteger(since) && since > 0) return { ...req, resume: true, since, snapshot: false };
  return req;
}

/** Starts relaying; returns what ends it (also called when the browser goes). */
export function relayEvents(
  api: AdminApi,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  keepAliveMs = DEFAULT_KEEPALIVE_MS,
): () => void {
  const header = req.headers['last-event-id'];
  const watch = watchRequestOf(url, Array.isArray(header) ? header[0] : header);
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
  // Bytes written here, and how many the browser had taken at the last keep-alive (the rest wait in the
  // response's buffer); keep-alive periods in a row in which it took none of what waited.
  let written = 0;
  let takenBefore = 0;
  let stalled = 0;
  const send = (text: string) => {
    written += Buffer.byteLength(text);
    res.write(text);
  };
  send(': governor events\n\n');
  const following = followWatch(
    api,
    watch,
    (e) => {
      // A snapshot part before the last has no id: a browser that reconnects in the middle of a snapshot
      // resumes from before it (Last-Event-ID unchanged) and is sent a whole one, not the rest of nothing.
      const id = e.kind === 'snapshot' && e.snapshot?.more ? '' : `id: ${e.index}\n`;
      send(`${id}data: ${JSON.stringify(e)}\n\n`);
    },
    {
      // The master is away: the page says so (its table is no longer live) until the next event.
      onReconnect: (err) => {
        if (err) send(`event: reconnecting\ndata: ${JSON.stringify({ error: err.message })}\n\n`);
      },
    },
  );
  const keepAlive = setInterval(() => {
    const taken = written - res.writableLength;
    stalled = res.writableLength > 0 && taken <= takenBefore ? stalled + 1 : 0;
    takenBefore = taken;
    if (stalled >= STALLED_PERIODS) {
      res.destroy();
      return stop();
    }
    send(': keep-alive\n\n');
  }, keepAliveMs);
  keepAlive.unref();
  let ended = false;
  const stop = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    following.stop();
    res.end();
  };
  res.once('close', stop);
  following.done.then(stop, (err: unknown) => {
    if (!ended) res.write(`event: refused\ndata: ${JSON.stringify({ error: errorMessage(err) })}\n\n`);
    stop();
  });
  return stop;
}
