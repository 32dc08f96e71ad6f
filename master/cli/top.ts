/**
 * `gov top [--interval DUR] [--sort cpu|mem|name]`: a live full-screen view of the fleet (top-view.ts
 * says what it shows) in the terminal's alternate screen, redrawn on every event, every second (the
 * clock), on a key and when the terminal is resized. The figures come from one GetMetrics (and the last
 * executions from one ListExecutions), then from
 * `Admin.Watch` (snapshot, changes and a metrics sample per agent per interval), followed across drops
 * and lost connections (`reconnecting…` shows meanwhile). Keys: c, m, n sort by CPU, memory, name; q or
 * Ctrl-C quits. Whatever ends it (a key, SIGTERM, an error), the terminal is restored: raw mode off, the
 * alternate screen left, the cursor shown. Without a terminal on stdin and stdout it refuses (exit 2),
 * drawing nothing. ANSI escapes are written by hand: the few this needs do not call for a library.
 */
import { Option } from 'commander';
import { EXIT_OK, UsageError, type CliIO } from '../../shared/cli-io.js';
import { parseDuration } from '../../shared/durations.js';
import type { GovError } from '../../shared/errors.js';
import type { AdminApi, WatchEvent, WatchRequest } from './admin-client.js';
import { adminCommand } from './admin-command.js';
import { connectAdmin, resolveAdminConnection, type AdminConnector } from './connect.js';
import { SORT_KEYS, TopView, type SortKey } from './top-view.js';
import { followWatch } from './watch-follow.js';

export const DEFAULT_INTERVAL_MS = 2000;
/** Events arriving together are drawn once, this long after the first. */
const REDRAW_DELAY_MS = 50;
/** Executions read at the start (the watch brings the ones after). */
const SHOWN_EXECUTIONS = 50;
/** The header's clock. */
const TICK_MS = 1000;

/** Alternate screen on, cursor hidden / alternate screen off, cursor shown. */
export const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
export const LEAVE_SCREEN = '\x1b[?1049l\x1b[?25h';

/** The terminal `gov top` draws on (the process's own, or a test's). */
export interface Terminal {
  /** stdin and stdout are both a terminal. */
  readonly isTTY: boolean;
  size(): { columns: number; rows: number };
  write(text: string): void;
  rawMode(on: boolean): void;
  /** Calls `fn` with each chunk typed; returns the unsubscribe (which also stops reading). */
  onInput(fn: (data: string) => void): () => void;
  onResize(fn: () => void): () => void;
}

/** The process's terminal. */
export function processTerminal(): Terminal {
  const { stdin, stdout } = process;
  return {
    isTTY: Boolean(stdin.isTTY && stdout.isTTY),
    size: () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }),
    write: (text) => stdout.write(text),
    rawMode: (on) => {
      if (stdin.isTTY) stdin.setRawMode(on);
    },
    onInput: (fn) => {
      const listener = (d: Buffer) => fn(d.toString('utf8'));
      stdin.on('data', listener);
      stdin.resume();
      return () => {
        stdin.off('data', listener);
        stdin.pause();
      };
    },
    onResize: (fn) => {
      stdout.on('resize', fn);
      return () => stdout.off('resize', fn);
    },
  };
}

/** One full frame: home, each line cleared to its end, the rest of the screen cleared. */
export function frame(lines: string[]): string {
  return `\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\r\n')}\x1b[J`;
}

export interface TopOptions {
  term: Terminal;
  intervalMs: number;
  sort: SortKey;
  master: string;
  now: () => number;
}

/** The watch of `gov top`: a snapshot, then every change and one metrics sample per agent per interval. */
export function topWatchRequest(intervalMs: number): WatchRequest {
  return {
    resume: false,
    since: 0,
    snapshot: true,
    follow: true,
    handlers: [],
    agents: [],
    kinds: ['instance', 'health', 'execution', 'agent', 'metrics'],
    metrics_interval_ms: intervalMs,
  };
}

