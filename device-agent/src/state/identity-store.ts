import { createIdentity, exportIdentity, type Identity, importIdentity, Role } from '@sealcam/protocol';
import { AgentError } from '../errors.js';
import type { StatePaths } from './paths.js';
import { ensurePrivateDir, readOptional, writePrivateFile } from './secret-file.js';

/** Creates the device identity once; refuses to overwrite an existing one. */
export async function createDeviceIdentity(paths: StatePaths): Promise<Identity> {
  await ensurePrivateDir(paths.root);
  if (await readOptional(paths.identity))
    throw new AgentError('ALREADY_INITIALISED', `a device identity already exists in ${paths.root}`);
  const identity = createIdentity(Role.Device);
  await writePrivateFile(paths.identity, exportIdentity(identity));
  return identity;
}

export async function loadDeviceIdentity(paths: StatePaths): Promise<Identity> {
  const bytes = await readOptional(paths.identity);
  if (!bytes)
    throw new AgentError('NOT_INITIALISED', `no device identity in ${paths.root}: run "sealcam-agent init"`);
  const identity = importIdentity(new Uint8Array(bytes));
  if (identity.card.role !== Role.Device)
    throw new AgentError('BAD_STATE', `${paths.identity} holds a viewer identity, not a device identity`);
  return identity;
}
