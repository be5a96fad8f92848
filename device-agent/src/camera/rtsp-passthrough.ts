import { withoutReplacedParameterSets } from '@sealcam/protocol';
import { type AdtsFrame, AdtsSplitter } from './adts.js';
import {
  avcCodecString,
  NAL_IDR,
  NAL_PPS,
  NAL_SPS,
  nalUnits,
  sameBytes,
  startsWithStartCode,
} from './annexb.js';
import { formatDuration } from './backoff.js';
import { CameraError, type CameraErrorReason } from './camera-error.js';
import { FfmpegChild, type FfmpegExit } from './ffmpeg-child.js';
import type { CameraFrame, CameraSource } from './frame.js';
import { type FramecrcPacket, FramecrcParser, type FramecrcStream } from './framecrc-parser.js';
import { gstreamerAvailable } from './gst-available.js';
import { GstOutputs } from './gst-outputs.js';
import { GST_EXTRA_PIPES, gstPassthroughArguments, unsafeUrlCharacter } from './gst-passthrough-args.js';
import { MediaClock, toMicros } from './media-clock.js';
import { PacketPairer } from './packet-pairer.js';
import { type AudioPlan, FD, passthroughArguments, type StillSource } from './passthrough-args.js';
import { type ExitPolicy, exitVerdict } from './passthrough-exit.js';
import { redactSecrets, redactUrlCredentials } from './redact-url.js';
import { type AssembledStill, StillAssembler } from './still-assembler.js';

export interface RtspPassthroughOptions {
  readonly cameraId: string;
  /** rtsp(s)://[user:password@]host[:port]/path */
  readonly url: string;
  readonly transport?: 'tcp' | 'udp';
  readonly ffmpegPath?: string;
  /**
   * The RTSP client: 'gstreamer' (gst-launch-1.0) ends each access unit at the RTP marker bit, so a
   * unit leaves one frame interval sooner than from 'ffmpeg' (whose parser waits for the next unit);
   * it takes stills from keyframes only (no substream, no 'decode'). 'auto' (default): GStreamer when
   * it and every element of its pipeline are installed and the camera needs nothing only ffmpeg does.
   */
  readonly client?: 'auto' | 'ffmpeg' | 'gstreamer';
  readonly gstLaunchPath?: string;
  /**
   * Stills for motion and thumbnails: 'keyframes' (default; decode only the keyframes of the main
   * stream), 'decode' (decode every frame, keep `stillFps` scaled ones) or 'off'. (Not `motion`:
   * that is the camera's motion detector settings in the agent's configuration.)
   */
  readonly stills?: StillSource;
  /** A camera's low-resolution second stream: stills are decoded from it at `stillFps` instead. */
  readonly substream?: string;
  /** Stills per second with 'decode' or a substream. Default 2. */
  readonly stillFps?: number;
  /** Stills are at most this wide (JPEG and thumbnail). Default 640 (thumbnails are 320 wide). */
  readonly stillWidth?: number;
  /** ffmpeg's MJPEG -q:v for stills, 2 (best) … 31. Default 4. */
  readonly stillQuality?: number;
  /** Pass the camera's audio on (AAC as is, other codecs converted once to AAC). Default true. */
  readonly audio?: boolean;
  /** ffmpeg is restarted when no video unit has come for this long. Default 20 s. */
  readonly stallTimeoutMs?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Wait after an authentication failure, so a camera that locks accounts is not hammered. Default 5 min. */
  readonly authRetryMs?: number;
  readonly missingProgramRetryMs?: number;
  readonly stopGraceMs?: number;
  /** A larger access unit is a fault (bad-stream). Default 8 MiB. */
  readonly maxUnitBytes?: number;
  readonly now?: () => number;
}

/** Deliveries held while the capture clock settles, at most (a clock that never settles drops the rest). */
const MAX_HELD = 2000;
/** Keyframe times kept for their stills (a still comes after its keyframe's decode). */
const KEYFRAME_TIMES = 16;
/**
 * A session's first unit this many frame steps before the second has a made-up timestamp (B-frames
 * put a keyframe's successor in decode order a few steps later, never this many).
 */
