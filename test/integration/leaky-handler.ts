/** The leaking handler of the policy integration tests (test/fixtures/leak.mjs) with its one `leak` rule. */
import { fixture } from '../helpers/common.js';

export function leakyHandler(o: {
  mibPerS: number;
  above: string;
  smooth?: string;
}): Record<string, unknown> {
  return {
    name: 'leaky',
    agents: ['edge-1'],
    command: [process.execPath, fixture('leak.mjs')],
    env: { LEAK_MIB_PER_S: String(o.mibPerS), LEAK_MAX_MIB: '300' },
    policies: [
      {
        name: 'leak',
        when: { metric: 'rss', above: o.above, for: '0s', ...(o.smooth ? { smooth: o.smooth } : {}) },
        do: 'restart',
        cooldown: '15m',
      },
    ],
  };
}
