import type { RelayReason } from '@sealcam/protocol/relay-safe';

/** An error with an HTTP status and a reason from the relay's closed registry. Never carries content bytes. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: RelayReason,
    message: string,
    readonly retryAfterSeconds?: number,
    /** A scheduled return (Admission): the seconds after Retry-After to spread it over. */
    readonly retrySpreadSeconds?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (reason: RelayReason, message: string) => new HttpError(400, reason, message);
export const unauthorized = (reason: RelayReason, message: string) => new HttpError(401, reason, message);
export const forbidden = (reason: RelayReason, message: string) => new HttpError(403, reason, message);
export const notFound = (message: string, reason: RelayReason = 'not-found') =>
  new HttpError(404, reason, message);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
export const tooMany = (
  retryAfterSeconds: number,
  reason: RelayReason = 'rate-limited',
  message = 'too many requests',
) => new HttpError(429, reason, message, retryAfterSeconds);
export const unavailable = (
  reason: RelayReason,
  message: string,
  retryAfterSeconds: number,
  retrySpreadSeconds?: number,
) => new HttpError(503, reason, message, retryAfterSeconds, retrySpreadSeconds);
export const insufficientStorage = (reason: RelayReason, message: string, retryAfterSeconds: number) =>
  new HttpError(507, reason, message, retryAfterSeconds);
