/** Helpers for the health-check and on-demand tests: free ports, a tracked supervisor, spawn logs. */
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { Supervisor, type SupervisorOptions } from '../../agent/supervisor/supervisor.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { tempDir, trackPid } from '../helpers/common.js';

export function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler(raw, 'handlers[0]', 'test');
}

/** A port nothing listens on right now (bound to 0 and released). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (typeof addr !== 'object' || !addr) throw new Error('no port');
  return addr.port;
}

/** `127.0.0.1:PORT` with nothing listening (a port bound, then closed). */
export async function deadAddress(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}

/** Non-empty lines of a file ([] when it does not exist). */
export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Supervisors created through `make` track every handler group they report and shut down in `close`. */
export function supervisors(): {
  make(opts?: Partial<SupervisorOptions>): Promise<Supervisor>;
  close(): Promise<void>;
} {
  const sups: Supervisor[] = [];
  const track = (sup: Supervisor): void => {
    for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
  };
  return {
    async make(opts = {}) {
      const sup = await Supervisor.create({
        dataDir: tempDir(),
        pollIntervalMs: 50,
        random: () => 0.5,
        ...opts,
      });
      sup.on('state', () => track(sup));
      sups.push(sup);
      return sup;
    },
    async close() {
      for (const sup of sups.splice(0)) {
        track(sup);
        // Stop what is still running so no handler outlives its test (cleanupPids is the backstop).
        await Promise.all(sup.status().map((s) => sup.stop(s.instance).catch(() => undefined)));
        await sup.shutdown();
      }
    },
  };
}