const LEADING_GAP_STEPS = 8;
/** gst-launch-1.0 refusing its pipeline (not the camera refusing it): what `auto` falls back on. */
const GST_REFUSED = /erroneous pipeline[^|]*|no property "[^"]*"[^|]*|syntax error[^|]*/i;
/** The frame step assumed when ffmpeg gives a unit no duration (10 fps). */
const DEFAULT_STEP_US = 100_000;

/** A unit on its way to delivery: `labelUs` is ffmpeg's timestamp for it (stills carry the same). */
interface TimedUnit {
  ptsUs: number;
  readonly labelUs: number;
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  readonly baseline: StreamBaseline;
}

interface StreamBaseline {
  readonly sps: Uint8Array;
  readonly codecString: string;
  readonly width: number;
  readonly height: number;
}

/**
 * An H.264 RTSP camera passed through: ffmpeg is the RTSP client and copies the video (no decode, no
 * encode); each access unit is delivered as a VideoUnit with SPS/PPS in band at every keyframe and its
 * capture time from the camera's timestamps. Audio is passed on as ADTS AudioUnits; decoded stills
 * (keyframes, a low-rate decode, or a substream) as StillPictures. Faults are CameraErrors with a
 * reason; ffmpeg restarts with a doubling delay, after an authentication failure only after minutes.
 */
export class RtspPassthroughCamera implements CameraSource {
  readonly cameraId: string;
  private readonly url: string;
  private readonly safeUrl: string;
  private readonly options: RtspPassthroughOptions;
  private readonly stallTimeoutMs: number;
  /** Retry timings; the program itself follows the client (`program`). */
  private readonly policy: Omit<ExitPolicy, 'program' | 'programPath'>;
  private readonly stopGraceMs: number;
  private readonly maxUnitBytes: number;
  private readonly crc: FramecrcParser;
  /** The RTSP client in use, and why (for the agent's log and status: 'auto' chooses by what is installed). */
  client: { readonly name: 'ffmpeg' | 'gstreamer'; readonly why: string };
  /** `client: 'auto'`: the camera may move from GStreamer to ffmpeg when GStreamer cannot serve it. */
  private readonly auto: boolean;
  private readonly gstOut: GstOutputs;
  /** The video stream as the GStreamer client's caps describe it (nanosecond timestamps). */
  private gstStream: FramecrcStream = {};
  /** The GStreamer child is being ended so that ffmpeg serves the camera (no backoff, no second report). */
  private switchingToFfmpeg = false;
  /** Whether this session delivered a unit (a stall before one names the likely cause). */
  private unitSeen = false;
  private readonly pairer: PacketPairer;
  private readonly adts: AdtsSplitter;
  private readonly stills: StillAssembler;
  private readonly clock: MediaClock;
  private readonly substreamClock: MediaClock;
  private audioPlan: AudioPlan;
  private running = false;
  private child: FfmpegChild | null = null;
  private fault: CameraError | null = null;
  private baseline: StreamBaseline | null = null;
  private audioTimes: number[] = [];
  /** Deliveries waiting for the capture clock to settle (ffmpeg's start-up burst), in arrival order. */
  private held: (() => void)[] = [];
  /** The latest keyframes' timestamps (as ffmpeg labels them) and capture times: a still of one gets its time exactly. */
  private keyframeTimes: { labelUs: number; capturedAtUs: number }[] = [];
  /** The session's first unit, kept until the second shows whether its timestamp is the camera's. */
  private leading: TimedUnit | null = null;
  /** Whether this session's first unit has been timed. */
  private led = false;
  private audioFrames: AdtsFrame[] = [];
  private lastAudioUs = 0;
  private stallTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private onFrame: (frame: CameraFrame) => void = () => {};
  private onError: (error: Error) => void = () => {};
  /** ffmpeg processes started, including restarts. */
  starts = 0;
  /** The last fault, for status (null once units flow again). */
  lastError: CameraError | null = null;

