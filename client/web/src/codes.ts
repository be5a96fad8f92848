/**
 * Recognising what the user pasted or scanned: a pairing code or link (SCP1-), an invite (SCI1-) or
 * a viewer share code (SCV1-). This only routes the text to the right SDK call; the SDK parses and
 * verifies it. Pure (no DOM).
 */

export type CodeKind = 'pairing' | 'invite' | 'share';

export interface RecognisedCode {
  readonly kind: CodeKind;
  /** The code itself (for a link: the part after #), without spaces or line breaks. */
  readonly code: string;
  /** For a link: the origin it points at (the relay that printed it). */
  readonly origin?: string;
}

const PREFIXES: readonly (readonly [CodeKind, string])[] = [
  ['pairing', 'SCP1-'],
  ['invite', 'SCI1-'],
  ['share', 'SCV1-'],
];

function linkOrigin(text: string): string | undefined {
  if (!/^https?:\/\//i.test(text)) return undefined;
  try {
    return new URL(text).origin;
  } catch {
    return undefined;
  }
}

/** What `text` is, or null when it is none of the codes. */
export function recogniseCode(text: string): RecognisedCode | null {
  const trimmed = text.trim();
  if (trimmed.length === 0) return null;
  const hash = trimmed.indexOf('#');
  const origin = hash >= 0 ? linkOrigin(trimmed.slice(0, hash)) : undefined;
  let code = hash >= 0 ? trimmed.slice(hash + 1) : trimmed;
  try {
    code = decodeURIComponent(code);
  } catch {
    // not percent-encoded: use as is
  }
  code = code.replace(/\s+/g, '');
  for (const [kind, prefix] of PREFIXES) {
    if (code.toUpperCase().startsWith(prefix) && code.length > prefix.length)
      return { kind, code, ...(origin ? { origin } : {}) };
  }
  return null;
}

/** The pairing code in a page's fragment (`/pair#SCP1-…`), or null. */
export function pairingCodeFromHash(hash: string): string | null {
  const found = recogniseCode(hash.startsWith('#') ? hash : `#${hash}`);
  return found?.kind === 'pairing' ? found.code : null;
}

/** Whether a relay URL names this page's origin (the only relay a page under its CSP can reach). */
export function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}
