/**
 * Broker configuration as Kafka spells it: a server.properties file, overridden by CLI flags
 * (`--override name=value` or the shortcuts of `kafkaesque up`), overridden in turn by dynamic
 * broker configs set through AlterConfigs (kept in the metadata store).
 *
 * Differences from Kafka's defaults, for a local broker:
 * - listeners default to PLAINTEXT://127.0.0.1:9092 (Kafka: all interfaces).
 * - offsets.topic.replication.factor and transaction.state.log.replication.factor are clamped
 *   to the number of live brokers when the internal topics are created.
 * - connection.inflight.requests.max is ours: Kafka handles one request per connection at a
 *   time; we read ahead and answer in order, and this bounds the read-ahead.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ConfigSource, ConfigType, longValue, validateConfigValue, type ConfigSourceValue, type ConfigTypeValue } from './config-types.ts';
import { TOPIC_CONFIG_BY_NAME, TOPIC_CONFIGS, type TopicConfigDefinition } from './topic-config.ts';

export interface BrokerConfigDefinition {
  name: string;
  type: ConfigTypeValue;
  /** Kafka's default; null when Kafka has none (the setting is then unset). */
  defaultValue: string | null;
  documentation: string;
  /** Changeable at runtime through AlterConfigs. */
  dynamic?: boolean;
  range?: { min?: number; max?: number; choices?: readonly string[] };
  sensitive?: boolean;
}

const LONG_MAX = '9223372036854775807';

const d = (
  name: string,
  type: ConfigTypeValue,
  defaultValue: string | null,
  documentation: string,
  extra: Partial<BrokerConfigDefinition> = {},
): BrokerConfigDefinition => ({ name, type, defaultValue, documentation, ...extra });

