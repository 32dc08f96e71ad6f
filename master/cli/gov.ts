#!/usr/bin/env -S node --use-openssl-ca
/**
 * The `gov` binary (package.json `bin`): runs the `gov` program (gov-program.ts) from the CLI bundle that
 * `npm run build` writes beside this file (gov-bundle.js and its chunks; scripts/build-cli-bundle.mjs). One
 * bundled file per lazily loaded part starts far faster than the few hundred modules it holds (issue 10's
 * CLI start); this loader imports nothing else (`gov agent` also the agent's V8 settings, agent/footprint.ts).
 * `gov --version` alone (`-v`, `version`) is answered here from package.json (version.ts), without the
 * program: building it (commander, every command's entry) was most of that command's time.
 * `--use-openssl-ca` (the `#!` line): TLS to anything but a governor master (whose CA is always given and is the
 * only one trusted there) trusts the system's CA store (/etc/ssl/certs, as curl does) instead of Node's copy of
 * Mozilla's. Node builds its copy at the first TLS context, even one given its own CA, to no use: ~18 ms of
 * every command that connects (`gov ps`).
 */
import type * as GovProgram from './gov-program.js';
import { versionLine } from './version.js';

/** The bundle's entry, beside this file (a variable: the bundle exists only after `npm run build`). */
const BUNDLE = './gov-bundle.js';

// The agent's V8 settings apply before any of its code is loaded (agent/footprint.ts).
if (process.argv[2] === 'agent') (await import('../../agent/footprint.js')).favourSmallFootprint();

const VERSION_ARGS = new Set(['--version', '-v', 'version']);

/** The bundle's program; undefined (exit 1, said on stderr) when the bundle was never built. */
async function loadProgram(): Promise<typeof GovProgram | undefined> {
  try {
    return (await import(BUNDLE)) as typeof GovProgram;
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' ||
      !String(err).includes(BUNDLE.slice(2))
    )
      throw err;
    process.stderr.write(
      `error: ${new URL(BUNDLE, import.meta.url).pathname} is missing: build the CLI bundle with \`npm run build\`\n`,
    );
    process.exitCode = 1;
    return undefined;
  }
}

const args = process.argv.slice(2);
if (args.length === 1 && VERSION_ARGS.has(args[0]!)) process.stdout.write(versionLine());
else (await loadProgram())?.runGov(args);
