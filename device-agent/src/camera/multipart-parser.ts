export interface MultipartParserOptions {
  readonly onPart: (body: Buffer) => void;
  readonly onError: (error: Error) => void;
  /** A larger part is skipped with an error. */
  readonly maxPartBytes: number;
}

const MAX_HEADER_BYTES = 16 * 1024;
const SEEK_BOUNDARY = 0;
const HEADERS = 1;
const BODY = 2;
const SKIP = 3; // the rest of a part that is too large, by its Content-Length

/** The boundary parameter of a multipart Content-Type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2] ?? null;
}

/**
 * Incremental parser of a `multipart/x-mixed-replace` body (an MJPEG stream): emits each part's body.
 * A part is read by its Content-Length when it has one, otherwise up to the next boundary. The
 * boundary is searched for without its leading "--", which also accepts the cameras that put the dashes
 * into the Content-Type parameter. Memory: at most one part (`maxPartBytes`) plus one received chunk.
 */
export class MultipartParser {
  private readonly boundary: Buffer;
  private buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  private state = SEEK_BOUNDARY;
  private contentLength = -1;
  private skipRemaining = 0;
  /** Where the next boundary search in a body without Content-Length resumes. */
  private searchFrom = 0;

  constructor(
    boundary: string,
    private readonly options: MultipartParserOptions,
  ) {
    this.boundary = Buffer.from(boundary, 'latin1');
  }

  /** Bytes allocated for unparsed data. */
  get capacity(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer): void {
    this.append(chunk);
    while (this.advance()) {}
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** One parsing step; false when more data is needed. */
  private advance(): boolean {
    switch (this.state) {
      case SEEK_BOUNDARY: {
        const at = this.indexOf(this.boundary, this.start);
        if (at < 0) {
          this.start = Math.max(this.start, this.end - (this.boundary.length - 1));
          return false;
        }
        this.start = at + this.boundary.length;
        this.state = HEADERS;
        return true;
      }
      case HEADERS: {
        // The first "line" is the rest of the boundary line, so an empty header block also ends here.
        const crlf = this.indexOf(CRLFCRLF, this.start);
        const lf = this.indexOf(LFLF, this.start);
        const at = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
        if (at < 0) {
          if (this.end - this.start > MAX_HEADER_BYTES) {
            this.options.onError(new Error(`multipart headers longer than ${MAX_HEADER_BYTES} bytes`));
            this.state = SEEK_BOUNDARY;
            return true;
          }
          return false;
        }
        const headers = this.buffer.toString('latin1', this.start, at);
        this.start = at + (at === crlf ? 4 : 2);
        const length = /(?:^|\n)\s*content-length\s*:\s*(\d+)\s*(?:\r?$|\r?\n)/im.exec(headers)?.[1];
        this.contentLength = length === undefined ? -1 : Number(length);
        this.searchFrom = this.start;
        if (this.contentLength > this.options.maxPartBytes) {
          this.options.onError(
            new Error(`part of ${this.contentLength} bytes skipped (max ${this.options.maxPartBytes})`),
          );
          this.skipRemaining = this.contentLength;
          this.state = SKIP;
        } else this.state = BODY;
        return true;
      }
      case BODY:
        return this.contentLength >= 0 ? this.bodyByLength() : this.bodyByBoundary();
      case SKIP: {
        const n = Math.min(this.skipRemaining, this.end - this.start);
        this.start += n;
        this.skipRemaining -= n;
        if (this.skipRemaining > 0) return false;
        this.state = SEEK_BOUNDARY;
        return true;
      }
      default:
        return false;
    }
  }

  private bodyByLength(): boolean {
    if (this.end - this.start < this.contentLength) return false;
    const body = Buffer.from(this.buffer.subarray(this.start, this.start + this.contentLength));
    this.start += this.contentLength;
    this.state = SEEK_BOUNDARY;
    this.options.onPart(body);
    return true;
  }

  private bodyByBoundary(): boolean {
    const at = this.indexOf(this.boundary, this.searchFrom);
    if (at < 0) {
      if (this.end - this.start > this.options.maxPartBytes) {
        this.options.onError(new Error(`part larger than ${this.options.maxPartBytes} bytes skipped`));
        this.state = SEEK_BOUNDARY;
        return true;
      }
      this.searchFrom = Math.max(this.start, this.end - (this.boundary.length - 1));
      return false;
    }
    // The delimiter is CRLF "--" boundary; strip whichever of those precede the boundary text.
    let bodyEnd = at;
    for (let dashes = 0; dashes < 2 && bodyEnd > this.start && this.buffer[bodyEnd - 1] === 0x2d; dashes++)
      bodyEnd--;
    if (bodyEnd > this.start && this.buffer[bodyEnd - 1] === 0x0a) bodyEnd--;
    if (bodyEnd > this.start && this.buffer[bodyEnd - 1] === 0x0d) bodyEnd--;
    const body = Buffer.from(this.buffer.subarray(this.start, bodyEnd));
    this.start = at;
    this.state = SEEK_BOUNDARY;
    if (body.length > this.options.maxPartBytes) {
      this.options.onError(new Error(`part larger than ${this.options.maxPartBytes} bytes skipped`));
    } else this.options.onPart(body);
    return true;
  }

  private indexOf(needle: Buffer, from: number): number {
    return this.buffer.subarray(0, this.end).indexOf(needle, from);
  }

  private append(chunk: Buffer): void {
    const held = this.end - this.start;
    if (this.end + chunk.length > this.buffer.length) {
      const needed = held + chunk.length;
      if (needed <= this.buffer.length) this.buffer.copyWithin(0, this.start, this.end);
      else {
        const limit = this.options.maxPartBytes + MAX_HEADER_BYTES;
        const grown = Buffer.allocUnsafe(
          Math.max(needed, Math.min(this.buffer.length * 2, limit), 64 * 1024),
        );
        this.buffer.copy(grown, 0, this.start, this.end);
        this.buffer = grown;
      }
      this.searchFrom = Math.max(0, this.searchFrom - this.start);
      this.start = 0;
      this.end = held;
    }
    chunk.copy(this.buffer, this.end);
    this.end += chunk.length;
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
