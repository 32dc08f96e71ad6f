/**
 * `gov signal SIGNAL TARGET... [--main]`: sends a signal (`HUP`, `SIGHUP`, any case) to the handlers'
 * process groups, or with `--main` to their main process only. An unknown signal name is a usage error
 * (nothing sent); observed processes are refused by the master (they are never signalled). Admin only.
 */
import { Option } from 'commander';
import { UsageError } from '../../shared/cli-io.js';
import { GovError } from '../../shared/errors.js';
import { parseSignal } from '../../shared/signals.js';
import { adminCommand } from './admin-command.js';
import { readTargets, requireTargets, TARGET_ARGS, targetOptions } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { printOutcomes } from './control.js';

export function signalCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'signal',
    summary: "send a signal to handlers' process groups (--main: their main process only)",
    args: [['<SIGNAL>', 'HUP, USR1, TERM … with or without SIG, any case'], TARGET_ARGS],
    options: [
      new Option('--main', 'only the main process (the PID gov ps shows), not its whole process group'),
      ...targetOptions(),
    ],
    check: ([text, ...names], o) => {
      let signal: string;
      try {
        signal = parseSignal(text!);
      } catch (err) {
        if (err instanceof GovError) throw new UsageError(`SIGNAL ${err.message}`);
        throw err;
      }
      return { signal, main: o.main === true, targets: requireTargets(readTargets(names, o), 'gov signal') };
    },
    call: async (api, { signal, main, targets }, out) => {
      const res = await api.control('signal', targets, undefined, { signal, main });
      const to = main ? 'its main process' : 'its process group';
      return printOutcomes(
        'signal',
        targets,
        res,
        out,
        { signal, main },
        (o) => `${signal} sent to ${to}${o.pid ? ` (pid ${o.pid})` : ''}`,
      );
    },
  });
}
