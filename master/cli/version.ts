/**
 * Governor's version: package.json's, read from the repo root (three levels above this module, in dist/ as in
 * the CLI bundle, both in dist/master/cli/). Its own module so that `gov --version` loads nothing else (gov.ts).
 */
import { readFileSync } from 'node:fs';

export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** What `gov --version`, `gov -v` and `gov version` print. */
export function versionLine(): string {
  return `gov ${readVersion()}\n`;
}
