// Original file: proto/governor/v1/admin.proto


export interface AppliedHandler {
  /**
   * Handler name.
   */
  'name'?: (string);
  /**
   * Spec version after the apply (starts at 1; bumps when the spec changed).
   */
  'version'?: (number);
  /**
   * created | updated | unchanged.
   */
  'change'?: (string);
  /**
   * Agents the handler is assigned to.
   */
  'agents'?: (string)[];
}

export interface AppliedHandler__Output {
  /**
   * Handler name.
   */
  'name': (string);
  /**
   * Spec version after the apply (starts at 1; bumps when the spec changed).
   */
  'version': (number);
  /**
   * created | updated | unchanged.
   */
  'change': (string);
  /**
   * Agents the handler is assigned to.
   */
  'agents': (string)[];
}
