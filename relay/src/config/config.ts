import { readFileSync } from 'node:fs';
import envSchema from 'env-schema';
import { parseTrustProxy } from '../http/trusted-proxies.js';
import { OPTIONS, type OptionName, type OptionSpec } from './options.js';

type Spec<K extends OptionName> = (typeof OPTIONS)[K];
/** The value type an option's spec describes: its enum, or its JSON type; null when the default is null. */
type ValueOf<S> =
  | (S extends { readonly enum: readonly (infer E)[] }
      ? E
      : S extends { readonly type: 'string' }
        ? string
        : S extends { readonly type: 'boolean' }
          ? boolean
          : number)
  | (S extends { readonly default: null } ? null : never);

/** The relay's configuration, derived from the options table (options.ts): one entry per option. */
export type RelayConfig = { readonly [K in OptionName]: ValueOf<Spec<K>> };

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

function specOf(name: string, where: string): OptionSpec {
  if (!Object.hasOwn(OPTIONS, name)) throw new Error(`${where}: unknown option "${name}"`);
  return OPTIONS[name as OptionName];
}

/** Option values keyed by option name, re-keyed by environment variable for validation. */
function byVariable(values: Record<string, unknown>, where: string): Record<string, unknown> {
  const keyed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) keyed[specOf(name, where).env] = value;
  }
  return keyed;
}

/** Whether a validated value fits its option's spec (what env-schema guaranteed, checked for the type). */
function fits(spec: OptionSpec, value: unknown): boolean {
  if (value === null) return spec.default === null;
  if (spec.enum) return spec.enum.includes(value as string);
  if (spec.type === 'integer' || spec.type === 'number') return typeof value === 'number';
  return typeof value === spec.type;
}

function isRelayConfig(value: Record<string, unknown>): value is RelayConfig {
  return (Object.keys(OPTIONS) as OptionName[]).every((name) => fits(OPTIONS[name], value[name]));
}

/**
 * Configuration from (lowest to highest precedence) defaults, a JSON file named by
 * SEALCAM_RELAY_CONFIG (keys are the option names, e.g. "port"), the environment, and programmatic
 * overrides (option names). All of them are validated alike: an invalid value stops the relay with a
 * message naming the variable.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<RelayConfig> = {},
): RelayConfig {
  let fromFile: Record<string, unknown> = {};
  const file = env.SEALCAM_RELAY_CONFIG;
  if (file) {
    fromFile = byVariable(
      JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>,
      `config file ${file}`,
    );
  }
  const fromEnv: Record<string, unknown> = {};
  for (const spec of Object.values(OPTIONS)) {
    if (env[spec.env] !== undefined) fromEnv[spec.env] = env[spec.env];
  }
  const validated = envSchema<Record<string, unknown>>({
    schema: schema(),
    data: [fromFile, fromEnv, byVariable(overrides, 'override')],
    env: false,
    dotenv: false,
  });
  const config: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(OPTIONS)) config[name] = validated[spec.env] ?? null;
  if (!isRelayConfig(config)) throw new Error('configuration does not match the options table');
  checkDeviceQuota(config);
  parseTrustProxy(config.trustProxy);
  // A connected device renews its card only when it authenticates again (at its token's expiry).
  if (config.identityTtlSeconds < config.tokenTtlSeconds) {
    throw new Error(
      `SEALCAM_IDENTITY_TTL_SECONDS (${config.identityTtlSeconds}) must be at least SEALCAM_TOKEN_TTL_SECONDS (${config.tokenTtlSeconds}): a connected device's card would expire before it authenticates again`,
    );
  }
  return config;
}

/** Bytes one device may store: the configured quota, or a sixteenth of the store. */
export function deviceQuotaOf(config: Pick<RelayConfig, 'deviceQuotaBytes' | 'storeMaxBytes'>): number {
  return config.deviceQuotaBytes ?? Math.floor(config.storeMaxBytes / 16);
}

/**
 * What the devices of one source address may store together: identities are free, addresses are
 * not, so this, not the per-device quota, is what one stranger can take (fair-share.ts).
 */
export function addressQuotaOf(config: Pick<RelayConfig, 'addressQuotaBytes' | 'storeMaxBytes'>): number {
  return config.addressQuotaBytes ?? Math.floor(config.storeMaxBytes / 8);
}

/** One device, or one address, may never take more than half of the store (else it alone could fill it). */
function checkDeviceQuota(config: RelayConfig): void {
  if (config.deviceQuotaBytes !== null && config.deviceQuotaBytes > config.storeMaxBytes / 2) {
    throw new Error(
      `SEALCAM_DEVICE_QUOTA_BYTES (${config.deviceQuotaBytes}) must be at most half of SEALCAM_STORE_MAX_BYTES (${config.storeMaxBytes})`,
    );
  }
  if (config.addressQuotaBytes !== null && config.addressQuotaBytes > config.storeMaxBytes / 2) {
    throw new Error(
      `SEALCAM_ADDRESS_QUOTA_BYTES (${config.addressQuotaBytes}) must be at most half of SEALCAM_STORE_MAX_BYTES (${config.storeMaxBytes})`,
    );
  }
}

export function originOf(config: RelayConfig, boundPort: number): string {
  return (
    config.publicOrigin ??
    `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`
  );
}
