import { ViewerError } from '../../src/sdk/index.js';

/**
 * How the UI tells failures apart. `verification`: content or a key did not verify (an alarm: it
 * was not shown). `availability`: the relay is unreachable or refused (no grant, revoked): nothing
 * is wrong with the content, it just is not there. `error`: a bug or an unexpected failure here.
 * Pure (no DOM).
 */
export type NoticeKind = 'verification' | 'availability' | 'error';

export interface Notice {
  readonly kind: NoticeKind;
  /** A sentence to show as it is. */
  readonly message: string;
  /** The SDK's reason code (or INTERNAL). */
  readonly reason: string;
}

export function describeError(error: unknown): Notice {
  if (error instanceof ViewerError) {
    return {
      kind: error.verificationFailure && !isNotSharedWithYou(error) ? 'verification' : 'availability',
      message: error.userMessage,
      reason: error.reason,
    };
  }
  return {
    kind: 'error',
    message: 'Something went wrong in this viewer. Reload the page to try again.',
    reason: 'INTERNAL',
  };
}

/**
 * True when the failure means "not verified, not shown" (the alarm), as opposed to unavailable or
 * not shared with this viewer (see isNotSharedWithYou).
 */
export function isVerificationFailure(error: unknown): error is ViewerError {
  return error instanceof ViewerError && error.verificationFailure && !isNotSharedWithYou(error);
}

/** Pairing gave up because the camera did not answer in time (not a verification failure). */
export function pairingTimedOut(error: unknown): boolean {
  return error instanceof ViewerError && error.reason === 'TIMEOUT';
}

/**
 * "Your camera's own content, not sealed for you": an event record or key manifest that carries
 * the camera's valid signature and the right ids, but no key for this viewer — recorded before the
 * camera was shared with it, or after its access ended. The protocol checks signature and ids
 * before it looks for this viewer's key, so this is a matter of access, not a sign of tampering.
 * (A live frame without a key is different: a frame misdelivered from another camera looks the
 * same, so frames are not covered here.)
 */
export function isNotSharedWithYou(error: unknown): boolean {
  return (
    error instanceof ViewerError &&
    error.reason === 'NOT_RECIPIENT' &&
    (error.subject === 'event' || error.subject === 'manifest')
  );
}
