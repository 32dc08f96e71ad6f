/**
 * The master's read-only HTTP endpoint (default 127.0.0.1:7071, no TLS: bind it to loopback or a
 * trusted network). `/metrics` for Prometheus, `/healthz`, and a small JSON API (`/v1/agents`,
 * `/v1/instances`, `/v1/stats`). Nothing here changes state: every mutation goes through the mTLS API.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import { UnavailableError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Fleet } from './fleet.js';

export class MasterHttp {
  private readonly server: http.Server;
  private readonly prom = new PromRegistry();

  constructor(
    private readonly fleet: Fleet,
    private readonly log: Logger,
  ) {
    collectDefaultMetrics({ register: this.prom, prefix: 'governor_master_' });
    const { registry, executions } = fleet;
    new Gauge({
      name: 'governor_agents',
      help: 'Known agents by connection state',
      labelNames: ['connected'],
      registers: [this.prom],
      collect() {
        const agents = fleet.agentInfos();
        this.set({ connected: 'true' }, agents.filter((a) => a.connected).length);
        this.set({ connected: 'false' }, agents.filter((a) => !a.connected).length);
      },
    });
    new Gauge({
      name: 'governor_instances',
      help: 'Instances by last reported state',
      labelNames: ['handler', 'state'],
      registers: [this.prom],
      collect() {
        this.reset();
        for (const i of registry.listInstances())
          this.inc({ handler: i.status.handler ?? '', state: i.status.state ?? '' });
      },
    });
    new Gauge({
      name: 'governor_handlers_configured',
      help: 'Handler specs in the registry',
      registers: [this.prom],
      collect() {
        this.set(registry.listSpecs().length);
      },
    });
    new Gauge({
      name: 'governor_executions',
      help: 'Executions in the log buffer by status, and the lifetime count',
      labelNames: ['status'],
      registers: [this.prom],
      collect() {
        const s = executions.stats();
        this.set({ status: 'success' }, s.success_count);
        this.set({ status: 'error' }, s.error_count);
        this.set({ status: 'lifetime' }, s.lifetime_executions);
      },
    });
    this.server = http.createServer((req, res) => {
      this.handle(req.url ?? '/').then(
        ({ status, type, body }) => {
          res.writeHead(status, { 'content-type': type });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
    });
  }

  private async handle(url: string): Promise<{ status: number; type: string; body: string }> {
    const json = (v: unknown) => ({ status: 200, type: 'application/json', body: JSON.stringify(v) + '\n' });
    const path = url.split('?')[0];
    switch (path) {
      case '/healthz':
        return { status: 200, type: 'text/plain', body: 'ok\n' };
      case '/metrics':
        return { status: 200, type: this.prom.contentType, body: await this.prom.metrics() };
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
          body: 'not found: try /metrics, /healthz, /v1/agents, /v1/instances, /v1/stats\n',
        };
    }
  }

  /** Binds `HOST:PORT`; resolves with the bound port. */
  listen(address: string): Promise<number> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(i + 1));
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
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}
