/** Agent settings for observe-only discovery and advisory limits: flags override the config file. */
import path from 'node:path';
import { UsageError } from '../../shared/cli-io.js';
import { parseDurationSetting } from '../../shared/durations.js';
import type { AgentConfigFile } from '../link/connected.js';
import { parseDiscoverRules, type DiscoverRule } from './discovery.js';

export interface ObserveSettings {
  cgroupRoot?: string;
  discover: DiscoverRule[];
  discoverIntervalMs?: number;
}

export function observeOptions(
  flags: { 'cgroup-root'?: string; 'discover-interval'?: string },
  cfg: AgentConfigFile,
  cwd: string,
): ObserveSettings {
  const root = flags['cgroup-root'] ?? cfg.cgroup_root;
  const flag = flags['discover-interval'];
  const interval =
    flag !== undefined
      ? parseDurationSetting(flag, '--discover-interval', (m) => new UsageError(m))
      : cfg.discover_interval
        ? parseDurationSetting(cfg.discover_interval, 'discover_interval')
        : undefined;
  return {
    ...(root ? { cgroupRoot: path.resolve(cwd, root) } : {}),
    discover: parseDiscoverRules(cfg.discover),
    ...(interval ? { discoverIntervalMs: interval } : {}),
  };
}