/** Runs the view until q, Ctrl-C, an interrupt or a refused watch; the terminal is restored in every case. */
export async function runTop(api: AdminApi, io: CliIO, o: TopOptions): Promise<number> {
  const view = new TopView();
  // Before the screen changes: an unreachable master or a refusal is an ordinary error on the shell.
  const [metrics, executions] = await Promise.all([
    api.getMetrics({}),
    api.listExecutions({ limit: SHOWN_EXECUTIONS }),
  ]);
  view.applyMetrics(metrics);
  view.applyExecutions(executions.records);
  const { term } = o;
  let sort = o.sort;
  // Ends the view: quit (no error) or an error thrown while drawing or applying an event, which would
  // otherwise escape from a timer or a stream callback with the terminal left raw.
  let end!: (err?: unknown) => void;
  const ended = new Promise<void>((resolve, reject) => {
    end = (err) =>
      err === undefined ? resolve() : reject(err instanceof Error ? err : new Error(String(err)));
  });
  ended.catch(() => {}); // raced below; this only keeps a later rejection from going unhandled
  const quit = () => end();
  const guarded =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (err) {
        end(err);
      }
    };
  let redraw: NodeJS.Timeout | null = null;
  const draw = guarded(() => {
    if (redraw) clearTimeout(redraw);
    redraw = null;
    const { columns, rows } = term.size();
    term.write(frame(view.render({ width: columns, height: rows, sort, now: o.now(), master: o.master })));
  });
  const soon = () => {
    redraw ??= setTimeout(draw, REDRAW_DELAY_MS);
  };
  const keys: Record<string, () => void> = {
    q: quit,
    Q: quit,
    '\x03': quit,
    c: () => ((sort = 'cpu'), draw()),
    m: () => ((sort = 'mem'), draw()),
    n: () => ((sort = 'name'), draw()),
  };

  term.rawMode(true);
  term.write(ENTER_SCREEN);
  const offInput = term.onInput(
    guarded((data: string) => {
      for (const ch of data) keys[ch]?.();
    }),
  );
  const offResize = term.onResize(draw);
  const tick = setInterval(draw, TICK_MS);
  tick.unref();
  const following = followWatch(
    api,
    topWatchRequest(o.intervalMs),
    guarded((e: WatchEvent) => {
      view.connection = ''; // an event came: connected again (the last notice stays shown)
      view.apply(e);
      soon();
    }),
    {
      onReconnect: guarded((err: GovError | null) => {
        view.dropPartialSnapshot();
        view.connection = `reconnecting…${err ? ` (${err.message})` : ''}`;
        draw();
      }),
    },
  );
  following.done.catch(() => {}); // raced below; this only keeps a late rejection from going unhandled
  void io.interrupted?.then(quit);
  try {
    draw();
    await Promise.race([ended, following.done]);
  } finally {
    following.stop();
    clearInterval(tick);
    if (redraw) clearTimeout(redraw);
    offResize();
    offInput();
    term.rawMode(false);
    term.write(LEAVE_SCREEN);
  }
  return EXIT_OK;
}

export function topCommand(
  connect: AdminConnector = connectAdmin,
  terminal: () => Terminal = processTerminal,
  now: () => number = Date.now,
) {
  return adminCommand(connect, {
    name: 'top',
    summary: 'live full-screen view of agents, instances (CPU, memory) and the last executions; q quits',
    options: [
      new Option(
        '--interval <DUR>',
        `how often CPU and memory figures refresh (default ${DEFAULT_INTERVAL_MS / 1000}s)`,
      ),
      new Option('--sort <KEY>', 'order of the instances at the start (keys c, m, n switch it)').choices(
        SORT_KEYS,
      ),
    ],
    jsonHelp: null,
    check: (_args, o, io) => {
      if (o.json)
        throw new UsageError(
          'gov top draws a live view; for JSON use gov events -f --json or gov metrics --json',
        );
      let intervalMs = DEFAULT_INTERVAL_MS;
      if (o.interval !== undefined) {
        try {
          intervalMs = parseDuration(o.interval as string);
        } catch (err) {
          throw new UsageError(`--interval: ${(err as Error).message}`);
        }
        if (intervalMs < 100)
          throw new UsageError(`--interval ${JSON.stringify(o.interval)} must be at least 100ms`);
      }
      const term = terminal();
      if (!term.isTTY)
        throw new UsageError(
          'gov top needs a terminal (stdin and stdout a TTY); without one use gov events -f, gov ps or gov metrics',
        );
      const master = resolveAdminConnection(o, io).master;
      return { term, intervalMs, sort: ((o.sort as SortKey | undefined) ?? 'cpu') as SortKey, master };
    },
    call: (api, req, out) => runTop(api, out.io, { ...req, now }),
  });
}
