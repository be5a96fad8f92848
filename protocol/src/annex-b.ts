/** H.264 NAL unit types (Table 7-1) that parameter-set handling looks at. */
export const NAL_SPS = 7;
export const NAL_PPS = 8;

/** Where one NAL unit of an Annex B byte string lies: its start code, its payload, its end; its type. */
export interface NalPosition {
  /** The start code's first byte (4-byte start codes included). */
  readonly at: number;
  /** The NAL header's byte. */
  readonly payload: number;
  /** Where the next start code begins, or the end of the bytes. */
  readonly end: number;
  /** nal_unit_type, the header's low five bits (H.264). */
  readonly type: number;
}

/** The NAL units of an Annex B byte string (3- or 4-byte start codes), in order. */
export function nalPositions(bytes: Uint8Array): NalPosition[] {
  const positions: { at: number; payload: number; end: number; type: number }[] = [];
  // Runs on every access unit: the native indexOf finds each 0x01, and only those are looked behind
  // (a start code's zeros cannot overlap the previous one, which ends in 0x01). One object per NAL:
  // each start code also ends the unit before it.
  for (let one = bytes.indexOf(1, 2); one !== -1; one = bytes.indexOf(1, one + 1)) {
    if (bytes[one - 1] !== 0 || bytes[one - 2] !== 0) continue;
    const code = one - 2;
    const at = code > 0 && bytes[code - 1] === 0 ? code - 1 : code;
    const previous = positions.at(-1);
    if (previous) previous.end = at;
    positions.push({ at, payload: one + 1, end: bytes.length, type: (bytes[one + 1] ?? 0) & 0x1f });
  }
  return positions;
}

/**
 * The unsigned Exp-Golomb number (ue(v)) at `bit` of `bytes`, or null past the end. Only used on the
 * first bytes of a parameter set, before any emulation-prevention byte can occur in practice.
 */
function unsignedExpGolomb(bytes: Uint8Array, bit: number): number | null {
  const at = (n: number) => {
    const byte = bytes[n >> 3];
    return byte === undefined ? null : (byte >> (7 - (n & 7))) & 1;
  };
  let zeros = 0;
  for (; zeros < 32; zeros++) {
    const value = at(bit + zeros);
    if (value === null) return null;
    if (value === 1) break;
  }
  let value = 0;
  for (let i = 1; i <= zeros; i++) {
    const next = at(bit + zeros + i);
    if (next === null) return null;
    value = value * 2 + next;
  }
  return 2 ** zeros - 1 + value;
}

/** "7:0" for SPS 0, "8:1" for PPS 1 (their ids: after profile, constraints and level; first field). */
function parameterSetKey(unit: Uint8Array, nal: NalPosition): string {
  const body = unit.subarray(nal.payload + 1, nal.end);
  const id = unsignedExpGolomb(body, nal.type === NAL_SPS ? 24 : 0);
  return `${nal.type}:${id ?? '?'}`;
}

/**
 * An H.264 access unit without the SPS/PPS that a later SPS/PPS with the same id in it replaces: the
 * same pictures for a decoder, and a muxer that builds its avcC from a keyframe's parameter sets then
 * describes them alone. Cameras' stale session parameters end up in front of their new ones this way
 * (ffmpeg's dump_extra puts the SDP's sets before every keyframe). The same array when nothing is
 * replaced.
 */
export function withoutReplacedParameterSets(unit: Uint8Array): Uint8Array {
  const nals = nalPositions(unit);
  const sets = nals.filter((nal) => nal.type === NAL_SPS || nal.type === NAL_PPS);
  const last = new Map(sets.map((nal) => [parameterSetKey(unit, nal), nal]));
  const keep = new Set(last.values());
  const dropped = sets.filter((nal) => !keep.has(nal));
  if (dropped.length === 0) return unit;
  const out = new Uint8Array(unit.length - dropped.reduce((sum, nal) => sum + nal.end - nal.at, 0));
  let offset = 0;
  let from = 0;
  for (const nal of dropped) {
    out.set(unit.subarray(from, nal.at), offset);
    offset += nal.at - from;
    from = nal.end;
  }
  out.set(unit.subarray(from), offset);
  return out;
}
