/**
 * Shows verified JPEG bytes in an <img> through a Blob URL. The picture is decoded off-screen
 * first, so the visible <img> never shows a broken picture; the previous URL is revoked once the
 * new one is up, so URLs do not pile up.
 */
export class BlobImage {
  private url: string | undefined;

  constructor(readonly element: HTMLImageElement) {}

  /** Shows `bytes`; false (and the previous picture stays) when they do not decode. */
  async show(bytes: Uint8Array, type = 'image/jpeg'): Promise<boolean> {
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
    const probe = new Image();
    probe.src = url;
    try {
      await probe.decode();
    } catch {
      URL.revokeObjectURL(url);
      return false;
    }
    const previous = this.url;
    this.url = url;
    this.element.src = url;
    this.element.hidden = false;
    if (previous) URL.revokeObjectURL(previous);
    return true;
  }

  /** Removes the picture and revokes its URL. */
  clear(): void {
    this.element.removeAttribute('src');
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = undefined;
  }
}
