/**
 * Settings of `gov agent --master ADDR` (the agent driven by a master): the agent config file, and the
 * agent's id, labels and connection (certificates and master address; flags > env > config > defaults).
 * agent/main.ts runs the GovernorAgent with them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { UsageError } from '../../shared/cli-io.js';
import { parseDurationSetting } from '../../shared/durations.js';
import { ValidationError, errorMessage } from '../../shared/errors.js';
import { NAME_RE } from '../../shared/spec.js';
import { readSettingsFile } from '../../shared/settings-file.js';
import { readIdentity } from '../../shared/pki.js';
import { parseDiscoverRules } from '../observed/discovery.js';
import * as tls from '../../shared/tls.js';

/** Settings of the agent config file (`gov agent --config FILE`). */
export interface AgentConfigFile {
  id?: string;
  master?: string;
  data_dir?: string;
  ca?: string;
  cert?: string;
  key?: string;
  labels?: Record<string, string>;
  metrics_interval?: string;
  /** Observe-only discovery rules: `[{name, pattern | exe, limits?}]` (validated by parseDiscoverRules). */
  discover?: unknown;
  /** Discovery scan interval (default 10s). */
  discover_interval?: string;
  /** Cgroup filesystem root for advisory limits (default /sys/fs/cgroup). */
  cgroup_root?: string;
}

const CONFIG_KEYS = [
  'id',
  'master',
  'data_dir',
  'ca',
  'cert',
  'key',
  'labels',
  'metrics_interval',
  'discover',
  'discover_interval',
  'cgroup_root',
];

export function readAgentConfig(file: string): AgentConfigFile {
  const cfg = readSettingsFile(file, CONFIG_KEYS) as AgentConfigFile;
  if (cfg.labels !== undefined) {
    if (typeof cfg.labels !== 'object' || cfg.labels === null || Array.isArray(cfg.labels)) {
      throw new ValidationError(`${file}: labels: must be a map of strings`);
    }
    cfg.labels = Object.fromEntries(Object.entries(cfg.labels).map(([k, v]) => [k, String(v)]));
  }
  parseDiscoverRules(cfg.discover, `${file}: discover`); // refused here, with the file and the key
  for (const key of ['metrics_interval', 'discover_interval'] as const)
    if (cfg[key] !== undefined) parseDurationSetting(cfg[key], `${file}: ${key}`);
  return cfg;
}

/** `region=west,role=web` → map; refuses malformed pairs. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const m = /^([A-Za-z0-9._/-]+)=(.*)$/.exec(part.trim());
    if (!m) throw new UsageError(`--labels: ${JSON.stringify(part)} is not KEY=VALUE`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

export interface ConnectedSettings {
  id: string;
  connection: tls.ConnectionSettings;
  labels: Record<string, string>;
}

/**
 * Works out the agent id (flag, config, or the CN of the given certificate) and the connection settings
 * (`certs/agent-<ID>.crt/.key` by default).
 */
export function resolveConnected(
  flags: { id?: string; master?: string; ca?: string; cert?: string; key?: string; labels?: string },
  cfg: AgentConfigFile,
  env: Record<string, string | undefined>,
  cwd: string,
): ConnectedSettings {
  const certFlag = flags.cert ?? env.GOV_CERT ?? cfg.cert;
  let id = flags.id ?? cfg.id;
  if (!id && certFlag) {
    try {
      id = readIdentity(readFileSync(path.resolve(cwd, certFlag), 'utf8')).cn;
    } catch (err) {
      throw new UsageError(
        `--id is not given and the CN of ${certFlag} cannot be read: ${errorMessage(err)}`,
      );
    }
  }
  if (!id)
    throw new UsageError('--id ID is required (or --cert with the agent certificate whose CN is the id)');
  if (!NAME_RE.test(id)) throw new UsageError(`--id ${JSON.stringify(id)} is not a valid agent id`);
  const connection = tls.resolveConnection(
    {
      master: flags.master ?? env.GOV_MASTER ?? cfg.master,
      ca: flags.ca ?? env.GOV_CA ?? cfg.ca,
      cert: certFlag,
      key: flags.key ?? env.GOV_KEY ?? cfg.key,
    },
    {},
    { certName: `agent-${id}` },
    cwd,
  );
  const labels = { ...(cfg.labels ?? {}), ...(flags.labels ? parseLabels(flags.labels) : {}) };
  return { id, connection, labels };
}
