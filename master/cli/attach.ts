/**
 * `gov attach --agent ID --pid PID --name NAME` and `gov detach NAME --agent ID`: observe-only processes
 * (DESIGN §3, §6). An attached process is measured and listed by `gov ps` with mode `observed`; governor
 * never signals it, so `gov stop`/`restart` on it are refused. Detach forgets it; it keeps running.
 */
import { EXIT_FAILED, EXIT_OK, UsageError, parseFlags, type Command } from '../../shared/cli-io.js';
import {
  COMMON_FLAGS,
  checkAgentId,
  checkHandlerName,
  expectPositionals,
  helpText,
  printedHelp,
  runGuarded,
} from './command-kit.js';
import { isPid } from '../../shared/proc.js';
import { connectAdmin, resolveAdminConnection, withAdmin, type AdminConnector } from './connect.js';
import { describeExecution, executionJson, instanceJson, printJson, reportFailures } from './format.js';

export const ATTACH_USAGE = 'gov attach --agent ID --pid PID --name NAME [--json]';
export const DETACH_USAGE = 'gov detach NAME --agent ID [--json]';

function requireAgent(agent: string | undefined): string {
  const id = checkAgentId(agent);
  if (id === undefined) throw new UsageError('--agent ID is required');
  return id;
}

export function attachCommand(connect: AdminConnector = connectAdmin): Command {
  const cmd: Command = {
    name: 'attach',
    summary: 'observe a running process by PID on an agent (measured, never signalled)',
    usage: ATTACH_USAGE,
    run: (args, io) =>
      runGuarded(io, ATTACH_USAGE, async () => {
        const { values, positionals } = parseFlags(args, {
          ...COMMON_FLAGS,
          agent: { type: 'string' },
          pid: { type: 'string' },
          name: { type: 'string' },
        });
        const flagsHelp =
          '  --agent ID  the agent on whose machine the process runs\n  --pid PID   its process id\n  --name NAME the name it is listed under';
        if (printedHelp(values, io, helpText(cmd, flagsHelp))) return EXIT_OK;
        expectPositionals(positionals, []);
        const agent = requireAgent(values.agent);
        if (values.pid === undefined) throw new UsageError('--pid PID is required');
        if (!/^\d+$/.test(values.pid) || !isPid(Number(values.pid)))
          throw new UsageError(`--pid ${JSON.stringify(values.pid)} is not a process id`);
        if (values.name === undefined) throw new UsageError('--name NAME is required');
        const name = checkHandlerName(values.name, '--name');
        const pid = Number(values.pid);
        const conn = resolveAdminConnection(values, io);
        const res = await withAdmin(connect, conn, (api) => api.attach(agent, pid, name));
        const instances = res.instances.map(instanceJson);
        if (values.json) {
          printJson(io, {
            action: 'attach',
            name,
            agent,
            pid,
            executions: res.executions.map(executionJson),
            instances,
          });
        } else {
          for (const r of res.executions) io.out(`${describeExecution(r)}\n`);
          for (const i of instances)
            io.out(`${i.handler}@${i.agent}: ${i.state} (observed), pid ${i.pid ?? pid}\n`);
        }
        return reportFailures(io, res.executions) ? EXIT_FAILED : EXIT_OK;
      }),
  };
  return cmd;
}

export function detachCommand(connect: AdminConnector = connectAdmin): Command {
  const cmd: Command = {
    name: 'detach',
    summary: 'stop observing a process (it keeps running, untouched)',
    usage: DETACH_USAGE,
    run: (args, io) =>
      runGuarded(io, DETACH_USAGE, async () => {
        const { values, positionals } = parseFlags(args, { ...COMMON_FLAGS, agent: { type: 'string' } });
        if (printedHelp(values, io, helpText(cmd, '  --agent ID  the agent observing it'))) return EXIT_OK;
        const [name] = expectPositionals(positionals, ['NAME']) as [string];
        checkHandlerName(name, 'name');
        const agent = requireAgent(values.agent);
        const conn = resolveAdminConnection(values, io);
        const res = await withAdmin(connect, conn, (api) => api.detach(agent, name));
        if (values.json) {
          printJson(io, { action: 'detach', name, agent, executions: res.executions.map(executionJson) });
        } else {
          for (const r of res.executions) io.out(`${describeExecution(r)}\n`);
        }
        return reportFailures(io, res.executions) ? EXIT_FAILED : EXIT_OK;
      }),
  };
  return cmd;
}
