import { type DeviceId, ID_BYTES, type StreamId } from '@sealcam/protocol/relay-safe';
import { streamKeyOf } from './fan-out.js';

/** Offset of the stream id length in a live message: type (1) + device id (16). */
export const STREAM_LENGTH_OFFSET = 1 + ID_BYTES;

export interface KnownStream {
  readonly bytes: Buffer;
  readonly streamId: StreamId;
  readonly streamKey: string;
  /** A manifest of this stream was accepted on this connection: only then are keyframes cached. */
  manifest: boolean;
}

/**
 * The stream ids one device publishes, remembered by their raw bytes, so the per-frame path
 * recognises a known stream with one native comparison instead of decoding and validating text.
 * A new stream goes through the full decoder once (see DeviceIntake.onMessage).
 */
export class StreamCache {
  private readonly known: KnownStream[] = [];

  constructor(
    private readonly deviceId: DeviceId,
    private readonly limit = 64,
  ) {}

  /** The known stream whose id bytes are in `message` at the stream id position, or null. */
  find(message: Buffer): KnownStream | null {
    const length = message[STREAM_LENGTH_OFFSET];
    if (length === undefined) return null;
    const start = STREAM_LENGTH_OFFSET + 1;
    for (const stream of this.known) {
      if (
        stream.bytes.length === length &&
        message.compare(stream.bytes, 0, length, start, start + length) === 0
      ) {
        return stream;
      }
    }
    return null;
  }

  /** The stream, added if new; null when the device already publishes `limit` streams. */
  remember(streamId: StreamId): KnownStream | null {
    const existing = this.known.find((stream) => stream.streamId === streamId);
    if (existing) return existing;
    if (this.known.length >= this.limit) return null;
    const stream: KnownStream = {
      bytes: Buffer.from(streamId, 'utf8'),
      streamId,
      streamKey: streamKeyOf(this.deviceId, streamId),
      manifest: false,
    };
    this.known.push(stream);
    return stream;
  }
}
