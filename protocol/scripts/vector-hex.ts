/** Hex edits used to build reject vectors from valid bytes. */
export function hexPatch(hex: string, byteIndex: number, value: number): string {
  return hex.slice(0, byteIndex * 2) + value.toString(16).padStart(2, '0') + hex.slice(byteIndex * 2 + 2);
}
