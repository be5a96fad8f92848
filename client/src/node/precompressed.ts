/**
 * Brotli and gzip copies of the built app's text files (file.br, file.gz next to each), made once at
 * build time so the hosts serve them with no compression work per request (@fastify/static
 * `preCompressed`). They are encodings of the signed files, not files of the release: the browser
 * decodes them, and the service worker checks the decoded bytes against release.json.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';

const TEXT = /\.(js|css|html|json|webmanifest|svg|txt)$/;
/** Smaller files are sent as they are: the saving would not pay for a variant. */
const MIN_BYTES = 1024;
export const ENCODINGS = ['.br', '.gz'] as const;

/** Whether `path` is one of these encodings (of another file in the same folder). */
export function isEncodedCopy(path: string): boolean {
  return ENCODINGS.some((suffix) => path.endsWith(suffix));
}

/** The app's files: dot-files (the build's own records) are not served, so they get no copies. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(entry.parentPath, entry.name));
}

export interface CompressedSizes {
  /** Every text file, as sent without and with each encoding (the larger original where one did not pay). */
  readonly raw: number;
  readonly gzip: number;
  readonly brotli: number;
}

/** Removes every earlier copy, then writes new ones where they are smaller; returns the totals. */
export function precompress(dir: string): CompressedSizes {
  for (const file of files(dir)) if (isEncodedCopy(file)) rmSync(file);
  let raw = 0;
  let gzip = 0;
  let brotli = 0;
  for (const file of files(dir)) {
    if (!TEXT.test(file)) continue;
    const bytes = readFileSync(file);
    raw += bytes.length;
    if (bytes.length < MIN_BYTES) {
      gzip += bytes.length;
      brotli += bytes.length;
      continue;
    }
    const br = brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
    const gz = gzipSync(bytes, { level: 9 });
    if (br.length < bytes.length) writeFileSync(`${file}.br`, br);
    if (gz.length < bytes.length) writeFileSync(`${file}.gz`, gz);
    brotli += Math.min(br.length, bytes.length);
    gzip += Math.min(gz.length, bytes.length);
  }
  return { raw, gzip, brotli };
}

/** Every encoded copy in `dir` decodes to its file's bytes (a stale or altered copy is false). */
export function copiesMatch(dir: string): boolean {
  for (const file of files(dir)) {
    if (!isEncodedCopy(file)) continue;
    const original = file.slice(0, -3);
    let decoded: Buffer;
    try {
      if (!statSync(original).isFile()) return false;
      decoded = file.endsWith('.br')
        ? brotliDecompressSync(readFileSync(file))
        : gunzipSync(readFileSync(file));
    } catch {
      return false;
    }
    if (!decoded.equals(readFileSync(original))) return false;
  }
  return true;
}
