// Original file: proto/governor/v1/admin.proto


export interface AttachRequest {
  'agent'?: (string);
  'pid'?: (number);
  /**
   * Name the observed process is listed under (DESIGN name rules).
   */
  'name'?: (string);
}

export interface AttachRequest__Output {
  'agent': (string);
  'pid': (number);
  /**
   * Name the observed process is listed under (DESIGN name rules).
   */
  'name': (string);
}
