import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { STREAM_ID_TEXT_PATTERN } from '@sealcam/protocol';
import { Ajv } from 'ajv';
import type { CameraSourceConfig } from './camera/create-source.js';
import { AgentError } from './errors.js';
import type { CaptureOptions } from './motion/capture-options.js';
import type { MotionDetectorOptions } from './motion/detector.js';
import { checkConfiguredNames } from './sharing/device-profile.js';

export type CameraConfig = CameraSourceConfig & {
  /** The name viewers see (sealed, PROTOCOL.md §9.3); default: the camera's id. The owner can rename it. */
  readonly displayName?: string;
  /** Record motion events for this camera (default true). */
  readonly events?: boolean;
  readonly motion?: Partial<MotionDetectorOptions>;
  readonly clip?: Partial<Omit<CaptureOptions, 'motion'>>;
};

export interface AgentConfig {
  readonly relayUrl: string;
  /**
   * Where viewers open the web app, for pairing links (<appUrl>/pair#<code>): the app's own origin
   * when it is not served by the relay (docs/THREAT-MODEL.md, the web app). Default: relayUrl.
   */
  readonly appUrl: string;
  readonly stateDir: string;
  /** Live keys rotate this often; they also rotate at once when the viewer set changes. */
  readonly rotateKeysSeconds: number;
  /** One live frame per interval is flagged as a keyframe (the relay caches it for late joiners). */
  readonly keyframeIntervalSeconds: number;
  /** Disk the outbox may use; beyond it the oldest undelivered events are evicted (logged). */
  readonly outboxMaxBytes: number;
  /** How often the owner's grants and revocations are fetched even without a relay notice. */
  readonly inboxPollSeconds: number;
  /** Longest wait between two attempts to reach the relay (exponential backoff with full jitter). */
  readonly retryMaxDelaySeconds: number;
  readonly cameras: readonly CameraConfig[];
  /** The gateway's name viewers see (sealed); unset: each viewer keeps its own label. */
  readonly gatewayName?: string;
}

export const DEFAULT_STATE_DIR = join(homedir(), '.sealcam-agent');

const DEFAULTS = {
  relayUrl: 'http://127.0.0.1:8080',
  rotateKeysSeconds: 600,
  keyframeIntervalSeconds: 2,
  outboxMaxBytes: 1024 * 1024 * 1024,
  inboxPollSeconds: 60,
  retryMaxDelaySeconds: 60,
  cameras: [{ id: 'synthetic-1', source: 'synthetic' }],
};

/** Environment variables, each overriding the file's field of the same meaning. */
export const ENVIRONMENT = {
  SEALCAM_AGENT_CONFIG: 'path of the JSON configuration file (default: <stateDir>/config.json)',
  SEALCAM_AGENT_STATE_DIR: `state directory (default: ${DEFAULT_STATE_DIR})`,
  SEALCAM_RELAY_URL: `relay URL, http(s)://host[:port] (default: ${DEFAULTS.relayUrl})`,
  SEALCAM_APP_URL: 'web app URL for pairing links, http(s)://host[:port] (default: the relay URL)',
  SEALCAM_AGENT_LOG_LEVEL: 'pino log level: fatal, error, warn, info (default), debug, trace, silent',
} as const;

