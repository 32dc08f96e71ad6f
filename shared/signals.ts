/**
 * One rule for which signal names Governor accepts (gov signal, the agent's SIGNAL command, a spec's
 * stop_signal): a name from this platform's os.constants.signals, with or without the `SIG` prefix, in any
 * case (`HUP`, `sighup`, `SIGHUP`). Numbers are refused: their meaning differs between platforms and a
 * typo in one signals something else.
 */
import { constants as osConstants } from 'node:os';
import { ValidationError } from './errors.js';

/** Every signal name this platform knows, `SIG`-prefixed (SIGHUP, SIGINT, …), in the platform's order. */
export const SIGNAL_NAMES: readonly NodeJS.Signals[] = Object.freeze(
  Object.keys(osConstants.signals) as NodeJS.Signals[],
);

const KNOWN = new Set<string>(SIGNAL_NAMES);

/** The canonical `SIG…` name for `text`, or undefined when it is not one (numbers are not). */
export function signalNameOf(text: unknown): NodeJS.Signals | undefined {
  if (typeof text !== 'string') return undefined;
  const upper = text.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return KNOWN.has(name) ? (name as NodeJS.Signals) : undefined;
}

/** Why `text` is refused as a signal name (names the text and a few valid names). */
export function signalRefusal(text: unknown): string {
  return (
    `${JSON.stringify(text)} is not a signal name (use a name such as HUP, USR1, USR2, TERM, INT, QUIT, ` +
    'with or without SIG; numbers are not accepted)'
  );
}

/**
 * The canonical `SIG…` name for `text` (`HUP`, `sighup` and `SIGHUP` all give `SIGHUP`); throws a
 * ValidationError naming the text when it is not a signal name of this platform.
 */
export function parseSignal(text: string): NodeJS.Signals {
  const name = signalNameOf(text);
  if (name === undefined) throw new ValidationError(signalRefusal(text), { fields: ['signal'] });
  return name;
}

const NAME_BY_NUMBER = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** The `SIG…` name of signal number `n` on this platform, or undefined when it has none. */
export function signalNameByNumber(n: number): NodeJS.Signals | undefined {
  return NAME_BY_NUMBER.get(n);
}
