import {
  ADTS,
  BufferSource,
  BufferTarget,
  EncodedPacket,
  EncodedVideoPacketSource,
  Input,
  MPEG_TS,
  MpegTsOutputFormat,
  Output,
} from 'mediabunny';

/**
 * The decoder configuration (codec string, picture size, colour space) of an H.264 stream, read from
 * the SPS of its first keyframe (Annex B). mediabunny's MP4 muxer needs the picture size up front but
 * does not export its SPS reader, so the keyframe goes through its MPEG-TS muxer (which stores no
 * size) and back through its demuxer, which reads the size from the SPS. The returned config has no
 * `description`: the MP4 muxer then builds the avcC itself and converts Annex B units to
 * length-prefixed ones.
 */
export async function h264DecoderConfig(keyframe: Uint8Array): Promise<VideoDecoderConfig> {
  const target = new BufferTarget();
  const output = new Output({ format: new MpegTsOutputFormat(), target });
  const source = new EncodedVideoPacketSource('avc');
  output.addVideoTrack(source);
  await output.start();
  // A placeholder size: MPEG-TS does not carry it, the demuxer reads it from the SPS.
  await source.add(new EncodedPacket(keyframe, 'key', 0, 0.04), {
    decoderConfig: { codec: 'avc1.42001f', codedWidth: 16, codedHeight: 16 },
  });
  await output.finalize();
  const config = await readBack(target);
  const { description: _omitted, ...annexB } = config;
  return annexB;
}

/**
 * The decoder configuration (codec string, sample rate, channels) of an AAC stream from its first
 * ADTS frame, read by mediabunny's ADTS demuxer; without `description`, so that the MP4 muxer strips
 * the ADTS headers itself.
 */
export async function aacDecoderConfig(adtsFrame: Uint8Array): Promise<AudioDecoderConfig> {
  // The ADTS demuxer recognises a stream by two consecutive headers that agree: the frame twice.
  const twice = new Uint8Array(adtsFrame.length * 2);
  twice.set(adtsFrame, 0);
  twice.set(adtsFrame, adtsFrame.length);
  const input = new Input({ source: new BufferSource(twice), formats: [ADTS] });
  try {
    const track = await input.getPrimaryAudioTrack();
    const config = track ? await track.getDecoderConfig() : null;
    if (!config) throw new Error('not an ADTS frame');
    const { description: _omitted, ...adts } = config;
    return adts;
  } finally {
    input.dispose();
  }
}

async function readBack(target: BufferTarget): Promise<VideoDecoderConfig> {
  const buffer = target.buffer;
  if (!buffer) throw new Error('the muxer wrote nothing');
  const input = new Input({ source: new BufferSource(buffer), formats: [MPEG_TS] });
  try {
    const track = await input.getPrimaryVideoTrack();
    const config = track ? await track.getDecoderConfig() : null;
    if (!config) throw new Error('no SPS before the first IDR picture');
    return config;
  } finally {
    input.dispose();
  }
}