const streamId = { type: 'string', pattern: STREAM_ID_TEXT_PATTERN };
const seconds = (max: number) => ({ type: 'number', minimum: 0, maximum: max });
const motionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    threshold: { type: 'number', minimum: 1, maximum: 255 },
    minArea: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    cooldownSeconds: seconds(86_400),
    endAfterSeconds: seconds(3600),
    backgroundSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
  },
};
const clipSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    preRollSeconds: seconds(60),
    postRollSeconds: seconds(600),
    maxEventSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
    maxEventBytes: { type: 'integer', minimum: 1, maximum: 1024 * 1024 * 1024 },
  },
};
const displayName = { type: 'string', minLength: 1, maxLength: 64 };
const common = {
  id: streamId,
  displayName,
  events: { type: 'boolean' },
  motion: motionSchema,
  clip: clipSchema,
  fps: { type: 'number', exclusiveMinimum: 0, maximum: 60 },
};
const size = { type: 'integer', minimum: 16, maximum: 7680 };
const cameraSchemas = {
  synthetic: {
    ...common,
    source: { const: 'synthetic' },
    width: { type: 'integer', minimum: 64, maximum: 7680 },
    height: { type: 'integer', minimum: 36, maximum: 4320 },
    quality: { type: 'integer', minimum: 1, maximum: 100 },
    motionEverySeconds: { type: 'number', exclusiveMinimum: 0 },
    motionSeconds: { type: 'number', minimum: 0 },
    name: { type: 'string', maxLength: 64 },
    colour: {
      type: 'array',
      items: { type: 'integer', minimum: 0, maximum: 255 },
      minItems: 3,
      maxItems: 3,
    },
    codec: { enum: ['jpeg', 'h264'] },
    audio: { type: 'boolean' },
    stillEveryMs: { type: 'number', minimum: 50, maximum: 60_000 },
    keyframeSeconds: { type: 'number', minimum: 0.1, maximum: 60 },
    ffmpegPath: { type: 'string', minLength: 1 },
  },
  folder: {
    ...common,
    source: { const: 'folder' },
    path: { type: 'string', minLength: 1 },
    quality: { type: 'integer', minimum: 1, maximum: 100 },
  },
  mjpeg: {
    ...common,
    source: { const: 'mjpeg' },
    url: { type: 'string', pattern: '^https?://' },
    rejectUnauthorized: { type: 'boolean' },
  },
  rtsp: {
    ...common,
    source: { const: 'rtsp' },
    url: { type: 'string', pattern: '^rtsps?://' },
    width: size,
    height: size,
    transport: { enum: ['tcp', 'udp'] },
    jpegQuality: { type: 'integer', minimum: 2, maximum: 31 },
    ffmpegPath: { type: 'string', minLength: 1 },
    mode: { enum: ['passthrough', 'mjpeg'] },
    client: { enum: ['auto', 'ffmpeg', 'gstreamer'] },
    gstLaunchPath: { type: 'string', minLength: 1 },
    stills: { enum: ['keyframes', 'decode', 'off'] },
    substream: { type: 'string', pattern: '^rtsps?://' },
    stillFps: { type: 'number', exclusiveMinimum: 0, maximum: 30 },
    stillWidth: size,
    stillQuality: { type: 'integer', minimum: 2, maximum: 31 },
    audio: { type: 'boolean' },
    authRetryMs: { type: 'integer', minimum: 1000, maximum: 86_400_000 },
  },
};
const required = { synthetic: [], folder: ['path'], mjpeg: ['url'], rtsp: ['url'] } as const;

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    relayUrl: { type: 'string', pattern: '^https?://[^\\s#/]+(/[^\\s#]*[^\\s#/])?$' },
    appUrl: { type: 'string', pattern: '^https?://[^\\s#/]+(/[^\\s#]*[^\\s#/])?$' },
    stateDir: { type: 'string', minLength: 1 },
    rotateKeysSeconds: { type: 'number', minimum: 10, maximum: 86_400 },
    keyframeIntervalSeconds: { type: 'number', minimum: 0.1, maximum: 600 },
    outboxMaxBytes: { type: 'integer', minimum: 1024 * 1024 },
    inboxPollSeconds: { type: 'number', minimum: 1, maximum: 3600 },
    retryMaxDelaySeconds: { type: 'number', minimum: 1, maximum: 3600 },
    gatewayName: displayName,
    cameras: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        required: ['id', 'source'],
        properties: { source: { enum: Object.keys(cameraSchemas) } },
        oneOf: Object.entries(cameraSchemas).map(([source, properties]) => ({
          properties,
          required: ['id', 'source', ...required[source as keyof typeof required]],
          additionalProperties: false,
        })),
      },
    },
  },
};

const validate = new Ajv({ allErrors: false, strict: false }).compile(schema);

export interface ConfigInputs {
  /** --config */
  readonly configPath?: string | undefined;
  /** --state */
  readonly stateDir?: string | undefined;
  /** --relay */
  readonly relayUrl?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Flags over environment over the configuration file over defaults. The file is JSON; every field
 * is checked and an unknown or invalid one is refused with its path.
 */
export function loadConfig(inputs: ConfigInputs = {}): AgentConfig & { readonly configPath: string } {
  const env = inputs.env ?? process.env;
  const explicitPath = inputs.configPath ?? env.SEALCAM_AGENT_CONFIG;
  const guessedState = resolve(inputs.stateDir ?? env.SEALCAM_AGENT_STATE_DIR ?? DEFAULT_STATE_DIR);
  const configPath = resolve(explicitPath ?? join(guessedState, 'config.json'));
  let file: Record<string, unknown> = {};
  try {
    file = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || explicitPath)
      throw new AgentError(
        'BAD_CONFIG',
        code === 'ENOENT'
          ? `configuration file ${configPath} does not exist`
          : `configuration file ${configPath}: ${(error as Error).message}`,
      );
  }
  if (!validate(file)) {
    const [first] = validate.errors ?? [];
    throw new AgentError(
      'BAD_CONFIG',
      `configuration file ${configPath}: ${first?.instancePath || '(top level)'} ${first?.message ?? 'is invalid'}`,
    );
  }
  const merged = { ...DEFAULTS, ...file } as unknown as AgentConfig;
  const relayUrl = inputs.relayUrl ?? env.SEALCAM_RELAY_URL ?? merged.relayUrl;
  if (!/^https?:\/\/[^\s#/]+(\/[^\s#]*[^\s#/])?$/.test(relayUrl))
    throw new AgentError(
      'BAD_CONFIG',
      `relay URL "${relayUrl}" must be http(s)://host[:port] without a trailing slash`,
    );
  const appUrl = env.SEALCAM_APP_URL ?? (file.appUrl as string | undefined) ?? relayUrl;
  if (!/^https?:\/\/[^\s#/]+(\/[^\s#]*[^\s#/])?$/.test(appUrl))
    throw new AgentError(
      'BAD_CONFIG',
      `app URL "${appUrl}" must be http(s)://host[:port] without a trailing slash`,
    );
  const stateDir = resolve(
    inputs.stateDir ?? env.SEALCAM_AGENT_STATE_DIR ?? (file.stateDir as string | undefined) ?? guessedState,
  );
  const ids = new Set<string>();
  for (const camera of merged.cameras) {
    if (ids.has(camera.id)) throw new AgentError('BAD_CONFIG', `camera id "${camera.id}" is used twice`);
    ids.add(camera.id);
  }
  try {
    checkConfiguredNames(merged);
  } catch (error) {
    throw new AgentError('BAD_CONFIG', `configuration file ${configPath}: ${(error as Error).message}`);
  }
  return { ...merged, relayUrl, appUrl, stateDir, configPath };
}
