import {
  Codec,
  decodeLiveMessage,
  encodeLiveMessage,
  FrameOpener,
  FrameSealer,
  fromUtf8,
  type Identity,
  type IdentityCard,
  openManifest,
  utf8,
  WireType,
} from '@sealcam/protocol';
import type { LiveClient } from './relay-client.js';
import { manifestFor } from './world.js';

/** A device publishing one stream over its live connection: the manifest first, then frames. */
export function publishStream(
  device: LiveClient,
  identity: Identity,
  recipients: Identity[],
  streamId = 'cam-1',
) {
  const manifest = manifestFor(identity, recipients, streamId);
  const deviceId = identity.card.id;
  device.send(
    encodeLiveMessage({ type: WireType.LiveManifest, deviceId, streamId, payload: manifest.bytes }),
  );
  const sealer = new FrameSealer({ deviceId, streamId, epoch: 1, epochKey: manifest.epochKey });
  const message = (text: string, keyframe: boolean) =>
    encodeLiveMessage({
      type: WireType.LiveFrame,
      deviceId,
      streamId,
      payload: sealer.seal(utf8(text), { keyframe, codec: Codec.Jpeg }),
    });
  return {
    manifest,
    /** The encoded live message of the next frame, without sending it. */
    message,
    send(text: string, keyframe: boolean) {
      device.send(message(text, keyframe));
    },
  };
}

/** What a viewer does with live messages: manifests give keys, frames must open. Returns the frame texts. */
export function openLiveMessages(
  messages: Uint8Array[],
  viewer: Identity,
  device: IdentityCard,
  streamId = 'cam-1',
): string[] {
  const opener = new FrameOpener({ deviceId: device.id, streamId });
  const texts: string[] = [];
  for (const bytes of messages) {
    const message = decodeLiveMessage(bytes);
    if (message.type === WireType.LiveManifest) {
      const opened = openManifest(message.payload, {
        viewer,
        device,
        streamId: message.streamId,
        now: Date.now(),
      });
      const { epoch, notBefore, notAfter } = opened.manifest;
      opener.addEpoch({ epoch, epochKey: opened.epochKey, notBefore, notAfter });
    } else {
      texts.push(fromUtf8(opener.open(message.payload, Date.now()).payload));
    }
  }
  return texts;
}
