/** Agent settings for observe-only discovery and advisory limits: flags override the config file. */
import path from 'node:path';
import { parseDuration } from '../shared/durations.js';
import type { AgentConfigFile } from './connected.js';
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
  const interval = flags['discover-interval'] ?? cfg.discover_interval;
  return {
    ...(root ? { cgroupRoot: path.resolve(cwd, root) } : {}),
    discover: parseDiscoverRules(cfg.discover),
    ...(interval ? { discoverIntervalMs: parseDuration(interval) } : {}),
  };
}
