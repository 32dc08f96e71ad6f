/**
 * The JSON routes of the `gov ui` proxy (server.ts has checked the Host and the token before any of these
 * runs). Each one is one Admin call made with the user's own client; the master decides what the user may
 * do, and its refusal is relayed with its message: PERMISSION_DENIED → 403, a bad argument → 400, not
 * found → 404, an unreachable master → 502.
 * - GET  /api/history                  GetMetricsHistory (every instance)
 * - GET  /api/executions?handler&agent&kind&status&limit   ListExecutions
 * - POST /api/control {action, targets}                    Control (restart | stop | start | ensure)
 * - POST /api/rollouts/ID/pause|resume|abort               Pause/Resume/AbortRollout
 * A POST takes a JSON body (`Content-Type: application/json`); the token comes in its header only.
 */
import type http from 'node:http';
import { GovError, type ErrorKind } from '../../../shared/errors.js';
import { parseTargetName, type TargetSet } from '../../../shared/targets.js';
import type { AdminApi, ExecutionQuery } from '../admin-client.js';

/** An answer other than 200, with the message the page shows. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Largest request body taken (a control call names a few instances). */
const MAX_BODY_BYTES = 64 * 1024;

/** Most execution records one query asks for. */
const MAX_EXECUTION_LIMIT = 1000;

/** The actions the page may ask for (a subset of `gov`'s control actions). */
const CONTROL_ACTIONS = ['restart', 'stop', 'start', 'ensure'] as const;
type UiControlAction = (typeof CONTROL_ACTIONS)[number];

const ROLLOUT_ACTIONS = ['pause', 'resume', 'abort'] as const;

/** The status a master's refusal is relayed with. */
const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 502,
  UNAVAILABLE: 502,
  DEADLINE_EXCEEDED: 504,
  INTERNAL: 502,
};

export function sendJson(res: http.ServerResponse, status: number, doc: unknown): void {
  const body = Buffer.from(JSON.stringify(doc));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}

/** Runs one Admin call; a GovError becomes the HttpError that relays it. */
async function relay<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof GovError) throw new HttpError(STATUS_OF_KIND[err.kind] ?? 502, err.message);
    throw err;
  }
}

async function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new HttpError(415, 'the body must be JSON (Content-Type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the body is not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new HttpError(400, 'the body must be a JSON object');
  return doc as Record<string, unknown>;
}

/** `{action, targets}` → the action and the target set; 400 naming the key otherwise. */
export function readControl(body: Record<string, unknown>): { action: UiControlAction; targets: TargetSet } {
  const action = body.action;
  if (typeof action !== 'string' || !(CONTROL_ACTIONS as readonly string[]).includes(action))
    throw new HttpError(
      400,
      `action ${JSON.stringify(action)}: expected one of ${CONTROL_ACTIONS.join(', ')}`,
    );
  const names = body.targets;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string'))
    throw new HttpError(400, 'targets: expected a non-empty list of instance keys (web@edge-1)');
  for (const n of names as string[]) {
    try {
      parseTargetName(n);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
  }
  return {
    action: action as UiControlAction,
    targets: { names: names as string[], all: false, selector: {}, agents: [] },
  };
}

/** The query of GET /api/executions; 400 naming the parameter otherwise. */
export function readExecutionQuery(params: URLSearchParams): ExecutionQuery {
  const q: ExecutionQuery = {};
  for (const key of ['handler', 'agent', 'kind', 'status'] as const) {
    const v = params.get(key);
    if (v) q[key] = v;
  }
  const limit = params.get('limit');
  if (limit !== null && limit !== '') {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_EXECUTION_LIMIT)
      throw new HttpError(
        400,
        `limit ${JSON.stringify(limit)}: expected a whole number 1..${MAX_EXECUTION_LIMIT}`,
      );
    q.limit = n;
  }
  return q;
}

/** Answers one API request (see the file comment); 404 for any other path, 405 for a wrong method. */
export async function apiRoute(
  api: AdminApi,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  const get = req.method === 'GET';
  const post = req.method === 'POST';
  const p = url.pathname;
  if (p === '/api/history') {
    if (!get) throw new HttpError(405, 'GET only');
    return sendJson(res, 200, await relay(() => api.getMetricsHistory()));
  }
  if (p === '/api/executions') {
    if (!get) throw new HttpError(405, 'GET only');
    const q = readExecutionQuery(url.searchParams);
    return sendJson(res, 200, await relay(() => api.listExecutions(q)));
  }
  if (p === '/api/control') {
    if (!post) throw new HttpError(405, 'POST only');
    const { action, targets } = readControl(await readJsonBody(req));
    return sendJson(res, 200, await relay(() => api.control(action, targets)));
  }
  const rollout = /^\/api\/rollouts\/([^/]+)\/([a-z]+)$/.exec(p);
  if (rollout) {
    if (!post) throw new HttpError(405, 'POST only');
    let id: string;
    try {
      id = decodeURIComponent(rollout[1]!);
    } catch {
      throw new HttpError(400, `rollout id ${JSON.stringify(rollout[1])}: not a valid URL encoding`);
    }
    const action = rollout[2]!;
    if (!(ROLLOUT_ACTIONS as readonly string[]).includes(action))
      throw new HttpError(404, `no rollout action ${JSON.stringify(action)} (${ROLLOUT_ACTIONS.join(', ')})`);
    await readJsonBody(req);
    const call =
      action === 'pause'
        ? () => api.pauseRollout(id)
        : action === 'resume'
          ? () => api.resumeRollout(id)
          : () => api.abortRollout(id);
    return sendJson(res, 200, await relay(call));
  }
  throw new HttpError(404, `no such path ${JSON.stringify(p)}`);
}
