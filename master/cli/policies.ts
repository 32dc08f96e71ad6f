/**
 * `gov policies [TARGET...] [--all] [--selector K=V] [--agent ID]... [--agent-wide]`: every resource policy
 * rule (DESIGN §9) with its smoothed value, forecast, state and last action, as the agents last reported
 * them (policies-view.ts). No target: every handler's rules and every agent's agent-wide rules (only
 * `--agent`: those agents'); a target: its handlers' rules, and with `--agent-wide` the agent-wide rules
 * of its agents too.
 */
import { Option } from 'commander';
import { adminCommand } from './admin-command.js';
import { readTargets, TARGET_ARGS, targetOptions } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { policiesJson, policiesTable } from './policies-view.js';

export function policiesCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now) {
  return adminCommand(connect, {
    name: 'policies',
    summary: 'resource policy rules: smoothed value, forecast, state and last action, per instance and agent',
    args: [TARGET_ARGS],
    options: [
      ...targetOptions(),
      new Option(
        '--agent-wide',
        "with a target: also the agent-wide rules of its agents (the agents' config)",
      ),
    ],
    jsonHelp: 'print one JSON document: {"agents": [{agent, connected, reported_at, counters, rules}]}',
    check: (names, o) => ({ targets: readTargets(names, o), agentWide: o.agentWide === true }),
    call: async (api, { targets, agentWide }, out) => {
      const res = await api.listPolicies(targets, agentWide);
      out.print(policiesJson(res), () => policiesTable(res, now()));
    },
  });
}
