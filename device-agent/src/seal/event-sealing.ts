import { EventSealer, type Identity, type IdentityCard, parseStreamId } from '@sealcam/protocol';
import type { OutboxEntry } from '../outbox/event-file.js';

/** What the agent recorded for one motion event, in plaintext, before sealing. */
export interface RecordedEvent {
  readonly cameraId: string;
  readonly start: number;
  readonly end: number;
  readonly score: number;
  /** A JPEG thumbnail, or null when none could be made. */
  readonly thumbnail: Uint8Array | null;
  /** Clip chunks in the clip container format (PROTOCOL.md §7.13), in order. */
  readonly chunks: readonly Uint8Array[];
  /** The record's clip description (codec, container type, frames), or null without a clip. */
  readonly clip: { readonly codec: number; readonly type: string; readonly frames: number } | null;
}

/** One event sealed for its recipients: the objects the relay stores, as the outbox keeps them. */
export type SealedEvent = OutboxEntry;

/**
 * Seals an event under its own fresh key (the protocol's EventSealer wipes it in finish()). The
 * recipients are the device's own viewer list at this moment, never a list from the relay.
 */
export function sealRecordedEvent(
  device: Identity,
  event: RecordedEvent,
  recipients: readonly IdentityCard[],
  now = Date.now(),
): SealedEvent {
  const sealer = new EventSealer({ device, streamId: event.cameraId, padding: 'padme' });
  const thumbnail = event.thumbnail ? sealer.sealThumbnail(event.thumbnail, 'image/jpeg') : undefined;
  const chunks = event.chunks.map((chunk, index) =>
    sealer.sealClipChunk(chunk, index === event.chunks.length - 1),
  );
  const envelope = sealer.finish(
    {
      kind: 'motion',
      start: event.start,
      end: event.end,
      score: event.score,
      ...(chunks.length > 0 && event.clip ? { clip: event.clip } : {}),
    },
    recipients,
  );
  return {
    eventId: sealer.eventId,
    streamId: parseStreamId(event.cameraId),
    createdAt: now,
    ...(thumbnail ? { thumbnail } : {}),
    chunks,
    envelope,
  };
}
