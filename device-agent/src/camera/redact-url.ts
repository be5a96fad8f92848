/** `scheme://user:pass@host/…` → `scheme://***@host/…`, anywhere in `text`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}

/**
 * Removes the credentials of `url` from `text` (an error message, a program's stderr): both in URL
 * form and wherever the user name or password appear on their own, raw or percent-decoded.
 */
export function redactSecrets(text: string, url: string): string {
  let redacted = redactUrlCredentials(text);
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    return redacted;
  }
  for (const secret of [parsed.password, parsed.username]) {
    if (!secret) continue;
    for (const form of new Set([secret, safeDecode(secret)])) {
      // Shorter ones would mangle the message and protect next to nothing.
      if (form.length >= 3) redacted = redacted.split(form).join('***');
    }
  }
  return redacted;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
