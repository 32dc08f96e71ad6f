// Original file: proto/governor/v1/admin.proto


export interface ClearExecutionsRequest {
}

export interface ClearExecutionsRequest__Output {
}
