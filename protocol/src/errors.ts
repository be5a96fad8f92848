/**
 * Every open/verify in the protocol either returns content or throws a SealError
 * whose `code` says why, so a UI can show a reason instead of an image.
 */
export const ErrorCode = {
  NotRecipient: 'NOT_RECIPIENT',
  BadSignature: 'BAD_SIGNATURE',
  WrongDevice: 'WRONG_DEVICE',
  WrongStream: 'WRONG_STREAM',
  WrongEvent: 'WRONG_EVENT',
  WrongKind: 'WRONG_KIND',
  Stale: 'STALE',
  Replayed: 'REPLAYED',
  Truncated: 'TRUNCATED',
  Malformed: 'MALFORMED',
  UnsupportedVersion: 'UNSUPPORTED_VERSION',
  DecryptFailed: 'DECRYPT_FAILED',
  PairingFailed: 'PAIRING_FAILED',
  NotAuthorized: 'NOT_AUTHORIZED',
  Exhausted: 'EXHAUSTED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const explanations: Record<ErrorCode, string> = {
  NOT_RECIPIENT: 'you are not (or no longer) a recipient of this content',
  BAD_SIGNATURE: 'signature invalid',
  WRONG_DEVICE: 'this content is not from your camera',
  WRONG_STREAM: 'this content belongs to another stream',
  WRONG_EVENT: 'this content belongs to another event',
  WRONG_KIND: 'this content is of another kind than requested',
  STALE: 'this content is outside its validity window or key epoch',
  REPLAYED: 'this content was already seen (replayed or reordered)',
  TRUNCATED: 'this content is incomplete',
  MALFORMED: 'this content is malformed',
  UNSUPPORTED_VERSION: 'this content uses an unsupported protocol version',
  DECRYPT_FAILED: 'this content failed authentication (altered, or sealed for another context)',
  PAIRING_FAILED: 'pairing failed: wrong or expired code, or a substituted key',
  NOT_AUTHORIZED: 'the signer is not authorised for this action',
  EXHAUSTED: 'the key is exhausted and must be rotated',
};

export class SealError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, detail?: string) {
    super(detail ? `${explanations[code]}: ${detail}` : explanations[code]);
    this.name = 'SealError';
    this.code = code;
  }
}

export function explain(code: ErrorCode): string {
  return explanations[code];
}

export function fail(code: ErrorCode, detail?: string): never {
  throw new SealError(code, detail);
}
