import { type ErrorCode, type RelayReason, SealError } from '@sealcam/protocol';
import { RelayError } from '@sealcam/relay-client';

/** What was being opened or done when something was refused. */
export type Subject =
  | 'frame'
  | 'manifest'
  | 'clock'
  | 'event'
  | 'thumbnail'
  | 'clip'
  | 'pairing'
  | 'share'
  | 'relay';

/** Why: the protocol's reason codes, plus the relay's refusals and local conditions. */
export type ViewerReason =
  | ErrorCode
  | 'NO_GRANT'
  | 'REVOKED'
  | 'RELAY_ERROR'
  | 'UNREACHABLE'
  | 'NOT_PAIRED'
  | 'INVALID_CODE'
  | 'TIMEOUT'
  | 'NO_KEY_YET'
  | 'UNSUPPORTED_MEDIA'
  | 'ROLLBACK'
  | 'INVALID_NAME'
  | 'NO_SUCH_CAMERA'
  | 'DISTRUSTED';

const damaged = (what: string) => `This ${what} is damaged or is not what was asked for.`;

const messages: Record<ViewerReason, (what: string) => string> = {
  WRONG_DEVICE: (what) => `This ${what} is not from your camera.`,
  WRONG_EVENT: (what) => `This ${what} belongs to another event.`,
  WRONG_STREAM: (what) => `This ${what} is from another camera stream.`,
  WRONG_KIND: damaged,
  BAD_SIGNATURE: (what) => `Signature invalid: this ${what} was not signed by your camera.`,
  NOT_RECIPIENT: () => 'You are no longer a recipient of this camera (or were never one).',
  DECRYPT_FAILED: (what) => `This ${what} could not be decrypted: it was altered or is not for you.`,
  STALE: (what) => `This ${what} is out of date (an old key, or a wrong clock).`,
  REPLAYED: (what) => `This ${what} was replayed.`,
  TRUNCATED: damaged,
  MALFORMED: damaged,
  UNSUPPORTED_VERSION: (what) => `This ${what} uses a protocol version this viewer does not know.`,
  PAIRING_FAILED: () =>
    'Pairing failed: the camera key did not match the code (someone may be in the middle).',
  NOT_AUTHORIZED: () => 'Not authorised.',
  EXHAUSTED: () => 'Limit reached.',
  NO_GRANT: () => 'The relay has no grant for you on this camera.',
  REVOKED: () => 'Your access to this camera was revoked.',
  RELAY_ERROR: () => 'The relay refused the request.',
  UNREACHABLE: () => 'The relay cannot be reached.',
  NOT_PAIRED: () => 'This camera is not paired with this viewer.',
  INVALID_CODE: () => 'That code is not valid: check it was copied completely.',
  TIMEOUT: () => 'The camera did not answer in time: is its agent running "pair"?',
  NO_KEY_YET: () => "Waiting for this stream's key: no valid key manifest has arrived yet.",
  UNSUPPORTED_MEDIA: (what) => `This ${what} is in a format this viewer cannot play.`,
  ROLLBACK: () =>
    "This is an older list of the camera's viewers than one already seen: the relay is serving a stale copy.",
  INVALID_NAME: () =>
    'That name cannot be used: 1 to 64 bytes, no control characters, no space at either end.',
  NO_SUCH_CAMERA: () => 'The device names no such camera.',
  DISTRUSTED: () =>
    'The safety numbers differ: this viewer no longer uses this camera. Remove it and pair again with a fresh code.',
};

const NOT_VERIFICATION: readonly ViewerReason[] = [
  'NO_GRANT',
  'REVOKED',
  'RELAY_ERROR',
  'UNREACHABLE',
  'NOT_PAIRED',
  'INVALID_CODE',
  'TIMEOUT',
  'NO_KEY_YET',
  'UNSUPPORTED_MEDIA',
  'INVALID_NAME',
  'NO_SUCH_CAMERA',
  'DISTRUSTED',
];

/**
 * Every refusal the SDK reports: a reason code for programs, the subject, and a sentence a UI can
 * show as it is. A ViewerError means nothing was shown: the content did not verify.
 */
export class ViewerError extends Error {
  readonly userMessage: string;

  constructor(
    readonly reason: ViewerReason,
    readonly subject: Subject,
    /** Technical detail for logs (ids, the protocol's explanation); never content. */
    readonly detail?: string,
    /** HTTP status from the relay, when it refused. */
    readonly status?: number,
    /** The relay's registered reason, when it refused (null: none, or one this version does not know). */
    readonly relayReason: RelayReason | null = null,
  ) {
    const userMessage = messages[reason](subject);
    super(detail ? `${userMessage} (${detail})` : userMessage);
    this.name = 'ViewerError';
    this.userMessage = userMessage;
  }

  /** True when the content itself failed verification (as opposed to the relay being unavailable). */
  get verificationFailure(): boolean {
    return !NOT_VERIFICATION.includes(this.reason);
  }
}

/** Runs `open`; a SealError becomes a ViewerError about `subject`. */
export function verifying<T>(subject: Subject, open: () => T): T {
  try {
    return open();
  } catch (error) {
    throw aboutSubject(error, subject);
  }
}

/** verifying, for an asynchronous open. */
export async function verifyingAsync<T>(subject: Subject, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw aboutSubject(error, subject);
  }
}

/** A SealError as a ViewerError about `subject`; anything else as it is. */
function aboutSubject(error: unknown, subject: Subject): unknown {
  return error instanceof SealError ? new ViewerError(error.code, subject, error.message) : error;
}

/** The SDK's reason for a relay's refusal, by its registered reason. */
export function viewerReasonOf(relayReason: RelayReason | null): ViewerReason {
  if (relayReason === 'no-grant') return 'NO_GRANT';
  if (relayReason === 'grant-revoked') return 'REVOKED';
  return 'RELAY_ERROR';
}

/** A RelayError from the relay client becomes a ViewerError about the relay; anything else passes. */
export function viewerErrorFrom(error: unknown): unknown {
  if (!(error instanceof RelayError)) return error;
  const reason = error.kind === 'unreachable' ? 'UNREACHABLE' : viewerReasonOf(error.reason);
  return new ViewerError(reason, 'relay', error.message, error.status || undefined, error.reason);
}
