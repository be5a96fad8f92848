/** WebSocket close codes the relay uses; the reason text says why (and, for 4503, when to retry). */
export const Close = {
  Normal: 1000,
  GoingAway: 1001,
  BadMessage: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  Replaced: 4409,
  RateLimited: 4429,
  OverCapacity: 4503,
} as const;

/** Close reasons must fit in 123 bytes. */
export function reason(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
