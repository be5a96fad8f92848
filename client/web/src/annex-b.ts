/**
 * Reads what the web viewer needs from an Annex B access unit (PROTOCOL.md §6.7): where its NAL
 * units are, its parameter sets, and the WebCodecs codec string from its SPS. Pure (no DOM); it
 * never decodes pictures, the browser's decoder does.
 */

export const CODEC_H264 = 2;
export const CODEC_H265 = 3;

export interface NalUnit {
  /** The NAL unit's bytes from its header byte, without the start code. */
  readonly bytes: Uint8Array;
  /** nal_unit_type (H.264: 5 bits; H.265: 6 bits). */
  readonly type: number;
}

/** The NAL units of an Annex B unit (start codes 00 00 01 or 00 00 00 01). */
export function nalUnits(unit: Uint8Array, codec: number): NalUnit[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < unit.length; i++) {
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((start, index) => {
    let end = index + 1 < starts.length ? (starts[index + 1] as number) - 3 : unit.length;
    // The zero byte of a four-byte start code and trailing zeros belong to no NAL unit.
    while (end > start && unit[end - 1] === 0) end--;
    const header = unit[start] ?? 0;
    return {
      bytes: unit.subarray(start, end),
      type: codec === CODEC_H265 ? (header >> 1) & 0x3f : header & 0x1f,
    };
  });
}

const H264_SPS = 7;
const H264_PPS = 8;
const H265_VPS = 32;
const H265_SPS = 33;
const H265_PPS = 34;

/** The NAL payload without emulation prevention bytes (00 00 03 → 00 00). */
function rbsp(bytes: Uint8Array, limit: number): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (let i = 0; i < bytes.length && out.length < limit; i++) {
    const byte = bytes[i] as number;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out.push(byte);
  }
  return Uint8Array.from(out);
}

const hex2 = (value: number) => value.toString(16).padStart(2, '0');

/**
 * The parameter sets of a unit (VPS/SPS/PPS), concatenated: a keyframe whose sets differ from the
 * ones the decoder was configured with is a reconfiguration (new resolution, profile, …).
 * Empty when the unit carries none.
 */
export function parameterSets(unit: Uint8Array, codec: number): Uint8Array {
  const types = codec === CODEC_H265 ? [H265_VPS, H265_SPS, H265_PPS] : [H264_SPS, H264_PPS];
  const sets = nalUnits(unit, codec).filter((nal) => types.includes(nal.type));
  const out = new Uint8Array(sets.reduce((sum, nal) => sum + nal.bytes.length + 4, 0));
  let offset = 0;
  for (const nal of sets) {
    new DataView(out.buffer).setUint32(offset, nal.bytes.length);
    out.set(nal.bytes, offset + 4);
    offset += nal.bytes.length + 4;
  }
  return out;
}

/** RFC 6381 "avc1.PPCCLL" from the unit's SPS (profile_idc, constraint flags, level_idc). */
export function avcCodecString(unit: Uint8Array): string | null {
  const sps = nalUnits(unit, CODEC_H264).find((nal) => nal.type === H264_SPS);
  if (!sps) return null;
  const body = rbsp(sps.bytes.subarray(1), 3);
  if (body.length < 3) return null;
  return `avc1.${hex2(body[0] as number)}${hex2(body[1] as number)}${hex2(body[2] as number)}`;
}

/**
 * ISO/IEC 14496-15 "hvc1.…" from the unit's SPS profile_tier_level, e.g. "hvc1.1.6.L93.B0": profile
 * space and idc, compatibility flags (bit-reversed), tier and level, constraint bytes without
 * trailing zeros.
 */
export function hevcCodecString(unit: Uint8Array): string | null {
  const sps = nalUnits(unit, CODEC_H265).find((nal) => nal.type === H265_SPS);
  if (!sps) return null;
  // After the two-byte NAL header: 1 byte (VPS id, max sub-layers, nesting), then 12 bytes of PTL.
  const body = rbsp(sps.bytes.subarray(2), 13);
  if (body.length < 13) return null;
  const first = body[1] as number;
  const space = first >> 6;
  const tier = (first >> 5) & 1;
  const profile = first & 0x1f;
  let flags = 0;
  for (let i = 0; i < 4; i++) flags = (flags << 8) | (body[2 + i] as number);
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) reversed = (reversed << 1) | ((flags >>> bit) & 1);
  const constraints = Array.from(body.subarray(6, 12));
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const level = body[12] as number;
  return [
    'hvc1',
    `${space === 0 ? '' : String.fromCharCode(64 + space)}${profile}`,
    (reversed >>> 0).toString(16),
    `${tier ? 'H' : 'L'}${level}`,
    ...constraints.map((byte) => byte.toString(16).toUpperCase()),
  ].join('.');
}

/** The codec string of a keyframe for its codec, or null when it has no SPS. */
export function codecStringOf(unit: Uint8Array, codec: number): string | null {
  return codec === CODEC_H265 ? hevcCodecString(unit) : avcCodecString(unit);
}

/** Human name of a timed video codec, for messages. */
export function codecName(codec: number): string {
  return codec === CODEC_H265 ? 'H.265' : codec === CODEC_H264 ? 'H.264' : `codec ${codec}`;
}
