import { nalPositions } from '@sealcam/protocol';

/** NAL unit types (H.264 Table 7-1) that the passthrough path looks at. */
export const NAL_IDR = 5;
export { NAL_PPS, NAL_SPS } from '@sealcam/protocol';
export const NAL_AUD = 9;

export interface NalUnit {
  readonly type: number;
  /** The NAL unit's bytes without its start code. */
  readonly data: Uint8Array;
}

/** The NAL units of an Annex B byte string (3- or 4-byte start codes). */
export function nalUnits(bytes: Uint8Array): NalUnit[] {
  return nalPositions(bytes).map(({ payload, end }) => {
    const data = bytes.subarray(payload, end);
    return { type: (data[0] ?? 0) & 0x1f, data };
  });
}

export function startsWithStartCode(bytes: Uint8Array): boolean {
  return (
    (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 1) ||
    (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0 && bytes[3] === 1)
  );
}

/**
 * RFC 6381 / WebCodecs codec string from an SPS NAL unit: "avc1." + profile_idc, the constraint
 * flags byte and level_idc in hex (the three bytes after the NAL header).
 */
export function avcCodecString(sps: Uint8Array): string {
  if (sps.length < 4) throw new Error('SPS too short');
  const hex = (value: number) => value.toString(16).padStart(2, '0');
  return `avc1.${hex(sps[1]!)}${hex(sps[2]!)}${hex(sps[3]!)}`;
}

/** Whether two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
