import type { FramecrcPacket } from './framecrc-parser.js';

/**
 * Pairs a byte stream of concatenated packets (ffmpeg's `-f h264` on stdout) with the per-packet
 * lines of a `-f framecrc` output of the same packets (another pipe): the n-th line gives the n-th
 * packet's size, so the bytes are cut exactly where ffmpeg's packets end. The two pipes arrive in
 * any interleaving; whichever is ahead waits for the other, within bounds.
 */
export class PacketPairer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly packets: FramecrcPacket[] = [];

  constructor(
    private readonly onPacket: (packet: FramecrcPacket, data: Uint8Array) => void,
    private readonly onError: (message: string) => void,
    /** Bytes held while waiting for a framecrc line (or the rest of a packet). */
    private readonly maxBytes: number,
  ) {}

  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.packets.length = 0;
  }

  pushBytes(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.drain();
  }

  pushPacket(packet: FramecrcPacket): void {
    this.packets.push(packet);
    this.drain();
  }

  private drain(): void {
    while (this.packets.length > 0 && this.buffered >= this.packets[0]!.size) {
      const packet = this.packets.shift()!;
      this.onPacket(packet, this.take(packet.size));
    }
    if (this.buffered > this.maxBytes || this.packets.length > 10_000) {
      this.reset();
      this.onError(
        `the elementary stream and its packet list disagree (more than ${this.maxBytes} bytes waiting)`,
      );
    }
  }

  private take(size: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length >= size) {
      const out = Uint8Array.from(first.subarray(0, size));
      if (first.length === size) this.chunks.shift();
      else this.chunks[0] = first.subarray(size);
      this.buffered -= size;
      return out;
    }
    const out = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const chunk = this.chunks[0]!;
      const n = Math.min(size - filled, chunk.length);
      out.set(chunk.subarray(0, n), filled);
      filled += n;
      if (n === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(n);
    }
    this.buffered -= size;
    return out;
  }
}
