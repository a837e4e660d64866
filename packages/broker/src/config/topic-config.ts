/**
 * Every standard Kafka topic configuration, with Kafka's default, its type, what it means (in
 * our words), and the broker-level settings it falls back to (its "synonyms", most specific
 * first, with the unit conversion Kafka applies: log.retention.hours → retention.ms).
 */
import type { LogConfig } from '../log/api.ts';
import { ConfigType, longValue, validateConfigValue, type ConfigTypeValue } from './config-types.ts';

export interface BrokerSynonym {
  name: string;
  /** Multiplier from the broker setting's unit to the topic setting's (hours → ms). */
  scale?: number;
}

export interface TopicConfigDefinition {
  name: string;
  type: ConfigTypeValue;
  /** Kafka's default, as DescribeConfigs prints it. */
  defaultValue: string;
  documentation: string;
  /** Broker settings that provide the value when the topic does not override it. */
  synonyms: readonly BrokerSynonym[];
  range?: { min?: number; max?: number; choices?: readonly string[] };
  /** Where the value goes in the log's configuration, when the log cares. */
  applyToLog?: (value: string, config: Partial<LogConfig>) => void;
}

const LONG_MAX = '9223372036854775807';
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

const long = (field: keyof LogConfig) => (value: string, config: Partial<LogConfig>) => {
  (config as Record<string, unknown>)[field] = longValue(value);
};
const bool = (field: keyof LogConfig) => (value: string, config: Partial<LogConfig>) => {
  (config as Record<string, unknown>)[field] = value === 'true';
};

