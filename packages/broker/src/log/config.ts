/**
 * Topic-level log configuration: Kafka's defaults, parsing of Kafka's string-keyed topic
 * configs (as AlterConfigs / CreateTopics carry them), and validation.
 */
import type { CleanupPolicy, LogConfig, TimestampType } from './api.ts';
import { LogError, LogErrorCode } from './errors.ts';

/** Kafka uses Long.MAX_VALUE for "no limit"; numbers stay exact up to 2^53, which is enough. */
export const UNLIMITED_MS = Number.MAX_SAFE_INTEGER;
const INT32_MAX = 2 ** 31 - 1;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: UNLIMITED_MS,
  minCleanableDirtyRatio: 0.5,
  maxMessageBytes: 1024 * 1024 + 12,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: UNLIMITED_MS,
  messageTimestampAfterMaxMs: UNLIMITED_MS,
  flushMessages: UNLIMITED_MS,
  flushMs: UNLIMITED_MS,
  fileDeleteDelayMs: 60_000,
  preallocate: false,
} satisfies LogConfig);

type Parser = (value: string, key: string) => unknown;

function invalid(key: string, value: string, why: string): never {
  throw new LogError(LogErrorCode.INVALID_CONFIG, `invalid value ${JSON.stringify(value)} for ${key}: ${why}`);
}

function longParser(min: number, max = Number.MAX_SAFE_INTEGER): Parser {
  return (value, key) => {
    if (!/^-?\d+$/.test(value.trim())) invalid(key, value, 'not an integer');
    const parsed = Number(value.trim());
    // Kafka's Long.MAX_VALUE and friends exceed 2^53: clamp to our "unlimited".
    const clamped = parsed > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : parsed;
    if (clamped < min || clamped > max) invalid(key, value, `must be in [${min}, ${max}]`);
    return clamped;
  };
}

const doubleParser: Parser = (value, key) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) invalid(key, value, 'must be in [0, 1]');
  return parsed;
};

const cleanupPolicyParser: Parser = (value, key) => {
  const parts = value.split(',').map((part) => part.trim()).filter(Boolean);
  const set = new Set(parts);
  for (const part of set) if (part !== 'delete' && part !== 'compact') invalid(key, value, 'expected delete and/or compact');
  if (set.size === 0) invalid(key, value, 'empty');
  const policy: CleanupPolicy = set.has('compact') ? (set.has('delete') ? 'compact,delete' : 'compact') : 'delete';
  return policy;
};

const timestampTypeParser: Parser = (value, key) => {
  if (value !== 'CreateTime' && value !== 'LogAppendTime') invalid(key, value, 'expected CreateTime or LogAppendTime');
  return value as TimestampType;
};

const booleanParser: Parser = (value, key) => {
  if (value !== 'true' && value !== 'false') invalid(key, value, 'expected true or false');
  return value === 'true';
};

/** Kafka topic config key → (field, parser). Keys Kafka knows but the log ignores are absent. */
const TOPIC_CONFIG_KEYS: Record<string, [keyof LogConfig, Parser]> = {
  'segment.bytes': ['segmentBytes', longParser(14, INT32_MAX)],
  'segment.ms': ['segmentMs', longParser(1)],
  'segment.jitter.ms': ['segmentJitterMs', longParser(0)],
  'index.interval.bytes': ['indexIntervalBytes', longParser(0, INT32_MAX)],
  'segment.index.bytes': ['segmentIndexBytes', longParser(4, INT32_MAX)],
  'retention.ms': ['retentionMs', longParser(-1)],
  'retention.bytes': ['retentionBytes', longParser(-1)],
  'cleanup.policy': ['cleanupPolicy', cleanupPolicyParser],
  'delete.retention.ms': ['deleteRetentionMs', longParser(0)],
  'min.compaction.lag.ms': ['minCompactionLagMs', longParser(0)],
  'max.compaction.lag.ms': ['maxCompactionLagMs', longParser(1)],
  'min.cleanable.dirty.ratio': ['minCleanableDirtyRatio', doubleParser],
  'max.message.bytes': ['maxMessageBytes', longParser(0, INT32_MAX)],
  'message.timestamp.type': ['messageTimestampType', timestampTypeParser],
  'message.timestamp.before.max.ms': ['messageTimestampBeforeMaxMs', longParser(0)],
  'message.timestamp.after.max.ms': ['messageTimestampAfterMaxMs', longParser(0)],
  // The older single bound applies to both directions.
  'message.timestamp.difference.max.ms': ['messageTimestampBeforeMaxMs', longParser(0)],
  'flush.messages': ['flushMessages', longParser(1)],
  'flush.ms': ['flushMs', longParser(0)],
  'file.delete.delay.ms': ['fileDeleteDelayMs', longParser(0)],
  'preallocate': ['preallocate', booleanParser],
};

/** The Kafka topic config keys the log understands. */
export const LOG_CONFIG_KEYS: readonly string[] = Object.keys(TOPIC_CONFIG_KEYS);

/**
 * Parses Kafka topic configs (`{"retention.ms": "1000"}`) into LogConfig overrides. Unknown keys
 * are ignored (other layers own them, e.g. min.insync.replicas); a bad value throws INVALID_CONFIG.
 * Null values (AlterConfigs DELETE) are skipped: callers remove the override instead.
 */
export function logConfigFromProperties(properties: Record<string, string | null | undefined>): Partial<LogConfig> {
  const overrides: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    const entry = TOPIC_CONFIG_KEYS[key];
    if (!entry || value === null || value === undefined) continue;
    const [field, parse] = entry;
    overrides[field] = parse(value, key);
    if (key === 'message.timestamp.difference.max.ms') overrides.messageTimestampAfterMaxMs = overrides[field];
  }
  return overrides as Partial<LogConfig>;
}

/** LogConfig → Kafka's string form (DescribeConfigs). */
export function logConfigToProperties(config: LogConfig): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [key, [field]] of Object.entries(TOPIC_CONFIG_KEYS)) {
    if (key === 'message.timestamp.difference.max.ms') continue;
    const value = config[field];
    properties[key] = value === Number.MAX_SAFE_INTEGER ? '9223372036854775807' : String(value);
  }
  return properties;
}

/** Defaults, then broker overrides, then topic overrides; validated. */
export function resolveLogConfig(...layers: (Partial<LogConfig> | undefined)[]): LogConfig {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  validateLogConfig(config);
  return config;
}

export function validateLogConfig(config: LogConfig): void {
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new LogError(LogErrorCode.INVALID_CONFIG, `invalid log config: ${what}`);
  };
  check(Number.isInteger(config.segmentBytes) && config.segmentBytes >= 14 && config.segmentBytes <= INT32_MAX, 'segment.bytes');
  check(config.segmentMs >= 1, 'segment.ms');
  check(config.indexIntervalBytes >= 0, 'index.interval.bytes');
  check(config.segmentIndexBytes >= 12, 'segment.index.bytes');
  check(config.retentionMs >= -1 && config.retentionBytes >= -1, 'retention');
  check(config.maxMessageBytes >= 0, 'max.message.bytes');
  check(config.flushMessages >= 1 && config.flushMs >= 0, 'flush');
  check(['delete', 'compact', 'compact,delete'].includes(config.cleanupPolicy), 'cleanup.policy');
  check(config.messageTimestampType === 'CreateTime' || config.messageTimestampType === 'LogAppendTime', 'message.timestamp.type');
}

export function isCompacted(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'delete';
}

export function hasDeleteRetention(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'compact';
}
