/**
 * Reading a daemon's YAML settings file (`--config`): a map whose unknown keys are refused by name, and
 * whose duration keys are refused here, naming the file and the key (compiling them is the caller's).
 */
import { parseDurationSetting } from './durations.js';
import { parseYamlInput, readYamlFile } from './yaml-input.js';
import { ValidationError, errorMessage } from './errors.js';

export function readSettingsFile(
  file: string,
  allowed: readonly string[],
  durationKeys: readonly string[] = [],
): Record<string, unknown> {
  let text: string;
  try {
    text = readYamlFile(file);
  } catch (err) {
    if (err instanceof ValidationError) throw err; // too large
    throw new ValidationError(`${file}: ${errorMessage(err)}`);
  }
  // Bounded and linear, like a handlers file; label values kept as written (`rack: 01` is "01").
  const raw = parseYamlInput(text, file, /^labels\.[^[\]]+$/);
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ValidationError(`${file}: must be a map of settings`);
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k))
      throw new ValidationError(`${file}: ${k}: unknown key (allowed: ${allowed.join(', ')})`);
  }
  const settings = raw as Record<string, unknown>;
  for (const key of durationKeys)
    if (settings[key] !== undefined) parseDurationSetting(settings[key], `${file}: ${key}`);
  return settings;
}
