// Original file: proto/governor/v1/admin.proto


export interface WatchNotice {
  /**
   * behind (the ring no longer holds `since`) | unknown_index (above the newest: the master restarted) |
   * dropped (this client read too slowly: the stream ends after this notice; resume from the last index
   * it received).
   */
  'reason'?: (string);
  /**
   * For people.
   */
  'message'?: (string);
  /**
   * Oldest and newest index the ring holds now.
   */
  'oldest'?: (number | string);
  'newest'?: (number | string);
}

export interface WatchNotice__Output {
  /**
   * behind (the ring no longer holds `since`) | unknown_index (above the newest: the master restarted) |
   * dropped (this client read too slowly: the stream ends after this notice; resume from the last index
   * it received).
   */
  'reason': (string);
  /**
   * For people.
   */
  'message': (string);
  /**
   * Oldest and newest index the ring holds now.
   */
  'oldest': (number);
  'newest': (number);
}
