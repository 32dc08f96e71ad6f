// Original file: proto/governor/v1/admin.proto


/**
 * What a command acts on (DESIGN §6 TARGET): names and/or a set, narrowed by agents. Names are handler
 * names or instance keys (`web@edge-1`, `web#1@edge-1`). `all` and `selector` add every handler (whose
 * labels match all of `selector`); `agents` keeps only instances on those agents. Empty: nothing (read
 * commands then list everything).
 */
export interface TargetSet {
  'names'?: (string)[];
  'all'?: (boolean);
  /**
   * Handler labels (spec `labels:`), every pair must match.
   */
  'selector'?: ({[key: string]: string});
  'agents'?: (string)[];
}

/**
 * What a command acts on (DESIGN §6 TARGET): names and/or a set, narrowed by agents. Names are handler
 * names or instance keys (`web@edge-1`, `web#1@edge-1`). `all` and `selector` add every handler (whose
 * labels match all of `selector`); `agents` keeps only instances on those agents. Empty: nothing (read
 * commands then list everything).
 */
export interface TargetSet__Output {
  'names': (string)[];
  'all': (boolean);
  /**
   * Handler labels (spec `labels:`), every pair must match.
   */
  'selector': ({[key: string]: string});
  'agents': (string)[];
}
