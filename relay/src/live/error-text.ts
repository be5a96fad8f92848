import { SealError } from '@sealcam/protocol/relay-safe';

/** An error's text for a log line (never content bytes: protocol errors carry codes and messages). */
export function errorText(error: unknown): string {
  if (error instanceof SealError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
