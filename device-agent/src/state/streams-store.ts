import { fromBase64Url, toBase64Url } from '@sealcam/protocol';
import { AgentError } from '../errors.js';
import type { StatePaths } from './paths.js';
import { readOptional, writePrivateFile } from './secret-file.js';

/**
 * The last key manifest of each stream. Manifests are public (keys inside are wrapped), so keeping
 * them costs nothing; it lets a restarted agent continue each stream's epoch chain (epoch + 1,
 * previous hash) so viewers never see an epoch go backwards. Epoch keys are never written.
 */
export type StreamManifests = Map<string, Uint8Array>;

export async function loadStreamManifests(paths: StatePaths): Promise<StreamManifests> {
  const text = await readOptional(paths.streams);
  const result: StreamManifests = new Map();
  if (!text) return result;
  try {
    const file = JSON.parse(text.toString('utf8')) as { v: 1; manifests: Record<string, string> };
    for (const [stream, manifest] of Object.entries(file.manifests))
      result.set(stream, fromBase64Url(manifest));
  } catch (error) {
    throw new AgentError('BAD_STATE', `${paths.streams} is unreadable (${(error as Error).message})`);
  }
  return result;
}

export async function saveStreamManifests(paths: StatePaths, manifests: StreamManifests): Promise<void> {
  const file = { v: 1, manifests: Object.fromEntries([...manifests].map(([s, m]) => [s, toBase64Url(m)])) };
  await writePrivateFile(paths.streams, `${JSON.stringify(file, null, 2)}\n`);
}
