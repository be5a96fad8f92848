import { readFileSync } from 'node:fs';
import envSchema from 'env-schema';
import { OPTIONS, type OptionName, type OptionSpec } from './options.js';

export interface RelayConfig {
  readonly host: string;
  readonly port: number;
  readonly publicOrigin: string | null;
  readonly store: 'memory' | 'redis';
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  readonly memoryMaxBytes: number;
  readonly retentionSeconds: number;
  readonly deviceQuotaBytes: number;
  readonly tokenSecret: string | null;
  readonly tokenTtlSeconds: number;
  readonly challengeTtlSeconds: number;
  readonly maxConnections: number;
  readonly handshakeRate: number;
  readonly handshakeBurst: number;
  readonly retryAfterSeconds: number;
  readonly requestsPerSecond: number;
  readonly wsMessagesPerSecond: number;
  readonly viewerMessagesPerSecond: number;
  readonly challengesPerSecondPerSource: number;
  readonly trustProxy: boolean;
  readonly connectionsPerIdentity: number;
  readonly maxFrameBytes: number;
  readonly maxObjectBytes: number;
  readonly viewerQueueBytes: number;
  readonly webRoot: string | null;
  readonly subscriptionsPerConnection: number;
  readonly logLevel: string;
  readonly shutdownGraceSeconds: number;
  readonly faultInjection: 'off' | 'mixup';
  readonly faultRate: number;
}

function schema() {
  const properties: Record<string, unknown> = {};
  for (const spec of Object.values(OPTIONS) as OptionSpec[]) {
    const property: Record<string, unknown> = {
      type: spec.default === null ? [spec.type, 'null'] : spec.type,
    };
    property.default = spec.default;
    if (spec.minimum !== undefined) property.minimum = spec.minimum;
    if (spec.maximum !== undefined) property.maximum = spec.maximum;
    if (spec.enum) property.enum = spec.default === null ? [...spec.enum, null] : spec.enum;
    properties[spec.env] = property;
  }
  return { type: 'object', properties, additionalProperties: true };
}

/**
 * Configuration from (lowest to highest precedence) defaults, a JSON file named by
 * SEALCAM_RELAY_CONFIG (keys are the option names, e.g. "port"), and the environment.
 * Invalid values stop the relay with a message naming the variable.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<RelayConfig> = {},
): RelayConfig {
  const fromFile: Record<string, unknown> = {};
  const file = env.SEALCAM_RELAY_CONFIG;
  if (file) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [name, value] of Object.entries(parsed)) {
      const spec = OPTIONS[name as OptionName];
      if (!spec) throw new Error(`config file ${file}: unknown option "${name}"`);
      fromFile[spec.env] = value;
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const spec of Object.values(OPTIONS)) {
    if (env[spec.env] !== undefined) fromEnv[spec.env] = env[spec.env];
  }
  const validated = envSchema<Record<string, unknown>>({
    schema: schema(),
    data: [fromFile, fromEnv],
    env: false,
    dotenv: false,
  });
  const config: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(OPTIONS)) config[name] = validated[spec.env] ?? null;
  return { ...(config as unknown as RelayConfig), ...overrides };
}

export function originOf(config: RelayConfig, boundPort: number): string {
  return (
    config.publicOrigin ??
    `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`
  );
}