  constructor(options: RtspPassthroughOptions) {
    this.cameraId = options.cameraId;
    this.url = options.url;
    if (!/^rtsps?:\/\//i.test(options.url)) {
      throw new Error(`rtsp camera ${options.cameraId}: URL must be rtsp:// or rtsps://`);
    }
    if (options.substream !== undefined && !/^rtsps?:\/\//i.test(options.substream)) {
      throw new Error(`rtsp camera ${options.cameraId}: substream URL must be rtsp:// or rtsps://`);
    }
    for (const [field, value] of [
      ['URL', options.url],
      ['substream URL', options.substream],
    ] as const) {
      const bad = value === undefined ? null : unsafeUrlCharacter(value);
      if (bad !== null)
        throw new Error(
          `rtsp camera ${options.cameraId}: the ${field} holds ${JSON.stringify(bad)}, which a URL must percent-encode (e.g. a space as %20)`,
        );
    }
    this.client = chooseClient(options);
    this.auto = (options.client ?? 'auto') === 'auto';
    if (this.gst && (options.substream !== undefined || options.stills === 'decode')) {
      throw new Error(
        `rtsp camera ${options.cameraId}: client "gstreamer" takes stills from keyframes only (no substream, no stills "decode"); use client "ffmpeg"`,
      );
    }
    this.options = options;
    this.safeUrl = redactUrlCredentials(options.url);
    this.stallTimeoutMs = options.stallTimeoutMs ?? 20_000;
    this.policy = {
      retryMinMs: options.retryMinMs ?? 1000,
      retryMaxMs: options.retryMaxMs ?? 30_000,
      authRetryMs: options.authRetryMs ?? 300_000,
      missingProgramRetryMs: options.missingProgramRetryMs ?? 60_000,
    };
    this.stopGraceMs = options.stopGraceMs ?? 3000;
    this.maxUnitBytes = options.maxUnitBytes ?? 8 * 1024 * 1024;
    this.audioPlan = options.audio === false ? 'none' : 'copy';
    this.gstOut = new GstOutputs(
      {
        onVideoCaps: (width, height) => {
          this.gstStream = {
            timeBase: { num: 1, den: 1_000_000_000 },
            codec: 'h264',
            mediaType: 'video',
            ...(width !== undefined ? { width } : {}),
            ...(height !== undefined ? { height } : {}),
          };
        },
        onUnit: ({ ptsNs, durationNs, keyframe, data }) =>
          this.videoPacket(
            { stream: 0, dts: ptsNs, pts: ptsNs, duration: durationNs, size: data.length, keyframe },
            data,
          ),
        onAudio: (ptsUs, frame) => this.audioUnit(ptsUs, frame),
        onStill: (ptsSeconds, jpeg, width, height) => this.stills.pushImage(ptsSeconds, jpeg, width, height),
        onFault: (reason, message) => this.fail(reason, message),
        onNotice: (message) => this.gstAudioNotice(message),
      },
      this.maxUnitBytes,
    );
    this.clock = new MediaClock(options.now);
    this.substreamClock = new MediaClock(options.now);
    this.crc = new FramecrcParser(
      (packet) => this.framecrcPacket(packet),
      (message) => this.fail('bad-stream', message),
    );
    this.pairer = new PacketPairer(
      (packet, data) => this.videoPacket(packet, data),
      (message) => this.fail('bad-stream', message),
      2 * this.maxUnitBytes,
    );
    this.adts = new AdtsSplitter(
      (frame) => {
        this.audioFrames.push(frame);
        this.pairAudio();
      },
      (message) => this.fail('bad-stream', message),
    );
    this.stills = new StillAssembler(
      (still) => this.still(still),
      (message) => this.report(new CameraError('bad-stream', message)),
    );
  }

  private get gst(): boolean {
    return this.client.name === 'gstreamer';
  }

