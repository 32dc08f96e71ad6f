/** Reading a daemon's YAML settings file (`--config`): a map whose unknown keys are refused by name. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ValidationError, errorMessage } from './errors.js';

export function readSettingsFile(file: string, allowed: readonly string[]): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ValidationError(`${file}: ${errorMessage(err)}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ValidationError(`${file}: must be a map of settings`);
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k))
      throw new ValidationError(`${file}: ${k}: unknown key (allowed: ${allowed.join(', ')})`);
  }
  return raw as Record<string, unknown>;
}
