/** An error with an HTTP status and a reason the client can show. Never carries content bytes. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (reason: string, message: string) => new HttpError(400, reason, message);
export const unauthorized = (reason: string, message: string) => new HttpError(401, reason, message);
export const forbidden = (reason: string, message: string) => new HttpError(403, reason, message);
export const notFound = (message: string) => new HttpError(404, 'not-found', message);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
export const tooLarge = (message: string) => new HttpError(413, 'too-large', message);
export const tooMany = (retryAfterSeconds: number) =>
  new HttpError(429, 'rate-limited', 'too many requests', retryAfterSeconds);
export const unavailable = (reason: string, message: string, retryAfterSeconds: number) =>
  new HttpError(503, reason, message, retryAfterSeconds);
