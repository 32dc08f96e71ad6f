/**
 * `gov attach --agent ID --pid PID --name NAME` and `gov detach NAME --agent ID`: observe-only processes
 * (DESIGN §3, §6). An attached process is measured and listed by `gov ps` with mode `observed`; governor
 * never signals it, so `gov stop`/`restart` on it are refused. Detach forgets it; it keeps running.
 */
import { Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../../shared/cli-io.js';
import { adminCommand } from './admin-command.js';
import { checkAgentId, checkHandlerName } from './command-kit.js';
import { isPid } from '../../shared/proc.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { describeExecution, executionJson, instanceJson, reportFailures } from './format.js';

const agentOption = (description: string) => new Option('--agent <ID>', description).makeOptionMandatory();

export function attachCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'attach',
    summary: 'observe a running process by PID on an agent (measured, never signalled)',
    options: [
      agentOption('the agent on whose machine the process runs'),
      new Option('--pid <PID>', 'its process id').makeOptionMandatory(),
      new Option('--name <NAME>', 'the name it is listed under').makeOptionMandatory(),
    ],
    check: (_args, o) => {
      const text = o.pid as string;
      if (!/^\d+$/.test(text) || !isPid(Number(text)))
        throw new UsageError(`--pid ${JSON.stringify(text)} is not a process id`);
      return { agent: checkAgentId(o.agent)!, pid: Number(text), name: checkHandlerName(o.name, '--name') };
    },
    call: async (api, { agent, pid, name }, out) => {
      const res = await api.attach(agent, pid, name);
      const instances = res.instances.map(instanceJson);
      out.print(
        { action: 'attach', name, agent, pid, executions: res.executions.map(executionJson), instances },
        () =>
          [
            ...res.executions.map((r) => `${describeExecution(r)}\n`),
            ...instances.map((i) => `${i.handler}@${i.agent}: ${i.state} (observed), pid ${i.pid ?? pid}\n`),
          ].join(''),
      );
      return reportFailures(out.io, res.executions) ? EXIT_FAILED : EXIT_OK;
    },
  });
}

export function detachCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'detach',
    summary: 'stop observing a process (it keeps running, untouched)',
    args: ['<NAME>'],
    options: [agentOption('the agent observing it')],
    check: ([name], o) => ({ name: checkHandlerName(name!, 'name'), agent: checkAgentId(o.agent)! }),
    call: async (api, { agent, name }, out) => {
      const res = await api.detach(agent, name);
      out.print({ action: 'detach', name, agent, executions: res.executions.map(executionJson) }, () =>
        res.executions.map((r) => `${describeExecution(r)}\n`).join(''),
      );
      return reportFailures(out.io, res.executions) ? EXIT_FAILED : EXIT_OK;
    },
  });
}
