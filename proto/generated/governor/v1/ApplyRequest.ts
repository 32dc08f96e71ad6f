// Original file: proto/governor/v1/admin.proto


export interface ApplyRequest {
  /**
   * The handlers file's YAML text (DESIGN §7).
   */
  'yaml'?: (string);
  /**
   * File name for error messages.
   */
  'file_name'?: (string);
}

export interface ApplyRequest__Output {
  /**
   * The handlers file's YAML text (DESIGN §7).
   */
  'yaml': (string);
  /**
   * File name for error messages.
   */
  'file_name': (string);
}
