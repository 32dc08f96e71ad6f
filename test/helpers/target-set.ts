/** A TargetSet with the given fields, the others empty (tests of the TARGET syntax and its resolution). */
import type { TargetSet } from '../../shared/targets.js';

export const set = (over: Partial<TargetSet> = {}): TargetSet => ({
  names: [],
  all: false,
  selector: {},
  agents: [],
  ...over,
});
