import { send } from '../../bench/abuse/net.js';

/** A binary POST with a session token from a chosen loopback source address (fetch cannot bind one). */
export async function postFrom(
  base: string,
  localAddress: string,
  path: string,
  token: string,
  body: Uint8Array,
): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const { status, json, error } = await send(base, path, { method: 'POST', token, body, localAddress });
  if (status === 0) throw new Error(`POST ${path} failed: ${String(error)}`);
  return { status, json };
}
