/**
 * `gov ui [--port N] [--open]`: the web dashboard, served like `kubectl proxy` by a local proxy on
 * 127.0.0.1 (master/cli/ui/: where to start reading) that talks to the master with the user's own
 * certificate. Checks the master answers (ListAgents), prints the URL with its one-time token, and runs
 * until interrupted (exit 0). The role the
 * page shows actions for is the certificate's OU, read here from --cert; the master still decides.
 * The page's files ship in the package (master/cli/ui/static/, found from this module's place, which the
 * CLI bundle keeps: see scripts/build-cli-bundle.mjs) and uPlot's come from its installed package.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option } from 'commander';
import { UsageError, type CliIO } from '../../shared/cli-io.js';
import { govCommand } from '../../shared/cli-program.js';
import { errorMessage, ValidationError } from '../../shared/errors.js';
import { readIdentity } from '../../shared/pki.js';
import {
  connectAdmin,
  connectionOptions,
  resolveAdminConnection,
  withAdmin,
  type AdminConnector,
} from './connect.js';
import { startUiServer } from './ui/server.js';

/** The page's own files, in the package. */
export const STATIC_DIR = fileURLToPath(new URL('../../../master/cli/ui/static/', import.meta.url));

/** uPlot's dist/ folder, from the installed package. */
export function uplotDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');
}

function readPort(text: unknown): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || n > 65535)
    throw new UsageError(`--port ${JSON.stringify(text)}: expected a port number 0..65535 (0: a free one)`);
  return n;
}

/** The certificate's CN and OU (admin, viewer): what the page offers. */
function readRole(certPath: string): { name: string; role: string } {
  let pem: string;
  try {
    pem = readFileSync(certPath, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read certificate ${certPath} (--cert): ${errorMessage(err)}`);
  }
  const { cn, ou } = readIdentity(pem);
  return { name: cn, role: ou };
}

/** Opens `url` in the desktop's browser (xdg-open); says so when it cannot. */
function openBrowser(url: string, io: CliIO): void {
  const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
  child.on('error', (err) => io.err(`could not open a browser (${errorMessage(err)}): open the URL above\n`));
  child.unref();
}

export function uiCommand(connect: AdminConnector = connectAdmin) {
  const cmd = govCommand('ui')
    .description('web dashboard: a local proxy on 127.0.0.1 with a one-time token, using your certificate')
    .addOption(new Option('--port <N>', 'port on 127.0.0.1 (default 0: a free one)'))
    .addOption(new Option('--open', 'also open the URL in the desktop browser (xdg-open)'));
  for (const o of connectionOptions()) cmd.addOption(o);
  return cmd.does(async ({ opts, io }) => {
    const conn = resolveAdminConnection(opts, io);
    const port = readPort(opts.port);
    const who = readRole(conn.certPath);
    return withAdmin(connect, conn, async (api) => {
      // One call first: a master that cannot be reached or refuses the certificate is told here, not on a
      // broken page, and the page's first requests find the connection up.
      await api.listAgents();
      const server = await startUiServer({
        api,
        ...who,
        master: conn.master,
        port,
        staticDir: STATIC_DIR,
        uplotDir: uplotDir(),
      });
      io.out(`${server.url}\n`);
      io.err(
        `gov ui: dashboard for ${who.role || 'unknown role'} ${JSON.stringify(who.name)} on master ${conn.master}; ` +
          'the token in the URL is the only key to it; Ctrl-C stops\n',
      );
      if (opts.open) openBrowser(server.url, io);
      await (io.interrupted ?? new Promise<void>(() => {}));
      await server.close();
    });
  });
}