  /** The RTSP client's program and its configured path. */
  private program(): Pick<ExitPolicy, 'program' | 'programPath'> {
    return this.gst
      ? { program: 'gstreamer', programPath: this.options.gstLaunchPath ?? 'gst-launch-1.0' }
      : { program: 'ffmpeg', programPath: this.options.ffmpegPath ?? 'ffmpeg' };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(onFrame: (frame: CameraFrame) => void, onError: (error: Error) => void): void {
    if (this.running) throw new Error(`rtsp camera ${this.cameraId} is already started`);
    this.onFrame = onFrame;
    this.onError = onError;
    this.running = true;
    this.spawn();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.retryTimer = this.stallTimer = null;
    const child = this.child;
    if (child) await child.stop(this.stopGraceMs);
    await this.stills.settled();
  }

  private spawn(): void {
    this.retryTimer = null;
    if (!this.running) return;
    this.starts++;
    // biome-ignore format: the list of parts
    for (const part of [this.crc, this.pairer, this.adts, this.stills, this.clock, this.substreamClock,
      this.gstOut])
      part.reset();
    this.gstStream = {};
    this.unitSeen = false;
    this.switchingToFfmpeg = false;
    this.fault = null;
    this.baseline = null;
    this.audioTimes = [];
    this.audioFrames = [];
    this.held = [];
    this.keyframeTimes = [];
    this.leading = null;
    this.led = false;
    if (this.gst) {
      this.spawnGst();
      return;
    }
    const args = passthroughArguments({
      url: this.url,
      transport: this.options.transport ?? 'tcp',
      stills: this.options.stills ?? 'keyframes',
      substream: this.options.substream,
      stillFps: this.options.stillFps ?? 2,
      stillWidth: this.options.stillWidth ?? 640,
      stillQuality: this.options.stillQuality ?? 4,
      audio: this.audioPlan,
    });
    const child = new FfmpegChild({
      path: this.program().programPath,
      args,
      extraPipes: 3,
      onData: (fd, chunk) => {
        if (this.child !== child || this.fault) return;
        if (fd === FD.video) this.pairer.pushBytes(chunk);
        else if (fd === FD.framecrc) this.crc.push(chunk.toString('latin1'));
        else if (fd === FD.audio) this.adts.push(chunk);
        else if (fd === FD.stills) this.stills.pushBytes(chunk);
      },
      onStderrLine: (line) => {
        if (this.child === child) this.stills.pushStderrLine(line);
      },
    });
    this.child = child;
    void child.exited.then((exit) => this.exited(child, exit));
    this.armStallTimer();
  }

  private spawnGst(): void {
    const args = gstPassthroughArguments({
      url: this.url,
      transport: this.options.transport ?? 'tcp',
      stills: this.options.stills === 'off' ? 'off' : 'keyframes',
      stillWidth: this.options.stillWidth ?? 640,
      stillQuality: this.options.stillQuality ?? 4,
      audio: this.audioPlan !== 'none',
    });
    const child = new FfmpegChild({
      path: this.program().programPath,
      args,
      extraPipes: GST_EXTRA_PIPES,
      onData: (fd, chunk) => {
        if (this.child === child && !this.fault) this.gstOut.push(fd, chunk);
      },
    });
    this.child = child;
    void child.exited.then((exit) => this.exited(child, exit));
    this.armStallTimer();
  }

  /**
   * Audio in a codec the GStreamer client does not take: with `auto`, this camera moves to ffmpeg
   * (which converts it); with `client: "gstreamer"` it is said once and video goes on.
   */
  private gstAudioNotice(message: string): void {
    if (!this.auto) {
      this.report(new CameraError('unsupported-codec', message));
      return;
    }
    this.report(
      new CameraError('unsupported-codec', `${message}; switching this camera to the ffmpeg client`),
    );
    this.useFfmpeg(`auto: the camera's audio is in a codec only ffmpeg converts`);
    this.switchingToFfmpeg = true;
    this.child?.kill('SIGKILL');
  }

  /** From now on this camera's RTSP client is ffmpeg (`auto` found GStreamer unable to serve it). */
  private useFfmpeg(why: string): void {
    this.client = { name: 'ffmpeg', why };
  }

  /** The main stream's description: from ffmpeg's framecrc header, or the GStreamer client's caps. */
  private videoStream(): FramecrcStream {
    return this.gst ? this.gstStream : (this.crc.streams.get(0) ?? {});
  }

  private framecrcPacket(packet: FramecrcPacket): void {
    const stream = this.crc.streams.get(packet.stream);
    if (stream?.mediaType === 'audio') {
      // Kept even before the first video unit: times and ADTS frames pair by order (dropped together).
      this.audioTimes.push(toMicros(packet.pts, stream.timeBase));
      this.pairAudio();
      return;
    }
    if (packet.stream !== 0) return;
    if (stream?.codec !== 'h264') {
      this.fail(
        'unsupported-codec',
        `the camera sends ${stream?.codec ?? 'an unknown codec'}; passthrough takes H.264 only (set mode "mjpeg" to re-encode it)`,
      );
      return;
    }
    this.pairer.pushPacket(packet);
  }

  private videoPacket(packet: FramecrcPacket, bytes: Uint8Array): void {
    let data = bytes;
    if (this.fault || !this.running) return;
    if (!startsWithStartCode(data)) {
      this.fail('bad-stream', 'an access unit does not start with a start code (outputs out of step)');
      return;
    }
    if (data.length > this.maxUnitBytes) {
      this.fail('bad-stream', `an access unit of ${data.length} bytes exceeds ${this.maxUnitBytes}`);
      return;
    }
    let nals = nalUnits(data);
    const keyframe = nals.some((nal) => nal.type === NAL_IDR);
    if (keyframe && nals.filter((nal) => nal.type === NAL_SPS || nal.type === NAL_PPS).length > 2) {
      // Stale session parameters in front of the camera's own (dump_extra after a change): a clip's
      // avcC and a viewer's decoder configuration must describe the new ones alone.
      data = withoutReplacedParameterSets(data);
      nals = nalUnits(data);
    }
    if (!this.baseline && !keyframe) return; // a decoder cannot start before the first IDR
    const stream = this.videoStream();
    if (keyframe) {
      const sps = nals.filter((nal) => nal.type === NAL_SPS).at(-1)?.data;
      if (!sps) {
        this.fail(
          'bad-stream',
          'a keyframe came without an SPS (the camera sent none, in band or in the SDP)',
        );
        return;
      }
      if (!this.baseline) {
        this.baseline = {
          sps: Uint8Array.from(sps),
          codecString: avcCodecString(sps),
          width: stream.width ?? 0,
          height: stream.height ?? 0,
        };
      } else if (!sameBytes(sps, this.baseline.sps)) {
        const was = `${this.baseline.codecString} ${this.baseline.width}x${this.baseline.height}`;
        this.fail(
          'stream-changed',
          `the camera's stream changed mid-stream (new H.264 parameters: resolution or profile; was ${was}, now ${avcCodecString(sps)}); restarting the pipeline`,
        );
        return;
      }
    }
    const ptsUs = toMicros(packet.pts, stream.timeBase);
    const unit: TimedUnit = { ptsUs, labelUs: ptsUs, data, keyframe, baseline: this.baseline! };
    this.failures = 0;
    this.lastError = null;
    this.unitSeen = true;
    this.armStallTimer();
    if (!this.led) {
      this.led = true;
      this.leading = unit;
      return;
    }
    const leading = this.leading;
    if (leading) {
      this.leading = null;
      // ffmpeg sometimes stamps a session's first unit 0 (seen under load: 2 s before the camera's
      // own timestamps that follow); a capture time from it would freeze a clip's first picture.
      const step = packet.duration > 0 ? toMicros(packet.duration, stream.timeBase) : DEFAULT_STEP_US;
      if (ptsUs - leading.ptsUs > LEADING_GAP_STEPS * step) leading.ptsUs = ptsUs - step;
      this.timed(leading);
    }
    this.timed(unit);
  }

  private timed(unit: TimedUnit): void {
    this.clock.observe(unit.ptsUs);
    if (this.direct()) this.deliverUnit(unit);
    else this.hold(() => this.deliverUnit(unit));
  }

  private deliverUnit(unit: TimedUnit): void {
    const capturedAtUs = this.clock.wallUs(unit.ptsUs);
    if (unit.keyframe) {
      this.keyframeTimes.push({ labelUs: unit.labelUs, capturedAtUs });
      if (this.keyframeTimes.length > KEYFRAME_TIMES) this.keyframeTimes.shift();
    }
    this.onFrame({
      kind: 'h264',
      cameraId: this.cameraId,
      capturedAtUs,
      capturedAt: Math.floor(capturedAtUs / 1000),
      data: unit.data,
      keyframe: unit.keyframe,
      width: unit.baseline.width,
      height: unit.baseline.height,
      codecString: unit.baseline.codecString,
    });
  }

  /**
   * Whether a delivery goes out now: the capture clock has settled and nothing is held before it.
   * The per-unit path once settled, which allocates no closure (see `hold`).
   */
  private direct(): boolean {
    if (this.clock.settled && this.held.length > 0) this.release();
    return this.clock.settled && this.running;
  }

  /** Keeps a delivery until the capture clock settles (in arrival order; at most MAX_HELD). */
  private hold(deliver: () => void): void {
    if (!this.running || (!this.clock.settled && this.held.length >= MAX_HELD)) return;
    this.held.push(deliver);
  }

  private release(): void {
    const due = this.held;
    this.held = [];
    for (const run of due) if (this.running) run();
  }

  private pairAudio(): void {
    while (this.audioTimes.length > 0 && this.audioFrames.length > 0)
      this.audioUnit(this.audioTimes.shift()!, this.audioFrames.shift()!);
    // One side far ahead of the other means the two audio outputs disagree.
    if (this.audioFrames.length > 500 || this.audioTimes.length > 500)
      this.fail('bad-stream', 'the audio stream and its packet list disagree');
  }

  private audioUnit(ptsUs: number, frame: AdtsFrame): void {
    // Before the first video unit there is no clock: dropped (a viewer starts at a keyframe anyway).
    if (!this.clock.started || !this.running) return;
    if (this.direct()) this.deliverAudio(ptsUs, frame);
    else this.hold(() => this.deliverAudio(ptsUs, frame));
  }

  private deliverAudio(ptsUs: number, frame: AdtsFrame): void {
    const capturedAtUs = Math.max(this.clock.peekUs(ptsUs)!, this.lastAudioUs + 1);
    this.lastAudioUs = capturedAtUs;
    this.onFrame({
      kind: 'aac',
      cameraId: this.cameraId,
      capturedAtUs,
      capturedAt: Math.floor(capturedAtUs / 1000),
      data: frame.data,
      sampleRate: frame.sampleRate,
      channels: frame.channels,
    });
  }

  private still(still: AssembledStill): void {
    if (!this.running) return;
    const ptsUs = still.ptsSeconds * 1_000_000;
    if (this.options.substream !== undefined) {
      // A substream has its own timeline and clock (stills only: nothing to hold them for).
      this.substreamClock.observe(ptsUs);
      this.deliverStill(still, this.substreamClock.wallUs(ptsUs));
      return;
    }
    if (!this.clock.started) return;
    const deliver = () => {
      // A keyframe's still carries that keyframe's capture time exactly (showinfo's time is rounded).
      const keyframe = this.keyframeTimes.find((known) => Math.abs(known.labelUs - ptsUs) < 1000);
      this.deliverStill(still, keyframe?.capturedAtUs ?? this.clock.peekUs(ptsUs)!);
    };
    if (this.direct()) deliver();
    else this.hold(deliver);
  }

  private deliverStill(still: AssembledStill, us: number): void {
    this.onFrame({
      kind: 'still',
      cameraId: this.cameraId,
      capturedAt: Math.floor(us / 1000),
      jpeg: still.jpeg,
      width: still.width,
      height: still.height,
      luma: still.luma,
    });
  }

  private armStallTimer(): void {
    // Called for every unit: refreshing the same timer allocates nothing.
    if (this.stallTimer) {
      this.stallTimer.refresh();
      return;
    }
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      if (!this.running || !this.child) return;
      const hint =
        this.gst && !this.unitSeen
          ? ' (with client "gstreamer": the camera sent nothing, or nothing its pipeline takes)'
          : '';
      this.fail('stalled', `no video for ${formatDuration(this.stallTimeoutMs)}${hint}`);
    }, this.stallTimeoutMs);
  }

  /** Ends the current ffmpeg for a fault seen on this side; reported once it has exited. */
  private fail(reason: CameraErrorReason, message: string): void {
    if (this.fault || !this.child) return;
    this.fault = new CameraError(reason, message);
    this.child.kill('SIGKILL');
  }

  private exited(child: FfmpegChild, exit: FfmpegExit): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    if (!this.running) return;
    const said = this.gst && this.auto && !this.fault ? GST_REFUSED.exec(exit.stderr)?.[0] : undefined;
    if (said) {
      // `auto` checked that the elements exist; this GStreamer still refuses the pipeline (an older
      // release without a property): the camera is served by ffmpeg instead, at once. The text goes
      // to the log and the status file: without the URL's credentials, should GStreamer quote them.
      const refused = redactSecrets(said, this.url);
      this.useFfmpeg(`auto: GStreamer refused the pipeline (${refused})`);
      this.report(
        new CameraError(
          'exited',
          `GStreamer refused the pipeline (${refused}); switching this camera to the ffmpeg client`,
        ),
      );
      this.retryTimer = setTimeout(() => this.spawn(), 0);
      return;
    }
    if (this.switchingToFfmpeg) {
      this.switchingToFfmpeg = false;
      this.retryTimer = setTimeout(() => this.spawn(), 0);
      return;
    }
    const verdict = exitVerdict(exit, this.fault, this.failures, this.audioPlan, {
      ...this.policy,
      ...this.program(),
    });
    if (verdict.kind === 'audio') {
      this.audioPlan = verdict.plan;
      this.retryTimer = setTimeout(() => this.spawn(), 0);
      return;
    }
    if (verdict.failure) this.failures++;
    this.report(verdict.error);
    this.retryTimer = setTimeout(() => this.spawn(), verdict.delay);
  }

  private report(error: CameraError): void {
    if (!this.running) return;
    const message = redactSecrets(
      `rtsp camera ${this.cameraId} (${this.safeUrl}): ${error.message}`,
      this.url,
    );
    this.lastError = new CameraError(error.reason, message, error.retryInMs);
    this.onError(this.lastError);
  }
}

/** The RTSP client a camera's options ask for, or (auto) the one that serves it here with the least delay. */
function chooseClient(options: RtspPassthroughOptions): RtspPassthroughCamera['client'] {
  const client = options.client ?? 'auto';
  if (client !== 'auto') return { name: client, why: 'configured' };
  if (options.substream !== undefined || options.stills === 'decode')
    return { name: 'ffmpeg', why: 'auto: a substream or stills "decode" needs ffmpeg' };
  // ffmpeg and rtspsrc differ on these (certificate checks, reordering over UDP at latency 0; a chosen ffmpeg).
  if (/^rtsps:/i.test(options.url)) return { name: 'ffmpeg', why: 'auto: rtsps:// stays with ffmpeg' };
  if (options.transport === 'udp') return { name: 'ffmpeg', why: 'auto: transport "udp" stays with ffmpeg' };
  if (options.ffmpegPath !== undefined) return { name: 'ffmpeg', why: 'auto: ffmpegPath is set' };
  const gst = gstreamerAvailable(options.gstLaunchPath);
  return gst.ok
    ? { name: 'gstreamer', why: 'auto: GStreamer is installed' }
    : { name: 'ffmpeg', why: `auto: GStreamer not usable (${gst.why})` };
}
