// Original file: proto/governor/v1/spec.proto


/**
 * A list of names whose absence differs from an empty list.
 */
export interface NameList {
  'names'?: (string)[];
}

/**
 * A list of names whose absence differs from an empty list.
 */
export interface NameList__Output {
  'names': (string)[];
}
