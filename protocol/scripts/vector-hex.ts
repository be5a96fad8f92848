/** Hex edits used to build reject vectors from valid bytes. */
export function hexPatch(hex: string, byteIndex: number, value: number): string {
  return hex.slice(0, byteIndex * 2) + value.toString(16).padStart(2, '0') + hex.slice(byteIndex * 2 + 2);
}

/** The byte at `byteIndex` with its lowest bit flipped. */
export function flipHex(hex: string, byteIndex: number): string {
  return hexPatch(hex, byteIndex, Number.parseInt(hex.slice(byteIndex * 2, byteIndex * 2 + 2), 16) ^ 0x01);
}
