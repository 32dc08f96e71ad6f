/**
 * The local proxy of `gov ui` (like `kubectl proxy`): an HTTP server on 127.0.0.1 only that serves the
 * dashboard page and a small JSON/SSE API, and talks to the master with the user's own client (mTLS with
 * the user's certificate), so the browser never holds a key. Every request is checked here, once, before
 * any route runs:
 * - the Host header must be `127.0.0.1:PORT` or `localhost:PORT` (a DNS-rebinding page names its own
 *   host): 403 otherwise;
 * - the one-time token (≥ 128 random bits, made at start) must come with it, compared in constant time:
 *   in the `Authorization: Bearer` header, or (GET only: the page, its files, EventSource) in the query
 *   `token=`. A POST takes it from the header only, which a cross-site form cannot set. 401 otherwise.
 * No CORS header is ever sent; every answer is `no-store`, `nosniff`, and under a self-only CSP.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AdminApi } from '../admin-client.js';
import { apiRoute, HttpError, sendJson } from './api-routes.js';
import { relayEvents } from './events-relay.js';

/** Token size: 32 random bytes (256 bits), base64url. */
const TOKEN_BYTES = 32;

/** Headers on every answer. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface UiServerOptions {
  api: AdminApi;
  /** What the user's certificate is (its OU: admin, viewer): the page shows actions for admin only. */
  role: string;
  /** Its CN, shown on the page. */
  name: string;
  /** The master's address, shown on the page. */
  master: string;
  /** The page's files (index.html, app.js, style.css). */
  staticDir: string;
  /** uPlot's files (`uPlot.iife.min.js`, `uPlot.min.css`), served under /uplot/. */
  uplotDir: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Between SSE keep-alive comments (default 15 s). */
  keepAliveMs?: number;
}

export interface UiServer {
  readonly port: number;
  readonly token: string;
  /** `http://127.0.0.1:PORT/?token=…`: what the user opens. */
  readonly url: string;
  /** Ends every event stream and closes the server. */
  close(): Promise<void>;
}

/** Constant-time comparison (hashes first, so unequal lengths take the same time too). */
function sameToken(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries: the bearer header, or for GET the query. */
function tokenOf(req: http.IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer (\S+)$/.exec(auth);
    return m ? m[1]! : null;
  }
  if (req.method === 'GET' || req.method === 'HEAD') return url.searchParams.get('token');
  return null;
}

/** The static files by URL path: the page's own and uPlot's. */
function staticFile(opts: UiServerOptions, pathname: string): string | null {
  const own: Record<string, string> = {
    '/': 'index.html',
    '/index.html': 'index.html',
    '/app.js': 'app.js',
    '/style.css': 'style.css',
  };
  const name = own[pathname];
  if (name) return path.join(opts.staticDir, name);
  if (pathname === '/uplot/uPlot.iife.min.js' || pathname === '/uplot/uPlot.min.css')
    return path.join(opts.uplotDir, pathname.slice('/uplot/'.length));
  return null;
}

async function sendStatic(res: http.ServerResponse, file: string, token: string): Promise<void> {
  let body = await readFile(file);
  // The page names its scripts and styles with the token (they are requests too); nothing else is templated.
  if (file.endsWith('index.html')) body = Buffer.from(body.toString('utf8').replaceAll('{{TOKEN}}', token));
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
  });
  res.end(body);
}

/** Starts the proxy on 127.0.0.1 (see the file comment). */
export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const streams = new Set<() => void>();
  let port = 0;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
      throw new HttpError(403, `Host ${JSON.stringify(host)} is not this proxy (127.0.0.1:${port})`);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const given = tokenOf(req, url);
    if (given === null || !sameToken(given, token)) throw new HttpError(401, 'missing or wrong token');

    const file = req.method === 'GET' ? staticFile(opts, url.pathname) : null;
    if (file) return sendStatic(res, file, token);
    if (req.method === 'GET' && url.pathname === '/api/events') {
      const stop = relayEvents(opts.api, req, res, url, opts.keepAliveMs);
      streams.add(stop);
      res.once('close', () => streams.delete(stop));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/whoami')
      return sendJson(res, 200, { role: opts.role, name: opts.name, master: opts.master });
    return apiRoute(opts.api, req, res, url);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (res.headersSent) res.destroy();
      else sendJson(res, status, { error: message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      for (const stop of streams) stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