export const BROKER_CONFIGS: readonly BrokerConfigDefinition[] = [
  d('broker.id', ConfigType.int, '-1', 'This broker\'s id; -1 lets the broker pick one (1 here).'),
  d('node.id', ConfigType.int, '-1', 'Same as broker.id (KRaft name).'),
  d('broker.rack', ConfigType.string, null, 'Rack of this broker, reported in Metadata for rack-aware clients.'),
  d('listeners', ConfigType.string, 'PLAINTEXT://127.0.0.1:9092', 'Addresses the broker listens on, as NAME://host:port, comma separated.'),
  d('advertised.listeners', ConfigType.string, null, 'Addresses given to clients in Metadata; defaults to listeners.', { dynamic: true }),
  d('log.dirs', ConfigType.string, null, 'Directories holding partition logs, comma separated; defaults to log.dir.'),
  d('log.dir', ConfigType.string, '/tmp/kafka-logs', 'Directory for partition logs when log.dirs is not set.'),
  d('num.partitions', ConfigType.int, '1', 'Partitions of a topic created without a count (auto-created or -1).', { range: { min: 1 } }),
  d('default.replication.factor', ConfigType.int, '1', 'Replication factor of a topic created without one.', { range: { min: 1 } }),
  d('auto.create.topics.enable', ConfigType.boolean, 'true', 'Create a topic when a client asks Metadata for one that does not exist (and allows it).'),
  d('delete.topic.enable', ConfigType.boolean, 'true', 'Whether DeleteTopics may delete topics.'),
  d('message.max.bytes', ConfigType.int, '1048588', 'Largest record batch accepted, for topics without max.message.bytes.', { dynamic: true, range: { min: 0 } }),
  d('socket.request.max.bytes', ConfigType.int, '104857600', 'Largest request frame read from a socket; a larger declared size closes the connection.', { range: { min: 1 } }),
  d('connections.max.idle.ms', ConfigType.long, '600000', 'Close connections that sent nothing for this long.'),
  d('max.connections', ConfigType.int, '2147483647', 'Connections accepted at once.', { dynamic: true, range: { min: 0 } }),
  d('queued.max.requests', ConfigType.int, '500', 'Requests being handled at once across all connections.', { range: { min: 1 } }),
  d('connection.inflight.requests.max', ConfigType.int, '16', 'Requests of one connection read ahead and not yet answered (kafkaesque-specific).', { range: { min: 1 } }),
  d('fetch.max.bytes', ConfigType.int, '57671680', 'Largest fetch response the broker builds.', { range: { min: 1024 } }),
  d('min.insync.replicas', ConfigType.int, '1', 'Default for topics without min.insync.replicas.', { dynamic: true, range: { min: 1 } }),
  d('unclean.leader.election.enable', ConfigType.boolean, 'false', 'Default for topics without unclean.leader.election.enable.', { dynamic: true }),
  d('replica.lag.time.max.ms', ConfigType.long, '30000', 'A follower that has not caught up with the leader for this long leaves the ISR.', { range: { min: 1 } }),
  d('replica.fetch.wait.max.ms', ConfigType.int, '500', 'Longest wait of a follower\'s fetch for new data.', { range: { min: 0 } }),
  d('replica.fetch.max.bytes', ConfigType.int, '1048576', 'Bytes per partition a follower asks for in one fetch.', { range: { min: 0 } }),
  d('replica.fetch.backoff.ms', ConfigType.int, '1000', 'Pause of a follower after a failed fetch.', { range: { min: 0 } }),
  d('auto.leader.rebalance.enable', ConfigType.boolean, 'true', 'The controller moves leadership back to preferred replicas (first in the replica list).'),
  d('leader.imbalance.check.interval.seconds', ConfigType.long, '300', 'How often the controller checks for preferred-leader imbalance.', { range: { min: 1 } }),
  d('controlled.shutdown.enable', ConfigType.boolean, 'true', 'On a clean stop, leadership moves to other in-sync replicas before the broker goes.'),
  d('zookeeper.connect', ConfigType.string, null, 'Coordinator / ZooKeeper ensemble (host:port,...); unset: local metadata (one process).'),
  d('zookeeper.session.timeout.ms', ConfigType.int, '18000', 'Coordinator session timeout: how long a dead broker keeps its registration.', { range: { min: 1 } }),
  d('compression.type', ConfigType.string, 'producer', 'Default for topics without compression.type.', { dynamic: true }),
  d('compression.gzip.level', ConfigType.int, '-1', 'Default gzip level for broker-side compression.', { dynamic: true }),
  d('compression.lz4.level', ConfigType.int, '9', 'Default lz4 level for broker-side compression.', { dynamic: true }),
  d('compression.zstd.level', ConfigType.int, '3', 'Default zstd level for broker-side compression.', { dynamic: true }),
  d('offsets.topic.num.partitions', ConfigType.int, '50', 'Partitions of __consumer_offsets.'),
  d('offsets.topic.replication.factor', ConfigType.short, '3', 'Replication factor of __consumer_offsets (clamped to the live brokers).'),
  d('transaction.state.log.num.partitions', ConfigType.int, '50', 'Partitions of __transaction_state.'),
  d('transaction.state.log.replication.factor', ConfigType.short, '3', 'Replication factor of __transaction_state (clamped to the live brokers).'),
  d('group.initial.rebalance.delay.ms', ConfigType.int, '3000', 'How long a new group waits for more members before its first rebalance.'),
  d('producer.id.expiration.ms', ConfigType.int, '86400000', 'Forget an idempotent producer id after this long without writes.', { dynamic: true }),
  d('transactional.id.expiration.ms', ConfigType.int, '604800000', 'Forget a transactional id after this long without transactions.'),
  d('log.retention.hours', ConfigType.int, '168', 'Default retention in hours (least specific of the retention settings).'),
  d('log.retention.minutes', ConfigType.int, null, 'Default retention in minutes; wins over log.retention.hours.'),
  d('log.retention.ms', ConfigType.long, null, 'Default retention in ms; wins over minutes and hours.', { dynamic: true }),
  d('log.retention.bytes', ConfigType.long, '-1', 'Default retention.bytes.', { dynamic: true }),
  d('log.retention.check.interval.ms', ConfigType.long, '300000', 'How often segments are checked against retention.'),
  d('log.segment.bytes', ConfigType.int, '1073741824', 'Default segment.bytes.', { dynamic: true, range: { min: 14 } }),
  d('log.roll.hours', ConfigType.int, '168', 'Default segment.ms in hours.'),
  d('log.roll.ms', ConfigType.long, null, 'Default segment.ms; wins over log.roll.hours.', { dynamic: true }),
  d('log.roll.jitter.hours', ConfigType.int, '0', 'Default segment.jitter.ms in hours.'),
  d('log.roll.jitter.ms', ConfigType.long, null, 'Default segment.jitter.ms.', { dynamic: true }),
  d('log.cleanup.policy', ConfigType.list, 'delete', 'Default cleanup.policy.', { dynamic: true }),
  d('log.index.interval.bytes', ConfigType.int, '4096', 'Default index.interval.bytes.', { dynamic: true }),
  d('log.index.size.max.bytes', ConfigType.int, '10485760', 'Default segment.index.bytes.', { dynamic: true }),
  d('log.flush.interval.messages', ConfigType.long, LONG_MAX, 'Default flush.messages.', { dynamic: true }),
  d('log.flush.interval.ms', ConfigType.long, null, 'Default flush.ms.', { dynamic: true }),
  d('log.flush.scheduler.interval.ms', ConfigType.long, LONG_MAX, 'How often logs are checked for flush.ms.'),
  d('log.segment.delete.delay.ms', ConfigType.long, '60000', 'Default file.delete.delay.ms.', { dynamic: true }),
  d('log.cleaner.delete.retention.ms', ConfigType.long, '86400000', 'Default delete.retention.ms.', { dynamic: true }),
  d('log.cleaner.min.compaction.lag.ms', ConfigType.long, '0', 'Default min.compaction.lag.ms.', { dynamic: true }),
  d('log.cleaner.max.compaction.lag.ms', ConfigType.long, LONG_MAX, 'Default max.compaction.lag.ms.', { dynamic: true }),
  d('log.cleaner.min.cleanable.ratio', ConfigType.double, '0.5', 'Default min.cleanable.dirty.ratio.', { dynamic: true }),
  d('log.message.timestamp.type', ConfigType.string, 'CreateTime', 'Default message.timestamp.type.', { dynamic: true }),
  d('log.message.timestamp.before.max.ms', ConfigType.long, LONG_MAX, 'Default message.timestamp.before.max.ms.', { dynamic: true }),
  d('log.message.timestamp.after.max.ms', ConfigType.long, LONG_MAX, 'Default message.timestamp.after.max.ms.', { dynamic: true }),
  d('log.message.downconversion.enable', ConfigType.boolean, 'true', 'Default message.downconversion.enable.', { dynamic: true }),
  d('log.preallocate', ConfigType.boolean, 'false', 'Default preallocate.', { dynamic: true }),
  d('log.local.retention.bytes', ConfigType.long, '-2', 'Default local.retention.bytes.', { dynamic: true }),
  d('log.local.retention.ms', ConfigType.long, '-2', 'Default local.retention.ms.', { dynamic: true }),
];

