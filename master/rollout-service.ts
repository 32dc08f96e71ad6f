/** Rollout RPCs of the Admin service (DESIGN §5). */
import type { AdminHandlers } from '../proto/generated/governor/v1/Admin.js';
import { GovError } from '../shared/errors.js';
import { unary } from './unary.js';
import type { Fleet } from './fleet.js';

type RolloutRpcs = Pick<
  AdminHandlers,
  'StartRollout' | 'GetRollout' | 'ListRollouts' | 'PauseRollout' | 'ResumeRollout' | 'AbortRollout'
>;

export function rolloutHandlers(_fleet: Fleet): RolloutRpcs {
  const notYet = unary<unknown, never>(async () => {
    throw new GovError('FAILED_PRECONDITION', 'rollouts are not available in this master version');
  });
  return {
    StartRollout: notYet,
    GetRollout: notYet,
    ListRollouts: notYet,
    PauseRollout: notYet,
    ResumeRollout: notYet,
    AbortRollout: notYet,
  };
}
