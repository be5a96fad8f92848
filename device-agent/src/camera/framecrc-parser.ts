/**
 * Reads ffmpeg's `-f framecrc` output: header lines describe each output stream (`#tb 0: 1/90000`,
 * `#codec_id 0: h264`, `#dimensions 0: 320x240`, `#sample_rate 1: 8000`), then one line per packet in
 * the order ffmpeg muxed them: `stream, dts, pts, duration, size, crc[, F=0x<flags>][, S=…]`. A
 * packet line without `F=` has exactly the key flag; with it, bit 0 is the key flag.
 */
export interface FramecrcStream {
  timeBase?: { num: number; den: number };
  mediaType?: string;
  codec?: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channelLayout?: string;
}

export interface FramecrcPacket {
  readonly stream: number;
  readonly dts: number;
  readonly pts: number;
  readonly duration: number;
  readonly size: number;
  readonly keyframe: boolean;
}

const MAX_LINE = 4096;

export class FramecrcParser {
  readonly streams = new Map<number, FramecrcStream>();
  private pending = '';

  constructor(
    private readonly onPacket: (packet: FramecrcPacket) => void,
    private readonly onError: (message: string) => void,
  ) {}

  push(text: string): void {
    this.pending += text;
    for (;;) {
      const end = this.pending.indexOf('\n');
      if (end < 0) break;
      const line = this.pending.slice(0, end).trim();
      this.pending = this.pending.slice(end + 1);
      if (line) this.line(line);
    }
    if (this.pending.length > MAX_LINE) {
      this.pending = '';
      this.onError('framecrc: line too long');
    }
  }

  reset(): void {
    this.pending = '';
    this.streams.clear();
  }

  private stream(index: number): FramecrcStream {
    const known = this.streams.get(index);
    if (known) return known;
    const stream: FramecrcStream = {};
    this.streams.set(index, stream);
    return stream;
  }

  private line(line: string): void {
    const header = /^#(\w+) (\d+):\s*(.*)$/.exec(line);
    if (header) {
      const [, key, index, value = ''] = header;
      const stream = this.stream(Number(index));
      if (key === 'tb') {
        const [num, den] = value.split('/').map(Number);
        if (num && den) stream.timeBase = { num, den };
      } else if (key === 'media_type') stream.mediaType = value;
      else if (key === 'codec_id') stream.codec = value;
      else if (key === 'dimensions') {
        const [width = 0, height = 0] = value.split('x').map(Number);
        stream.width = width;
        stream.height = height;
      } else if (key === 'sample_rate') stream.sampleRate = Number(value);
      else if (key === 'channel_layout_name') stream.channelLayout = value;
      return;
    }
    if (line.startsWith('#')) return;
    const fields = line.split(',').map((field) => field.trim());
    const numbers = fields.slice(0, 5).map(Number);
    if (fields.length < 6 || numbers.some((n) => !Number.isFinite(n))) {
      this.onError(`framecrc: unexpected line "${line.slice(0, 80)}"`);
      return;
    }
    const flags = fields.find((field) => field.startsWith('F='));
    const keyframe = flags === undefined || (Number.parseInt(flags.slice(2), 16) & 1) === 1;
    const [stream, dts, pts, duration, size] = numbers as [number, number, number, number, number];
    this.onPacket({ stream, dts, pts, duration, size, keyframe });
  }
}