export const BROKER_CONFIG_BY_NAME: ReadonlyMap<string, BrokerConfigDefinition> = new Map(
  BROKER_CONFIGS.map((definition) => [definition.name, definition]),
);

/** Parses Java-properties text: `key=value` or `key: value`, `#`/`!` comments, `\` continuations. */
export function parseProperties(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].trimStart();
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (match) result[match[1]] = match[2].trim();
    else result[line.trim()] = '';
  }
  return result;
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export function parseListeners(value: string): Listener[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(item);
      if (!match) throw new ConfigError(`Invalid listener ${item}: expected NAME://host:port`);
      return { name: match[1], host: match[2].replace(/^\[|\]$/g, ''), port: Number(match[3]) };
    });
}

export interface ResolvedConfig {
  name: string;
  value: string | null;
  source: ConfigSourceValue;
  synonyms: Array<{ name: string; value: string | null; source: ConfigSourceValue }>;
}

/** The broker's settings: defaults < static (file + CLI) < dynamic (cluster default < this broker). */
export class BrokerConfig {
  readonly staticValues: Readonly<Record<string, string>>;
  private dynamicDefault: Record<string, string> = {};
  private dynamicBroker: Record<string, string> = {};

  constructor(values: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(values)) {
      const definition = BROKER_CONFIG_BY_NAME.get(name);
      if (definition) validateConfigValue(name, definition.type, value, definition.range);
    }
    this.staticValues = { ...values };
  }

  static fromFile(path: string, overrides: Record<string, string> = {}): BrokerConfig {
    return new BrokerConfig({ ...parseProperties(readFileSync(path, 'utf8')), ...overrides });
  }

  /** Replaces the dynamic layers (from the metadata store). */
  setDynamic(clusterDefault: Record<string, string>, perBroker: Record<string, string>): void {
    this.dynamicDefault = { ...clusterDefault };
    this.dynamicBroker = { ...perBroker };
  }

  /** The effective value of a broker setting, or null when unset. */
  get(name: string): string | null {
    return this.resolve(name).value;
  }

  resolve(name: string): ResolvedConfig {
    const layers: Array<[Record<string, string>, ConfigSourceValue]> = [
      [this.dynamicBroker, ConfigSource.dynamicBroker],
      [this.dynamicDefault, ConfigSource.dynamicDefaultBroker],
      [this.staticValues, ConfigSource.staticBroker],
    ];
    const synonyms: ResolvedConfig['synonyms'] = [];
    for (const [values, source] of layers) {
      if (Object.hasOwn(values, name)) synonyms.push({ name, value: values[name], source });
    }
    const defaultValue = BROKER_CONFIG_BY_NAME.get(name)?.defaultValue ?? null;
    if (defaultValue !== null) synonyms.push({ name, value: defaultValue, source: ConfigSource.default });
    const first = synonyms[0];
    return { name, value: first?.value ?? null, source: first?.source ?? ConfigSource.default, synonyms };
  }

  /** Names of every broker setting known, plus unknown ones that were set. */
  names(): string[] {
    const names = new Set(BROKER_CONFIGS.map((definition) => definition.name));
    for (const values of [this.staticValues, this.dynamicDefault, this.dynamicBroker]) {
      for (const name of Object.keys(values)) names.add(name);
    }
    return [...names];
  }

  int(name: string): number {
    const value = this.get(name);
    if (value === null) throw new ConfigError(`${name} is not set`);
    return longValue(value);
  }

  bool(name: string): boolean {
    return this.get(name) === 'true';
  }

  get brokerId(): number {
    const id = this.int('node.id') >= 0 ? this.int('node.id') : this.int('broker.id');
    return id >= 0 ? id : 1;
  }

  get rack(): string | null {
    return this.get('broker.rack');
  }

  get logDirs(): string[] {
    const value = this.get('log.dirs') ?? this.get('log.dir') ?? '/tmp/kafka-logs';
    return value.split(',').map((dir) => dir.trim()).filter((dir) => dir !== '');
  }

  get listeners(): Listener[] {
    return parseListeners(this.get('listeners') ?? 'PLAINTEXT://127.0.0.1:9092');
  }

  get advertisedListeners(): Listener[] {
    const advertised = this.get('advertised.listeners');
    return advertised === null ? this.listeners : parseListeners(advertised);
  }

  /**
   * A topic setting: the topic's own override, else the first broker synonym that is set
   * (dynamic before static), else Kafka's default. Synonyms list every layer, as Kafka does.
   */
  resolveTopic(definition: TopicConfigDefinition, overrides: Readonly<Record<string, string>>): ResolvedConfig {
    const synonyms: ResolvedConfig['synonyms'] = [];
    let value: string | null | undefined;
    let source: ConfigSourceValue = ConfigSource.default;
    if (Object.hasOwn(overrides, definition.name)) {
      value = overrides[definition.name];
      source = ConfigSource.dynamicTopic;
      synonyms.push({ name: definition.name, value, source });
    }
    for (const synonym of definition.synonyms) {
      if (!BROKER_CONFIG_BY_NAME.has(synonym.name)) continue;
      for (const entry of this.resolve(synonym.name).synonyms) {
        synonyms.push(entry);
        if (value === undefined && entry.value !== null) {
          // The effective value is in the topic's unit (log.retention.hours → retention.ms).
          value = synonym.scale ? String(BigInt(entry.value) * BigInt(synonym.scale)) : entry.value;
          source = entry.source;
        }
      }
    }
    return { name: definition.name, value: value ?? definition.defaultValue, source, synonyms };
  }

  /** Every topic setting, resolved against the topic's overrides. */
  resolveTopicConfigs(overrides: Readonly<Record<string, string>>): ResolvedConfig[] {
    return TOPIC_CONFIGS.map((definition) => this.resolveTopic(definition, overrides));
  }

  /** Effective value of one topic setting. */
  topicValue(name: string, overrides: Readonly<Record<string, string>>): string {
    const definition = TOPIC_CONFIG_BY_NAME.get(name);
    if (definition === undefined) throw new ConfigError(`Unknown topic config ${name}`);
    return this.resolveTopic(definition, overrides).value ?? definition.defaultValue;
  }
}
