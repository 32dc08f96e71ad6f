// Original file: proto/governor/v1/agent_link.proto


export interface ExecWindow {
  'rows'?: (number);
  'cols'?: (number);
}

export interface ExecWindow__Output {
  'rows': (number);
  'cols': (number);
}
