/** Why a live output (an MP4 file, the raw stream on stdout) cannot take a frame. */
export type LiveOutputReason =
  /** An MP4 needs a timed codec; this camera sends JPEG pictures. */
  | 'JPEG_CAMERA'
  /** A codec this output does not write (e.g. H.265 for the MP4 output). */
  | 'UNSUPPORTED_CODEC'
  /** A timed frame without its capture time. */
  | 'NO_CAPTURE_TIME'
  /** The muxer refused the stream (e.g. a keyframe without SPS). */
  | 'MUXER'
  /** The file or pipe could not be written (disk full, reader gone). */
  | 'WRITE';

export class LiveOutputError extends Error {
  constructor(
    readonly reason: LiveOutputReason,
    message: string,
  ) {
    super(message);
    this.name = 'LiveOutputError';
  }
}
