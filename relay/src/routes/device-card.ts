import type { DeviceId, IdentityCard } from '@sealcam/protocol/relay-safe';
import type { RelayContext } from '../context.js';
import { unauthorized } from '../http/errors.js';

/** The device's public card, learned when it authenticated; verifies what the device uploads. */
export async function deviceCard(context: RelayContext, deviceId: DeviceId): Promise<IdentityCard> {
  const card = await context.card(deviceId);
  if (!card)
    throw unauthorized('reauthenticate', 'the relay no longer holds this identity card; authenticate again');
  return card;
}
