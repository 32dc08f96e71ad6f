/**
 * The CLI's seam: every command is `run(args, io) → exit code`, writing through `io` so tests capture
 * output. Exit codes: 0 success, 1 the operation failed, 2 usage error.
 */
import { UsageError, errorMessage, exitCodeOf } from './errors.js';

export { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  isTTY: boolean;
  /** Resolves when the user interrupts (Ctrl-C); long-running commands race against it. */
  interrupted?: Promise<void>;
}

/**
 * Text for an operator's terminal: control characters other than newlines (terminal escapes, carriage
 * returns, tabs) as spaces. What agents and handlers report (hostnames, labels, states, health reasons,
 * errors) reaches admins' terminals through the CLI: an escape in it could retitle the window, clear the
 * screen or fake output. `gov logs` and `gov exec` pass a handler's own output through as it is (its colours),
 * as `docker logs` does.
 */
export function terminalText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, ' ');
}

/** `terminalText` on one line: newlines as spaces too (a table cell, an event line). */
export function flat(text: string): string {
  return terminalText(text).replace(/\n/g, ' ');
}

/** Maps an error to an exit code and prints it. */
export function reportError(err: unknown, io: CliIO, usage?: string): number {
  io.err(`error: ${errorMessage(err)}\n`);
  if (usage && err instanceof UsageError) io.err(`usage: ${usage}\n`);
  return exitCodeOf(err);
}

export function processIO(): CliIO {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: Array<Array<string | number | undefined | null>>): string {
  const cells = [
    headers,
    ...rows.map((r) => r.map((c) => (c === undefined || c === null ? '-' : flat(String(c))))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return (
    cells
      .map((r) =>
        r
          .map((c, i) => (c ?? '').padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
