export type OutboxErrorCode = 'CORRUPT' | 'INVALID_ENTRY' | 'TOO_LARGE' | 'CLOSED';

/** Every error the outbox throws on purpose; `code` says which. Messages never contain content bytes. */
export class OutboxError extends Error {
  constructor(
    readonly code: OutboxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OutboxError';
  }
}

export type CorruptReason = 'TRUNCATED' | 'BAD_MAGIC' | 'UNSUPPORTED_VERSION' | 'CHECKSUM' | 'MALFORMED';

/** A queued-event file that cannot be trusted: torn, bit-flipped, or not an outbox file at all. */
export class OutboxCorruptError extends OutboxError {
  constructor(
    readonly reason: CorruptReason,
    detail: string,
  ) {
    super('CORRUPT', `corrupt outbox file (${reason}): ${detail}`);
    this.name = 'OutboxCorruptError';
  }
}

/** The caller handed put()/encode an entry that cannot be stored (bad id, stream id, counts...). */
export class OutboxInvalidEntryError extends OutboxError {
  constructor(detail: string) {
    super('INVALID_ENTRY', `invalid outbox entry: ${detail}`);
    this.name = 'OutboxInvalidEntryError';
  }
}

/** One entry alone is larger than the outbox's whole byte budget; nothing was stored or evicted. */
export class OutboxEntryTooLargeError extends OutboxError {
  constructor(
    readonly eventId: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super('TOO_LARGE', `event ${eventId} needs ${bytes} bytes, more than the outbox bound of ${maxBytes}`);
    this.name = 'OutboxEntryTooLargeError';
  }
}

export class OutboxClosedError extends OutboxError {
  constructor() {
    super('CLOSED', 'the outbox is closed');
    this.name = 'OutboxClosedError';
  }
}
