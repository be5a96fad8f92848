/**
 * The file descriptors of a passthrough gst-launch's outputs (stdout carries none: gst-launch may
 * print there). Units, stills and each audio branch are GDP streams; `hevc`, `otherVideo` and
 * `otherAudio` carry the raw bytes of a stream no branch takes, and say so by their first byte.
 */
export const GST_FD = {
  video: 3,
  stills: 4,
  aac: 5,
  pcmu: 6,
  pcma: 7,
  hevc: 8,
  otherVideo: 9,
  otherAudio: 10,
} as const;
/** The audio branches' pipes, in the order they are tried. */
export const GST_AUDIO_FDS: readonly number[] = [GST_FD.pcmu, GST_FD.pcma, GST_FD.aac];
/** Pipes after stdout and stderr that a passthrough gst-launch writes (fds 3 … 10). */
export const GST_EXTRA_PIPES = 8;

/** Every element the pipeline below may use (a camera without audio or stills uses fewer). */
// biome-ignore format: the elements in pipeline order
export const GST_ELEMENTS = [
  'rtspsrc', 'rtph264depay', 'h264parse', 'tee', 'gdppay', 'fdsink', 'rtph265depay',
  'queue', 'identity', 'avdec_h264', 'videoscale', 'videoconvert', 'jpegenc',
  'rtppcmudepay', 'mulawdec', 'rtppcmadepay', 'alawdec', 'audioconvert', 'audioresample', 'avenc_aac',
  'rtpmp4gdepay', 'aacparse', 'capsfilter',
] as const;

export interface GstPassthroughArgsOptions {
  readonly url: string;
  readonly transport: 'tcp' | 'udp';
  /** Decode the keyframes into JPEG stills (motion, thumbnails), or no stills. */
  readonly stills: 'keyframes' | 'off';
  readonly stillWidth: number;
  /** ffmpeg's MJPEG scale, 2 (best) … 31, as the ffmpeg client takes it; mapped to jpegenc's 0–100. */
  readonly stillQuality: number;
  readonly audio: boolean;
}

/** jpegenc quality for an ffmpeg `-q:v` (2 → 95, 4 → 89, 31 → 8): the same option means the same for both clients. */
export function jpegencQuality(ffmpegQ: number): number {
  return Math.max(5, Math.min(95, Math.round(101 - 3 * ffmpegQ)));
}

/**
 * gst-launch-1.0 as the RTSP client of a passthrough camera. Unlike ffmpeg (whose H.264 parser
 * releases an access unit only when the next one begins, one frame interval later), GStreamer's RTP
 * depayloader ends each access unit at the RTP marker bit. `buffer-mode=none` keeps the camera's RTP
 * timestamps as they are (no jitter smoothing). Outputs, each framed by `gdppay` with its timestamp
 * and flags: the access units with SPS/PPS in band before every keyframe; the audio as ADTS (AAC
 * passed through; G.711 decoded and encoded once to AAC); JPEG stills decoded from keyframes only.
 * A camera without audio leaves the audio branches unlinked, which gst-launch allows (a data track,
 * e.g. ONVIF metadata, is left unlinked too, as ffmpeg leaves it). G.711 comes first: cameras send it
 * as static payload type 0 or 8 without an encoding name, and the AAC depayloader would take such a
 * pad and then refuse its caps. A catch-all branch last for each of video and audio reports a codec
 * that no branch takes. The URL must not hold whitespace, quotes or backslashes (gst-launch would
 * read them as pipeline syntax): `unsafeUrlCharacter` finds them, and the camera refuses such a URL.
 */
export function gstPassthroughArguments(options: GstPassthroughArgsOptions): string[] {
  const sink = (fd: number) => ['!', 'gdppay', '!', 'fdsink', `fd=${fd}`, 'sync=false', 'async=false'];
  /** Raw bytes of a stream no branch takes: their first byte is the message (no gdppay needed). */
  const signal = (fd: number) => ['!', 'fdsink', `fd=${fd}`, 'sync=false', 'async=false'];
  const adts = ['!', 'aacparse', '!', 'audio/mpeg,mpegversion=4,stream-format=adts'];
  const toAac = ['!', 'audioconvert', '!', 'audioresample', '!', 'avenc_aac', 'bitrate=64000', ...adts];
  // biome-ignore format: one element per line reads as the pipeline it is
  const args = [
    '-q',
    'rtspsrc', `location=${options.url}`, `protocols=${options.transport}`, 'latency=0',
    'buffer-mode=none', 'name=src',
    'src.', '!', 'rtph264depay', '!', 'h264parse', 'config-interval=-1',
    '!', 'video/x-h264,stream-format=byte-stream,alignment=au', '!', 'tee', 'name=video',
    'video.', ...sink(GST_FD.video),
    // An H.265 camera, then any other video codec: named, never a silent stall.
    'src.', '!', 'rtph265depay', ...signal(GST_FD.hevc),
    'src.', '!', 'application/x-rtp,media=video', ...signal(GST_FD.otherVideo),
  ];
  if (options.stills === 'keyframes') {
    // biome-ignore format: one element per line reads as the pipeline it is
    args.push(
      'video.', '!', 'queue', 'leaky=downstream', 'max-size-buffers=8',
      '!', 'identity', 'drop-buffer-flags=delta-unit', '!', 'avdec_h264',
      '!', 'videoscale', '!', 'videoconvert',
      // A range, not a width: a smaller picture keeps its size (as ffmpeg's min(iw,W)), the aspect kept.
      '!', `video/x-raw,width=[16,${options.stillWidth}],pixel-aspect-ratio=1/1`,
      '!', 'jpegenc', `quality=${jpegencQuality(options.stillQuality)}`, ...sink(GST_FD.stills),
    );
  }
  if (options.audio) {
    // Each branch on its own pipe: a camera with two audio tracks links two, and only the first is kept.
    // biome-ignore format: one element per line reads as the pipeline it is
    args.push(
      'src.', '!', 'rtppcmudepay', '!', 'mulawdec', ...toAac, ...sink(GST_FD.pcmu),
      'src.', '!', 'rtppcmadepay', '!', 'alawdec', ...toAac, ...sink(GST_FD.pcma),
      'src.', '!', 'rtpmp4gdepay', ...adts, ...sink(GST_FD.aac),
      'src.', '!', 'application/x-rtp,media=audio', ...signal(GST_FD.otherAudio),
    );
  }
  return args;
}

/**
 * The first character of `url` that a URL must percent-encode (RFC 3986 allows none of these as
 * such: whitespace, controls, quotes, backslash, and other characters outside its set), or null.
 * gst-launch re-parses its arguments as pipeline text, where such characters end or escape a value.
 */
export function unsafeUrlCharacter(url: string): string | null {
  const match = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/.exec(url);
  return match ? match[0] : null;
}
