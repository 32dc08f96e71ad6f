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
    ...rows.map((r) => r.map((c) => (c === undefined || c === null ? '-' : String(c)))),
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
