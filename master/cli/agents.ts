/**
 * `gov agents` lists agents; `gov agents revoke ID` refuses and disconnects an agent from then on (an ID
 * the master has never seen only with `--unseen`: a typo makes no record); `gov agents unrevoke ID` lifts
 * that; `gov agents label ID k=v[,k=v…] [k-]` sets or removes the labels handler selectors match (an
 * agent's own `--labels` are only reported). A revoke and an unrevoke the master carries out are each an
 * execution (kinds `revoke`, `unrevoke`: `gov executions --kind revoke`); a refused one records nothing.
 */
import { Option } from 'commander';
import { UsageError } from '../../shared/cli-io.js';
import { adminCommand } from './admin-command.js';
import { checkAgentId } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { labelKeyProblem, labelProblem } from '../../shared/labels.js';
import { agentJson, agentsTable, labelList } from './format.js';

/**
 * `region=west,role=web tier-` → set {region, role}, remove [tier]. Each pair is checked by the label rule here
 * (shared/labels.ts: a usage error, nothing sent), and a key may be named once.
 */
export function parseLabelArgs(args: string[]): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const named = new Set<string>();
  const once = (part: string, key: string, problem: string | null): string => {
    if (problem) throw new UsageError(`label ${JSON.stringify(part)}: ${problem}`);
    if (named.has(key)) throw new UsageError(`label key ${JSON.stringify(key)} is given twice`);
    named.add(key);
    return key;
  };
  for (const part of args.flatMap((a) => a.split(','))) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq > 0) {
      const [key, value] = [part.slice(0, eq), part.slice(eq + 1)];
      set[once(part, key, labelProblem(key, value))] = value;
    } else if (eq < 0 && part.endsWith('-') && part.length > 1) {
      const key = part.slice(0, -1);
      remove.push(once(part, key, labelKeyProblem(key)));
    } else throw new UsageError(`label ${JSON.stringify(part)}: expected KEY=VALUE to set or KEY- to remove`);
  }
  if (Object.keys(set).length === 0 && remove.length === 0)
    throw new UsageError('gov agents label needs at least one KEY=VALUE or KEY-');
  return { set, remove };
}

export function agentsCommand(connect: AdminConnector = connectAdmin, now: () => number = Date.now) {
  const agents = adminCommand(connect, {
    name: 'agents',
    summary:
      'list agents, refuse and disconnect one (agents revoke; agents unrevoke lifts it), or set the labels ' +
      'selectors match (agents label)',
    check: () => undefined,
    call: async (api, _req, out) => {
      const res = await api.listAgents();
      out.print({ agents: res.agents.map(agentJson) }, () => agentsTable(res.agents, now()));
    },
  });
  agents.addCommand(
    adminCommand(connect, {
      name: 'revoke',
      summary:
        'refuse and disconnect agent ID from then on (kept across restarts; gov agents unrevoke lifts it); ' +
        'an ID the master has never seen is refused (exit 2, listing the known agents) unless --unseen',
      args: ['<ID>'],
      options: [
        new Option(
          '--unseen',
          'ID may be one the master has never seen: revoke the certificate of an agent that never connected ' +
            '(e.g. a leaked one)',
        ),
      ],
      check: ([id], o) => ({ id: checkAgentId(id, 'agent ID')!, unseen: o.unseen === true }),
      call: async (api, { id, unseen }, out) => {
        const agent = await api.revokeAgent(id, unseen ? { unseen } : {});
        out.print(
          { agent: agentJson(agent) },
          `agent ${agent.id} revoked: its certificate is refused and it is disconnected\n`,
        );
      },
    }),
  );
  agents.addCommand(
    adminCommand(connect, {
      name: 'unrevoke',
      summary:
        "lift gov agents revoke ID: the agent's certificate is accepted again (it reconnects at its next dial); " +
        'an ID revoked before it was ever seen is forgotten again',
      args: ['<ID>'],
      check: ([id]) => checkAgentId(id, 'agent ID')!,
      call: async (api, id, out) => {
        const agent = await api.unrevokeAgent(id);
        out.print(
          { agent: agentJson(agent) },
          `agent ${agent.id} is not revoked: its certificate is accepted\n`,
        );
      },
    }),
  );
  agents.addCommand(
    adminCommand(connect, {
      name: 'label',
      summary:
        "set (k=v) or remove (k-) labels that handler selectors match; an agent's own --labels are only " +
        'reported, never matched',
      args: ['<ID>', '[k=v,...|k-...]'],
      check: ([id, ...labels]) => ({ id: checkAgentId(id, 'agent ID')!, ...parseLabelArgs(labels) }),
      call: async (api, { id, set, remove }, out) => {
        const agent = await api.labelAgent(id, set, remove);
        out.print(
          { agent: agentJson(agent) },
          `agent ${agent.id} labels: ${labelList(agent.labels) || '(none)'}\n`,
        );
      },
    }),
  );
  return agents;
}
