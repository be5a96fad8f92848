/** How a passthrough camera gets its decoded stills (motion detection and thumbnails). */
export type StillSource = 'keyframes' | 'decode' | 'off';

/** What ffmpeg does with the camera's audio: pass AAC through, convert once to AAC, or leave it. */
export type AudioPlan = 'copy' | 'convert' | 'none';

export interface PassthroughArgsOptions {
  readonly url: string;
  readonly transport: 'tcp' | 'udp';
  readonly stills: StillSource;
  readonly substream?: string | undefined;
  readonly stillFps: number;
  readonly stillWidth: number;
  readonly stillQuality: number;
  readonly audio: AudioPlan;
}

/** The file descriptors of a passthrough ffmpeg's outputs. */
export const FD = { video: 1, framecrc: 3, audio: 4, stills: 5 } as const;

/**
 * One ffmpeg, several outputs of the same input packets: the H.264 elementary stream copied (never
 * decoded) with SPS/PPS put in band before every keyframe (`dump_extra`: cameras often send them only
 * in the SDP); a framecrc list of the same packets (their sizes, timestamps, key flags) to cut the
 * stream into access units; the audio as ADTS; decoded stills as JPEGs, each announced on stderr by
 * `showinfo` with its timestamp. `-copyts` keeps every output on the camera's own timeline.
 */
export function passthroughArguments(options: PassthroughArgsOptions): string[] {
  const stills = options.substream !== undefined || options.stills !== 'off';
  const copyVideo = ['-map', '0:v:0', '-c:v', 'copy', '-bsf:v', 'dump_extra=freq=keyframe'];
  const audioCodec = options.audio === 'copy' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '64k'];
  const audioMap = options.audio === 'none' ? [] : ['-map', '0:a:0', ...audioCodec];
  // biome-ignore format: option pairs read best one per line
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', stills ? 'level+info' : 'level+warning',
    // Probing for ffmpeg's default 5 s delays the first unit; the SDP already says what the streams are.
    '-rtsp_transport', options.transport, '-copyts', '-analyzeduration', '1000000',
    ...(options.stills === 'keyframes' && options.substream === undefined ? ['-skip_frame', 'nokey'] : []),
    '-i', options.url,
  ];
  if (options.substream !== undefined)
    args.push('-rtsp_transport', options.transport, '-analyzeduration', '1000000', '-i', options.substream);
  // biome-ignore format: option pairs read best one per line
  args.push(
    ...copyVideo, '-flush_packets', '1', '-f', 'h264', `pipe:${FD.video}`,
    ...copyVideo, ...audioMap, '-flush_packets', '1', '-f', 'framecrc', `pipe:${FD.framecrc}`,
  );
  if (options.audio !== 'none')
    args.push(...audioMap, '-flush_packets', '1', '-f', 'adts', `pipe:${FD.audio}`);
  if (stills) {
    const filters = [
      ...(options.substream !== undefined || options.stills === 'decode' ? [`fps=${options.stillFps}`] : []),
      `scale='min(iw,${options.stillWidth})':-2`,
      'showinfo',
    ];
    // biome-ignore format: option pairs read best one per line
    args.push(
      '-map', options.substream !== undefined ? '1:v:0' : '0:v:0', '-an',
      '-fps_mode', 'passthrough', '-vf', filters.join(','),
      '-c:v', 'mjpeg', '-q:v', String(options.stillQuality),
      '-flush_packets', '1', '-f', 'image2pipe', `pipe:${FD.stills}`,
    );
  }
  return args;
}
