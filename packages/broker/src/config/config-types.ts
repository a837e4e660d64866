/**
 * Vocabulary shared by topic and broker configuration: value types and sources exactly as
 * DescribeConfigs carries them on the wire.
 */

/** DescribeConfigs ConfigType (v3+). */
export const ConfigType = {
  unknown: 0,
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
} as const;
export type ConfigTypeValue = (typeof ConfigType)[keyof typeof ConfigType];

/** DescribeConfigs / CreateTopics ConfigSource (v1+), as Kafka numbers it on the wire
 *  (DescribeConfigsResponse.ConfigSource: TOPIC_CONFIG 1 … DEFAULT_CONFIG 5, BROKER_LOGGER 6),
 *  which is not the order of the Admin client's ConfigEntry.ConfigSource enum. */
export const ConfigSource = {
  unknown: 0,
  dynamicTopic: 1,
  dynamicBroker: 2,
  dynamicDefaultBroker: 3,
  staticBroker: 4,
  default: 5,
  dynamicBrokerLogger: 6,
} as const;
export type ConfigSourceValue = (typeof ConfigSource)[keyof typeof ConfigSource];

/** DescribeConfigs / AlterConfigs resource types. */
export const ConfigResourceType = {
  unknown: 0,
  topic: 2,
  broker: 4,
  brokerLogger: 8,
  clientMetrics: 16,
  group: 32,
} as const;

export class ConfigError extends Error {
  /** INVALID_CONFIG (40) unless said otherwise. */
  readonly code: number;
  readonly retriable = false;
  constructor(message: string, code = 40) {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
  }
}

const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;

/** Checks that `value` parses as `type` and lies in [min, max]; throws ConfigError otherwise. */
export function validateConfigValue(
  name: string,
  type: ConfigTypeValue,
  value: string,
  range?: { min?: number; max?: number; choices?: readonly string[] },
): void {
  const fail = (why: string): never => {
    throw new ConfigError(`Invalid value ${value} for configuration ${name}: ${why}`);
  };
  switch (type) {
    case ConfigType.boolean:
      if (value !== 'true' && value !== 'false') fail('expected true or false');
      return;
    case ConfigType.int:
    case ConfigType.short:
    case ConfigType.long: {
      if (!/^-?\d+$/.test(value.trim())) fail('not a whole number');
      const big = BigInt(value.trim());
      const bounds: Record<number, [bigint, bigint]> = {
        [ConfigType.int]: [-2147483648n, 2147483647n],
        [ConfigType.short]: [-32768n, 32767n],
        [ConfigType.long]: [LONG_MIN, LONG_MAX],
      };
      const [low, high] = bounds[type];
      if (big < low || big > high) fail('out of range for its type');
      if (range?.min !== undefined && big < BigInt(range.min)) fail(`must be at least ${range.min}`);
      if (range?.max !== undefined && big > BigInt(range.max)) fail(`must be at most ${range.max}`);
      return;
    }
    case ConfigType.double: {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number)) fail('not a number');
      if (range?.min !== undefined && number < range.min) fail(`must be at least ${range.min}`);
      if (range?.max !== undefined && number > range.max) fail(`must be at most ${range.max}`);
      return;
    }
    default:
      if (range?.choices) {
        const items = type === ConfigType.list ? value.split(',').map((item) => item.trim()) : [value];
        for (const item of items) if (!range.choices.includes(item)) fail(`must be one of ${range.choices.join(', ')}`);
      }
  }
}

/** A long config value as a JS number, saturating Long.MAX_VALUE to Number.MAX_SAFE_INTEGER. */
export function longValue(value: string): number {
  const big = BigInt(value.trim());
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (big < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(big);
}
