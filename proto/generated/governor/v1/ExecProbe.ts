// Original file: proto/governor/v1/spec.proto


/**
 * The argv of an exec probe.
 */
export interface ExecProbe {
  'argv'?: (string)[];
}

/**
 * The argv of an exec probe.
 */
export interface ExecProbe__Output {
  'argv': (string)[];
}