export const TOPIC_CONFIGS: readonly TopicConfigDefinition[] = [
  {
    name: 'cleanup.policy', type: ConfigType.list, defaultValue: 'delete',
    documentation: 'What happens to old segments: "delete" removes them once past retention, "compact" keeps only the latest record per key; both may be given.',
    synonyms: [{ name: 'log.cleanup.policy' }], range: { choices: ['delete', 'compact'] },
    applyToLog: (value, config) => {
      const parts = new Set(value.split(',').map((part) => part.trim()));
      config.cleanupPolicy = parts.has('compact') ? (parts.has('delete') ? 'compact,delete' : 'compact') : 'delete';
    },
  },
  {
    name: 'compression.type', type: ConfigType.string, defaultValue: 'producer',
    documentation: 'Compression the broker applies to stored batches; "producer" keeps whatever codec the producer used.',
    synonyms: [{ name: 'compression.type' }],
    range: { choices: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] },
  },
  {
    name: 'compression.gzip.level', type: ConfigType.int, defaultValue: '-1',
    documentation: 'Level used when the broker itself compresses with gzip.',
    synonyms: [{ name: 'compression.gzip.level' }], range: { min: -1, max: 9 },
  },
  {
    name: 'compression.lz4.level', type: ConfigType.int, defaultValue: '9',
    documentation: 'Level used when the broker itself compresses with lz4.',
    synonyms: [{ name: 'compression.lz4.level' }], range: { min: 1, max: 17 },
  },
  {
    name: 'compression.zstd.level', type: ConfigType.int, defaultValue: '3',
    documentation: 'Level used when the broker itself compresses with zstd.',
    synonyms: [{ name: 'compression.zstd.level' }], range: { min: -131072, max: 22 },
  },
  {
    name: 'delete.retention.ms', type: ConfigType.long, defaultValue: '86400000',
    documentation: 'How long a compacted topic keeps delete markers (tombstones), so that consumers reading from the start still see the deletion.',
    synonyms: [{ name: 'log.cleaner.delete.retention.ms' }], range: { min: 0 }, applyToLog: long('deleteRetentionMs'),
  },
  {
    name: 'file.delete.delay.ms', type: ConfigType.long, defaultValue: '60000',
    documentation: 'How long a segment that retention removed stays on disk (renamed) before its files are deleted.',
    synonyms: [{ name: 'log.segment.delete.delay.ms' }], range: { min: 0 }, applyToLog: long('fileDeleteDelayMs'),
  },
  {
    name: 'flush.messages', type: ConfigType.long, defaultValue: LONG_MAX,
    documentation: 'Force an fsync after this many records; by default durability comes from replication, not fsync.',
    synonyms: [{ name: 'log.flush.interval.messages' }], range: { min: 1 }, applyToLog: long('flushMessages'),
  },
  {
    name: 'flush.ms', type: ConfigType.long, defaultValue: LONG_MAX,
    documentation: 'Force an fsync when the last one is older than this; by default never forced.',
    synonyms: [{ name: 'log.flush.interval.ms' }, { name: 'log.flush.scheduler.interval.ms' }], range: { min: 0 }, applyToLog: long('flushMs'),
  },
  {
    name: 'follower.replication.throttled.replicas', type: ConfigType.list, defaultValue: '',
    documentation: 'Replicas whose follower-side replication is throttled ("partition:broker" pairs or "*").',
    synonyms: [{ name: 'follower.replication.throttled.replicas' }],
  },
  {
    name: 'index.interval.bytes', type: ConfigType.int, defaultValue: '4096',
    documentation: 'Bytes of batches between two offset-index entries: smaller means faster seeks and bigger indexes.',
    synonyms: [{ name: 'log.index.interval.bytes' }], range: { min: 0 }, applyToLog: long('indexIntervalBytes'),
  },
  {
    name: 'leader.replication.throttled.replicas', type: ConfigType.list, defaultValue: '',
    documentation: 'Replicas whose leader-side replication is throttled ("partition:broker" pairs or "*").',
    synonyms: [{ name: 'leader.replication.throttled.replicas' }],
  },
  {
    name: 'local.retention.bytes', type: ConfigType.long, defaultValue: '-2',
    documentation: 'With tiered storage, bytes kept on local disk; -2 means the same as retention.bytes.',
    synonyms: [{ name: 'log.local.retention.bytes' }], range: { min: -2 },
  },
  {
    name: 'local.retention.ms', type: ConfigType.long, defaultValue: '-2',
    documentation: 'With tiered storage, how long data stays on local disk; -2 means the same as retention.ms.',
    synonyms: [{ name: 'log.local.retention.ms' }], range: { min: -2 },
  },
  {
    name: 'max.compaction.lag.ms', type: ConfigType.long, defaultValue: LONG_MAX,
    documentation: 'Longest time a record may stay uncompacted in a compacted topic.',
    synonyms: [{ name: 'log.cleaner.max.compaction.lag.ms' }], range: { min: 1 }, applyToLog: long('maxCompactionLagMs'),
  },
  {
    name: 'max.message.bytes', type: ConfigType.int, defaultValue: '1048588',
    documentation: 'Largest record batch (after compression) the topic accepts; consumers fetch at least one batch of this size.',
    synonyms: [{ name: 'message.max.bytes' }], range: { min: 0 }, applyToLog: long('maxMessageBytes'),
  },
  {
    name: 'message.downconversion.enable', type: ConfigType.boolean, defaultValue: 'true',
    documentation: 'Whether fetches from clients too old for the stored format get records converted for them.',
    synonyms: [{ name: 'log.message.downconversion.enable' }],
  },
  {
    name: 'message.timestamp.after.max.ms', type: ConfigType.long, defaultValue: LONG_MAX,
    documentation: 'With CreateTime, how far in the future a record timestamp may be before the batch is rejected.',
    synonyms: [{ name: 'log.message.timestamp.after.max.ms' }], range: { min: 0 }, applyToLog: long('messageTimestampAfterMaxMs'),
  },
  {
    name: 'message.timestamp.before.max.ms', type: ConfigType.long, defaultValue: LONG_MAX,
    documentation: 'With CreateTime, how far in the past a record timestamp may be before the batch is rejected.',
    synonyms: [{ name: 'log.message.timestamp.before.max.ms' }], range: { min: 0 }, applyToLog: long('messageTimestampBeforeMaxMs'),
  },
  {
    name: 'message.timestamp.type', type: ConfigType.string, defaultValue: 'CreateTime',
    documentation: 'Whether record timestamps are the producer\'s (CreateTime) or the broker\'s append time (LogAppendTime).',
    synonyms: [{ name: 'log.message.timestamp.type' }], range: { choices: ['CreateTime', 'LogAppendTime'] },
    applyToLog: (value, config) => {
      config.messageTimestampType = value === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime';
    },
  },
  {
    name: 'min.cleanable.dirty.ratio', type: ConfigType.double, defaultValue: '0.5',
    documentation: 'Share of a compacted log that must be uncompacted before the cleaner works on it.',
    synonyms: [{ name: 'log.cleaner.min.cleanable.ratio' }], range: { min: 0, max: 1 },
    applyToLog: (value, config) => {
      config.minCleanableDirtyRatio = Number(value);
    },
  },
  {
    name: 'min.compaction.lag.ms', type: ConfigType.long, defaultValue: '0',
    documentation: 'Shortest time a record stays uncompacted in a compacted topic.',
    synonyms: [{ name: 'log.cleaner.min.compaction.lag.ms' }], range: { min: 0 }, applyToLog: long('minCompactionLagMs'),
  },
  {
    name: 'min.insync.replicas', type: ConfigType.int, defaultValue: '1',
    documentation: 'With acks=all, how many in-sync replicas must hold a write before it is acknowledged; fewer gives NOT_ENOUGH_REPLICAS.',
    synonyms: [{ name: 'min.insync.replicas' }], range: { min: 1 },
  },
  {
    name: 'preallocate', type: ConfigType.boolean, defaultValue: 'false',
    documentation: 'Reserve the full segment size on disk when a segment is created.',
    synonyms: [{ name: 'log.preallocate' }], applyToLog: bool('preallocate'),
  },
  {
    name: 'remote.log.copy.disable', type: ConfigType.boolean, defaultValue: 'false',
    documentation: 'Stops copying segments to tiered storage while keeping what is there (Kafka 3.9; no tiered storage here, so it changes nothing).',
    synonyms: [],
  },
  {
    name: 'remote.log.delete.on.disable', type: ConfigType.boolean, defaultValue: 'false',
    documentation: 'Whether turning tiered storage off deletes the remote segments (Kafka 3.9; no tiered storage here, so it changes nothing).',
    synonyms: [],
  },
  {
    name: 'remote.storage.enable', type: ConfigType.boolean, defaultValue: 'false',
    documentation: 'Tiered storage for this topic (not supported here: always false).',
    synonyms: [],
  },
  {
    name: 'retention.bytes', type: ConfigType.long, defaultValue: '-1',
    documentation: 'Largest size a partition may grow to before its oldest segments are deleted; -1 means no limit.',
    synonyms: [{ name: 'log.retention.bytes' }], applyToLog: long('retentionBytes'),
  },
  {
    name: 'retention.ms', type: ConfigType.long, defaultValue: '604800000',
    documentation: 'How long records are kept before their segment may be deleted; -1 keeps them forever.',
    synonyms: [{ name: 'log.retention.ms' }, { name: 'log.retention.minutes', scale: MINUTE_MS }, { name: 'log.retention.hours', scale: HOUR_MS }],
    range: { min: -1 }, applyToLog: long('retentionMs'),
  },
  {
    name: 'segment.bytes', type: ConfigType.int, defaultValue: '1073741824',
    documentation: 'Size at which a partition starts a new segment file; retention and compaction work segment by segment.',
    synonyms: [{ name: 'log.segment.bytes' }], range: { min: 14 }, applyToLog: long('segmentBytes'),
  },
  {
    name: 'segment.index.bytes', type: ConfigType.int, defaultValue: '10485760',
    documentation: 'Size reserved for a segment\'s offset index; a full index starts a new segment.',
    synonyms: [{ name: 'log.index.size.max.bytes' }], range: { min: 4 }, applyToLog: long('segmentIndexBytes'),
  },
  {
    name: 'segment.jitter.ms', type: ConfigType.long, defaultValue: '0',
    documentation: 'Random amount subtracted from segment.ms so that partitions do not all roll at once.',
    synonyms: [{ name: 'log.roll.jitter.ms' }, { name: 'log.roll.jitter.hours', scale: HOUR_MS }], range: { min: 0 }, applyToLog: long('segmentJitterMs'),
  },
  {
    name: 'segment.ms', type: ConfigType.long, defaultValue: '604800000',
    documentation: 'Age after which a partition starts a new segment even if the current one is not full.',
    synonyms: [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', scale: HOUR_MS }], range: { min: 1 }, applyToLog: long('segmentMs'),
  },
  {
    name: 'unclean.leader.election.enable', type: ConfigType.boolean, defaultValue: 'false',
    documentation: 'Allow a replica outside the ISR to become leader when no in-sync replica is left, at the cost of losing records.',
    synonyms: [{ name: 'unclean.leader.election.enable' }],
  },
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDefinition> = new Map(
  TOPIC_CONFIGS.map((definition) => [definition.name, definition]),
);

/** Validates topic overrides (CreateTopics, AlterConfigs); throws ConfigError on the first bad one. */
export function validateTopicConfigs(configs: Record<string, string>): void {
  for (const [name, value] of Object.entries(configs)) {
    const definition = TOPIC_CONFIG_BY_NAME.get(name);
    if (definition === undefined) {
      throw new ConfigErrorUnknown(name);
    }
    validateConfigValue(name, definition.type, value, definition.range);
  }
}

class ConfigErrorUnknown extends Error {
  readonly code = 40;
  readonly retriable = false;
  constructor(name: string) {
    super(`Unknown topic config name: ${name}`);
    this.name = 'ConfigError';
  }
}
