/**
 * The agent's own event list of commands given over its local control socket (`gov --local`): who
 * (`local:<uid>`, the kernel's word), what, on which handler, when, and how it ended. Bounded
 * (LOCAL_EVENTS_CAPACITY, oldest dropped) and persisted in `<data-dir>/local-events.json` with the
 * durable store (atomic writes; retried, never fatal, as the agent's state file).
 *
 * Reporting to the master (exactly once, also across agent and master restarts): every event starts
 * unreported; a connected agent sends it at once (`recorded`), and every welcome sends all unreported
 * ones again (`pending()`); the master records each id once and acknowledges it (`acknowledged()`), which
 * is persisted, so a restarted agent never sends an acknowledged one again and the master ignores a
 * repeat of one it has.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { LocalExecution } from '../../proto/generated/governor/v1/LocalExecution.js';
import { DurableStore } from '../../shared/durable-store.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';

export const LOCAL_EVENTS_FILE = 'local-events.json';
/** Events kept (acknowledged or not); past this the oldest is dropped. */
export const LOCAL_EVENTS_CAPACITY = 1000;

/** One local command, as kept and as sent (LocalExecution), plus whether the master has it. */
export interface LocalEvent extends Required<LocalExecution> {
  /** The master acknowledged it: never sent again. */
  reported: boolean;
}

interface LocalEventsFile {
  events: LocalEvent[];
}

export type LocalCommandInput = Pick<
  LocalEvent,
  'kind' | 'handler' | 'instance' | 'issued_by' | 'params_summary'
>;

export class LocalAudit extends EventEmitter<{ recorded: [LocalExecution] }> {
  private constructor(
    private readonly store: DurableStore<LocalEventsFile>,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    super();
  }

  static async open(
    dataDir: string,
    logger: Logger,
    opts: { capacity?: number; now?: () => number } = {},
  ): Promise<LocalAudit> {
    const file = path.join(dataDir, LOCAL_EVENTS_FILE);
    const store = await DurableStore.open<LocalEventsFile>(
      file,
      { events: [] },
      {
        validate: (data, f) => {
          const events = (data as Partial<LocalEventsFile> | null)?.events;
          if (!Array.isArray(events)) throw new Error(`${f}: events: must be a list`);
          return { events: events.filter((e): e is LocalEvent => typeof e?.id === 'string') };
        },
        retry: {
          onError: (err) => logger.error('local events write failed; retrying', { file, err }),
          onRecovered: (failures) =>
            logger.info('local events written again', { file, failed_writes: failures }),
        },
      },
    );
    return new LocalAudit(store, opts.capacity ?? LOCAL_EVENTS_CAPACITY, opts.now ?? Date.now);
  }

  /** Every kept event, oldest first (copies). */
  events(): LocalEvent[] {
    return this.store.data.events.map((e) => ({ ...e }));
  }

  /** Not yet acknowledged by a master, oldest first, as sent. */
  pending(): LocalExecution[] {
    return this.store.data.events.filter((e) => !e.reported).map(toWire);
  }

  /**
   * Runs `fn` as one local command and records its outcome, persisted before this resolves: the event and
   * `fn`'s result (undefined when it failed: the event says why).
   */
  async record<T>(
    input: LocalCommandInput,
    fn: () => Promise<T>,
    describe: (result: T) => string,
  ): Promise<{ event: LocalEvent; result: T | undefined }> {
    const started = this.now();
    let result: T | undefined;
    let failure: unknown = null;
    try {
      result = await fn();
    } catch (err) {
      failure = err;
    }
    const event: LocalEvent = {
      id: randomUUID(),
      ...input,
      started_at: new Date(started).toISOString(),
      completed_at: new Date(this.now()).toISOString(),
      ok: failure === null,
      error: failure === null ? '' : errorMessage(failure),
      result: failure === null ? describe(result as T) : '',
      reported: false,
    };
    await this.store.update((d) => {
      d.events.push(event);
      if (d.events.length > this.capacity) d.events.splice(0, d.events.length - this.capacity);
    });
    this.emit('recorded', toWire(event));
    return { event, result };
  }

  /** The master recorded these: never sent again (persisted). */
  acknowledged(ids: readonly string[]): void {
    const set = new Set(ids);
    let changed = false;
    for (const e of this.store.data.events)
      if (set.has(e.id) && !e.reported) {
        e.reported = true;
        changed = true;
      }
    if (changed) void this.store.flush();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function toWire(e: LocalEvent): LocalExecution {
  const { reported: _reported, ...wire } = e;
  return wire;
}
