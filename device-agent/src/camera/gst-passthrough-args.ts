/** The file descriptors of a passthrough gst-launch's outputs, each a GDP stream (stdout carries none: gst-launch may print there). */
export const GST_FD = { video: 3, audio: 4, stills: 5, hevc: 6 } as const;

/** Every element the pipeline below may use (a camera without audio or stills uses fewer). */
// biome-ignore format: the elements in pipeline order
export const GST_ELEMENTS = [
  'rtspsrc', 'rtph264depay', 'h264parse', 'tee', 'gdppay', 'fdsink', 'rtph265depay',
  'queue', 'identity', 'avdec_h264', 'videoscale', 'videoconvert', 'jpegenc',
  'rtppcmudepay', 'mulawdec', 'rtppcmadepay', 'alawdec', 'audioconvert', 'audioresample', 'avenc_aac',
  'rtpmp4gdepay', 'aacparse',
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
 * A camera without audio leaves the audio branches unlinked, which gst-launch allows. G.711 comes
 * first: cameras send it as static payload type 0 or 8 without an encoding name, and the AAC
 * depayloader would take such a pad and then refuse its caps.
 */
export function gstPassthroughArguments(options: GstPassthroughArgsOptions): string[] {
  const sink = (fd: number) => ['!', 'gdppay', '!', 'fdsink', `fd=${fd}`, 'sync=false', 'async=false'];
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
    // An H.265 camera: any byte here says so (the H.264 branch never links to its pad).
    'src.', '!', 'rtph265depay', '!', 'fdsink', `fd=${GST_FD.hevc}`, 'sync=false', 'async=false',
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
    // biome-ignore format: one element per line reads as the pipeline it is
    args.push(
      'src.', '!', 'rtppcmudepay', '!', 'mulawdec', ...toAac, ...sink(GST_FD.audio),
      'src.', '!', 'rtppcmadepay', '!', 'alawdec', ...toAac, ...sink(GST_FD.audio),
      'src.', '!', 'rtpmp4gdepay', ...adts, ...sink(GST_FD.audio),
    );
  }
  return args;
}
