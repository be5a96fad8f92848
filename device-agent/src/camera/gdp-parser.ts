/**
 * Reads GStreamer's GDP (`gdppay`, GStreamer Data Protocol 1.0) from a pipe: each packet is a
 * 62-byte header and a payload. Header, big-endian: version 1.0 (bytes 0–1), flags (2), payload
 * type (4–5: 1 a buffer, 2 caps, 64 and up an event), payload length (6–9), PTS (10–17), duration
 * (18–25), offset (26–33), offset end (34–41), buffer flags (42–43), DTS (44–51), CRCs (58–61).
 * A time of all ones is GStreamer's "none". Only buffers and caps are handed on; events are skipped.
 */
export interface GdpBuffer {
  /** Presentation time in nanoseconds, null when the buffer has none. */
  readonly ptsNs: number | null;
  readonly durationNs: number | null;
  /** GstBufferFlags: DELTA_UNIT (0x2000) marks a frame that is not a keyframe. */
  readonly flags: number;
  readonly payload: Buffer;
}

export const GDP_HEADER_BYTES = 62;
export const GDP_DELTA_UNIT = 0x2000;
const TYPE_BUFFER = 1;
const TYPE_CAPS = 2;
const NONE = 0xffff_ffff_ffff_ffffn;

export class GdpParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Out of step after a fault: nothing is parsed until `reset`. */
  private broken = false;

  constructor(
    private readonly handlers: {
      readonly onBuffer: (buffer: GdpBuffer) => void;
      /** The caps string, e.g. `video/x-h264, width=(int)1920, …`. */
      readonly onCaps?: (caps: string) => void;
      readonly onError: (message: string) => void;
    },
    /** A larger payload is a fault (as is another version): nothing more is parsed until reset. */
    private readonly maxPayloadBytes: number,
  ) {}

  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.broken = false;
  }

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= GDP_HEADER_BYTES) {
      const header = this.peek(GDP_HEADER_BYTES);
      if (header[0] !== 1 || header[1] !== 0) {
        this.fault(`GDP: unknown version ${header[0]}.${header[1]} (stream out of step)`);
        return;
      }
      const length = header.readUInt32BE(6);
      if (length > this.maxPayloadBytes) {
        this.fault(`GDP: a packet of ${length} bytes exceeds ${this.maxPayloadBytes}`);
        return;
      }
      if (this.buffered < GDP_HEADER_BYTES + length) return;
      const packet = this.take(GDP_HEADER_BYTES + length);
      const payload = packet.subarray(GDP_HEADER_BYTES);
      const type = header.readUInt16BE(4);
      if (type === TYPE_BUFFER) {
        this.handlers.onBuffer({
          ptsNs: time(header.readBigUInt64BE(10)),
          durationNs: time(header.readBigUInt64BE(18)),
          flags: header.readUInt16BE(42),
          payload,
        });
      } else if (type === TYPE_CAPS) {
        this.handlers.onCaps?.(payload.toString('latin1').replace(/\0+$/, ''));
      }
    }
  }

  private fault(message: string): void {
    this.reset();
    this.broken = true;
    this.handlers.onError(message);
  }

  /** The first `n` buffered bytes; chunks are joined (once) only when a header spans them. */
  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}

function time(value: bigint): number | null {
  return value === NONE ? null : Number(value);
}

/** An integer field of a caps string (`width=(int)1920`), or undefined. */
export function capsInt(caps: string, field: string): number | undefined {
  const match = new RegExp(`\\b${field}=\\(int\\)(\\d+)`).exec(caps);
  return match ? Number(match[1]) : undefined;
}
