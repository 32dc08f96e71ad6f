/**
 * Structured logging with named component loggers: one line per record, `key=value` pairs (or JSON lines
 * with GOV_LOG_FORMAT=json, read once by entry points and passed in as options). An error goes under one
 * key, `err`, as the object itself: the logger alone decides what of it is written (message and code).
 */
import { GovError } from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/** The one key under which a record carries an error (`log.warn('…', { err })`). */
export const ERROR_KEY = 'err';

/** What a record keeps of an error: its message and, when it has one, its code (errno, domain kind). */
export interface LoggedError {
  message: string;
  code?: string | number;
}

export function loggedError(err: unknown): LoggedError {
  if (!(err instanceof Error)) return { message: String(err) };
  const code = err instanceof GovError ? err.kind : (err as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number'
    ? { message: err.message, code }
    : { message: err.message };
}

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'text' | 'json';
  sink?: LogSink;
}

export class Logger {
  private readonly level: LogLevel;
  private readonly format: 'text' | 'json';
  private readonly sink: LogSink;
  constructor(
    readonly component: string,
    options: LoggerOptions = {},
    private readonly base: LogFields = {},
  ) {
    this.level = options.level ?? 'info';
    this.format = options.format ?? 'text';
    this.sink = options.sink ?? process.stderr;
  }

  /** A child logger for a sub-component (`agent.supervisor`) with extra fixed fields. */
  named(name: string, fields: LogFields = {}): Logger {
    return new Logger(
      this.component ? `${this.component}.${name}` : name,
      { level: this.level, format: this.format, sink: this.sink },
      { ...this.base, ...fields },
    );
  }

  with(fields: LogFields): Logger {
    return new Logger(
      this.component,
      { level: this.level, format: this.format, sink: this.sink },
      { ...this.base, ...fields },
    );
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  private log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const all: LogFields = { ...this.base, ...fields };
    const ts = new Date().toISOString();
    if (this.format === 'json') {
      for (const [k, v] of Object.entries(all)) if (isErrorField(k, v)) all[k] = loggedError(v);
      this.sink.write(JSON.stringify({ ts, level, component: this.component, msg, ...all }) + '\n');
      return;
    }
    const kv = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => (isErrorField(k, v) ? errorPairs(k, loggedError(v)) : `${k}=${formatValue(v)}`))
      .join(' ');
    this.sink.write(
      `${ts} ${level.toUpperCase().padEnd(5)} [${this.component}] ${msg}${kv ? ' ' + kv : ''}\n`,
    );
  }
}

/** The `err` field, and an Error under any other key, are written as errors. */
function isErrorField(key: string, v: unknown): boolean {
  return v !== undefined && (key === ERROR_KEY || v instanceof Error);
}

/** `err="message" err_code=ENOSPC` in the text format. */
function errorPairs(key: string, e: LoggedError): string {
  const code = e.code === undefined ? '' : ` ${key}_code=${formatValue(e.code)}`;
  return `${key}=${formatValue(e.message)}${code}`;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger = new Logger('', { level: 'error', sink: { write: () => {} } });
