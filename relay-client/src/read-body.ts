import { concat } from '@sealcam/protocol';
import { RelayError } from './relay-error.js';

/** Reads a response body, refusing (without buffering it) one larger than `limit` bytes. */
export async function readCapped(response: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(response.status, `relay answer of ${declared} bytes refused`);
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    let part: ReadableStreamReadResult<Uint8Array>;
    try {
      part = await reader.read();
    } catch (error) {
      throw new RelayError({
        kind: 'unreachable',
        status: response.status,
        message: `relay answer cut off: ${(error as Error).message}`,
      });
    }
    if (part.done) break;
    total += part.value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(response.status, `relay answer above ${limit} bytes refused`);
    }
    chunks.push(part.value);
  }
  return chunks.length === 1 ? chunks[0]! : concat(...chunks);
}

function tooLarge(status: number, message: string): RelayError {
  return new RelayError({ kind: 'too-large', status, message });
}
