/**
 * The master's read-only HTTP endpoint (default 127.0.0.1:7071, no TLS, no authentication). `/metrics`
 * for Prometheus, `/healthz`, and a small JSON API (`/v1/agents`, `/v1/instances`, `/v1/stats`). Nothing
 * here changes state: every mutation goes through the mTLS API. And nothing secret is served: every
 * response body, whatever the route, passes through `redactPublic` (master/api/redact.ts) on its way out —
 * command lines and environments never leave through here. A non-loopback bind needs `--http-insecure`
 * (master/options.ts). Bound to loopback, it answers only requests whose Host is a loopback name or address:
 * a page in a browser on this machine that rebinds its own name to 127.0.0.1 (DNS rebinding) sends its own
 * name, and gets 403, never the fleet's topology.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnavailableError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Fleet } from '../fleet/fleet.js';
import { DEFAULT_METRICS_INSTANCES, isLoopbackAddress } from '../options.js';
import { mapLabelValues } from './exposition.js';
import { MasterMetrics, type PrometheusOptions } from './prometheus.js';
import { redactPublic, secretsOf, type Secrets } from './redact.js';

/** Distinct label values whose redaction is remembered (more: the cache starts again). */
const MAX_CACHED_LABELS = 100_000;

/**
 * What unauthenticated clients may hold of the master. The endpoint shares the master's descriptor table with
 * the agent links, the admin API and the store: 20,000 connections that trickled a request header held every
 * descriptor (agents dropped, the store's writes failed with EMFILE) until Node's default header timeout, 60 s.
 * Connections beyond `maxConnections` are closed as they come; a request's headers must arrive within
 * `headersTimeoutMs`, the whole request within `requestTimeoutMs` (checked every `checkEveryMs`); an idle
 * keep-alive connection is closed after `keepAliveTimeoutMs`.
 */
export const HTTP_LIMITS = {
  maxConnections: 128,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkEveryMs: 1_000,
};

/**
 * A response before redaction: `json` is serialized, `text` sent as is, `prometheus` is the exposition
 * format (only its label values are free text: metric names are never touched).
 */
type Reply = { status: number; type: string } & (
  { json: unknown } | { text: string } | { prometheus: string }
);

export class MasterHttp {
  private readonly server: http.Server;
  private readonly metrics: MasterMetrics;
  private secretsCache: { key: string; secrets: Secrets } | null = null;
  /** Bound to a loopback address: only loopback Host headers are answered. */
  private loopbackOnly = true;
  private labelCache: { secrets: Secrets | null; clean: Map<string, string> } = {
    secrets: null,
    clean: new Map(),
  };

  constructor(
    private readonly fleet: Fleet,
    private readonly log: Logger,
    opts: PrometheusOptions = { maxInstances: DEFAULT_METRICS_INSTANCES },
  ) {
    this.metrics = new MasterMetrics(fleet, opts, log);
    this.server = http.createServer(
      {
        headersTimeout: HTTP_LIMITS.headersTimeoutMs,
        requestTimeout: HTTP_LIMITS.requestTimeoutMs,
        keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
        connectionsCheckingInterval: HTTP_LIMITS.checkEveryMs,
      },
      (req, res) => {
        const host = req.headers.host ?? '';
        if (this.loopbackOnly && !isLoopbackAddress(host)) {
          res.writeHead(403, { 'content-type': 'text/plain' });
          res.end(
            `Host ${JSON.stringify(host)} is not a loopback name: this endpoint is bound to loopback and ` +
              'answers requests for 127.0.0.1, [::1] or localhost only\n',
          );
          return;
        }
        this.handle(req.url ?? '/').then(
          (reply) => {
            res.writeHead(reply.status, { 'content-type': reply.type });
            res.end(this.redacted(reply));
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(this.redacted({ status: 500, type: 'text/plain', text: `${String(err)}\n` }));
          },
        );
      },
    );
    this.server.maxConnections = HTTP_LIMITS.maxConnections;
  }

  /** The edge: every body leaves through here, without the secrets of any spec version the master holds. */
  private redacted(reply: Reply): string {
    const secrets = this.secrets();
    if ('json' in reply) return JSON.stringify(redactPublic(reply.json, secrets)) + '\n';
    if ('prometheus' in reply) return mapLabelValues(reply.prometheus, (v) => this.redactLabel(v, secrets));
    return secrets.redactText(reply.text);
  }

  /**
   * A label value without secrets (no escape left half-cut). Values repeat from scrape to scrape (handler
   * names, agent ids, states): each distinct one is redacted once per set of secrets (bounded cache).
   */
  private redactLabel(value: string, secrets: Secrets): string {
    if (this.labelCache.secrets !== secrets || this.labelCache.clean.size > MAX_CACHED_LABELS)
      this.labelCache = { secrets, clean: new Map() };
    let clean = this.labelCache.clean.get(value);
    if (clean === undefined) {
      const redacted = secrets.redactText(value);
      clean = redacted === value ? value : redacted.replace(/["\\\n]/g, '');
      this.labelCache.clean.set(value, clean);
    }
    return clean;
  }

  /** The secrets of every spec version the master holds, built again only when the specs change. */
  private secrets(): Secrets {
    const { registry } = this.fleet;
    const specs = registry.listSpecs();
    const key = specs.map((s) => `${s.spec.name}@${s.version}:${s.hash}`).join('\n');
    if (this.secretsCache?.key !== key) {
      const all = specs.flatMap((s) => registry.specHistory(s.spec.name).map((v) => v.spec));
      this.secretsCache = { key, secrets: secretsOf(all) };
    }
    return this.secretsCache.secrets;
  }

  private async handle(url: string): Promise<Reply> {
    const json = (v: unknown): Reply => ({ status: 200, type: 'application/json', json: v });
    const path = url.split('?')[0];
    switch (path) {
      case '/healthz':
        return { status: 200, type: 'text/plain', text: 'ok\n' };
      case '/metrics':
        return { status: 200, type: this.metrics.contentType, prometheus: await this.metrics.metrics() };
      case '/v1/agents':
        return json({ agents: this.fleet.agentInfos() });
      case '/v1/instances':
        return json({ instances: this.fleet.registry.listInstances() });
      case '/v1/stats':
        return json(this.fleet.executions.stats());
      default:
        return {
          status: 404,
          type: 'text/plain',
          text: 'not found: try /metrics, /healthz, /v1/agents, /v1/instances, /v1/stats\n',
        };
    }
  }

  /** Binds `HOST:PORT`; resolves with the bound port. */
  listen(address: string): Promise<number> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(i + 1));
    this.loopbackOnly = isLoopbackAddress(address);
    return new Promise((resolve, reject) => {
      this.server.once('error', (err) =>
        reject(new UnavailableError(`cannot listen for HTTP on ${address}: ${err.message}`)),
      );
      this.server.listen(port, host, () => {
        const bound = (this.server.address() as AddressInfo).port;
        this.log.info('http listening', { address: `${host}:${bound}` });
        resolve(bound);
      });
    });
  }

  close(): Promise<void> {
    this.metrics.close();
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}
