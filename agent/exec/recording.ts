/**
 * A session recording in asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header
 * line, then one `[seconds, "o", text]` line per output chunk (stderr too: a terminal shows both). Written
 * synchronously to a 0600 file in the instance's log folder, so it is bounded by what the program prints.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export interface RecordingHeader {
  rows: number;
  cols: number;
  command: string[];
  term: string;
  issuedBy: string;
}

export class Recording {
  private fd: number | null;
  private readonly t0 = process.hrtime.bigint();
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    readonly file: string,
    header: RecordingHeader,
  ) {
    this.fd = openSync(file, 'wx', 0o600);
    this.line({
      version: 2,
      width: header.cols,
      height: header.rows,
      timestamp: Math.floor(Date.now() / 1000),
      command: header.command.join(' '),
      title: `gov exec by ${header.issuedBy}`,
      env: { TERM: header.term, SHELL: header.command[0] ?? '' },
    });
  }

  /** `<log dir>/exec-<ISO time>-<session>.cast` */
  static fileIn(logDir: string, session: string): string {
    const at = new Date().toISOString().replace(/[:.]/g, '-');
    return path.join(logDir, `exec-${at}-${session.slice(0, 8)}.cast`);
  }

  output(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    if (text) this.event('o', text);
  }

  resize(rows: number, cols: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  close(): void {
    if (this.fd === null) return;
    const rest = this.decoder.end();
    if (rest) this.event('o', rest);
    closeSync(this.fd);
    this.fd = null;
  }

  private event(kind: string, text: string): void {
    const s = Number(process.hrtime.bigint() - this.t0) / 1e9;
    this.line([Number(s.toFixed(6)), kind, text]);
  }

  private line(v: unknown): void {
    if (this.fd !== null) writeSync(this.fd, `${JSON.stringify(v)}\n`);
  }
}
