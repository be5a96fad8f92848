/**
 * A 5×7 pixel font for burned-in text: digits, A–Z (lower case is drawn as upper case) and : . - _ / ?
 * Each glyph is 7 rows; each row is one base-32 digit whose 5 bits are the pixels, left = high bit.
 */
const GLYPH_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ:.-_/?';
const GLYPH_ROWS =
  'EHJLPHE4C4444EEH1248VV2421HE26AIV22VGU11HE68GUHHEV124888EHHEHHEEHHF12CEHHVHHHUHHUHHUEHGGGHESIHHHISVGGUGG' +
  'VVGGUGGGEHGNHHFHHHVHHHE44444E72222ICHIKOKIHGGGGGGVHRLLHHHHHPLJHHEHHHHHEUHHUGGGEHHHLIDUHHUKIHFGGE11UV44444' +
  '4HHHHHHEHHHHHA4HHHLLLAHHA4AHHHHHA444V1248GV0CC0CC000000CC000V000000000V01248G0EH12404';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

const glyphs = new Map<string, Uint8Array>();
for (let g = 0; g < GLYPH_CHARS.length; g++) {
  const rows = new Uint8Array(GLYPH_HEIGHT);
  for (let r = 0; r < GLYPH_HEIGHT; r++) rows[r] = Number.parseInt(GLYPH_ROWS[g * GLYPH_HEIGHT + r]!, 32);
  glyphs.set(GLYPH_CHARS[g]!, rows);
}
const space = new Uint8Array(GLYPH_HEIGHT);
const unknown = glyphs.get('?')!;

function glyph(char: string): Uint8Array {
  if (char === ' ') return space;
  return glyphs.get(char.toUpperCase()) ?? unknown;
}

/** Width in pixels of `length` characters at `scale` (one blank column between characters). */
export function textWidth(length: number, scale: number): number {
  return length > 0 ? (length * (GLYPH_WIDTH + 1) - 1) * scale : 0;
}

/**
 * Draws `text` into a packed RGB image with its top-left corner at (x, y), each font pixel a
 * `scale`×`scale` square of `value` in all three channels, clipped to the image.
 */
export function drawText(
  rgb: Buffer,
  width: number,
  height: number,
  text: string,
  x: number,
  y: number,
  scale: number,
  value: number,
): void {
  for (let c = 0; c < text.length; c++) {
    const rows = glyph(text[c]!);
    const gx = x + c * (GLYPH_WIDTH + 1) * scale;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const bits = rows[r]!;
      if (bits === 0) continue;
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((bits & (1 << (GLYPH_WIDTH - 1 - col))) === 0) continue;
        const x0 = Math.max(0, gx + col * scale);
        const x1 = Math.min(width, gx + (col + 1) * scale);
        if (x1 <= x0) continue;
        const y0 = Math.max(0, y + r * scale);
        const y1 = Math.min(height, y + (r + 1) * scale);
        for (let py = y0; py < y1; py++) rgb.fill(value, (py * width + x0) * 3, (py * width + x1) * 3);
      }
    }
  }
}
