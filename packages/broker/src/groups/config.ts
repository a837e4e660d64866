/**
 * Group coordinator settings, named after Kafka's broker configs (unit last). Defaults are
 * Kafka's; `DEV_GROUP_CONFIG_OVERRIDES` is what the dev cluster / test fixture uses instead.
 */
export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions (Kafka: 50). */
  offsetsTopicPartitions: number;
  /** offsets.topic.replication.factor (Kafka: 3; capped at the number of live brokers on creation). */
  offsetsTopicReplicationFactor: number;
  /** offsets.topic.segment.bytes (Kafka: 100 MiB). */
  offsetsTopicSegmentBytes: number;
  /** group.min.session.timeout.ms (Kafka: 6000). */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms (Kafka: 1800000). */
  groupMaxSessionTimeoutMs: number;
  /**
   * group.initial.rebalance.delay.ms (Kafka: 3000): how long the first rebalance of an empty
   * group waits for more members, extended by each join up to the rebalance timeout.
   */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size (Kafka: Integer.MAX_VALUE). */
  groupMaxSize: number;
  /** How long a new member (JoinGroup without id) may take to rejoin a rebalance (Kafka: 5 min). */
  groupNewMemberJoinTimeoutMs: number;
  /** offset.metadata.max.bytes (Kafka: 4096). */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes in ms (Kafka: 7 days). */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms (Kafka: 600000). */
  offsetsRetentionCheckIntervalMs: number;
  /** group.consumer.session.timeout.ms (KIP-848, Kafka: 45000). */
  consumerGroupSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms (KIP-848, Kafka: 5000). */
  consumerGroupHeartbeatIntervalMs: number;
  /** group.consumer.max.size (Kafka: Integer.MAX_VALUE). */
  consumerGroupMaxSize: number;
  /** group.consumer.assignors: server-side assignors, the first is the default (Kafka: uniform, range). */
  consumerGroupAssignors: string[];
  /** Largest number of groups one coordinator holds before refusing new ones (our bound). */
  groupsMax: number;
  /** Largest number of committed offsets per group (our bound against runaway commits). */
  offsetsPerGroupMax: number;
  /** How long a request waits for its partition to finish loading before COORDINATOR_LOAD_IN_PROGRESS. */
  loadWaitMs: number;
}

export const DEFAULT_GROUP_CONFIG: Readonly<GroupCoordinatorConfig> = Object.freeze({
  offsetsTopicPartitions: 50,
  offsetsTopicReplicationFactor: 3,
  offsetsTopicSegmentBytes: 100 * 1024 * 1024,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 2_147_483_647,
  groupNewMemberJoinTimeoutMs: 300_000,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupHeartbeatIntervalMs: 5_000,
  consumerGroupMaxSize: 2_147_483_647,
  consumerGroupAssignors: ['uniform', 'range'],
  groupsMax: 100_000,
  offsetsPerGroupMax: 1_000_000,
  loadWaitMs: 2_000,
});

/**
 * Dev cluster / test fixture differences (documented): the first rebalance of a group does not
 * wait Kafka's 3 s for more members, so a test's consumer starts at once. Everything else stays
 * Kafka's. Pass `{ groupInitialRebalanceDelayMs: 3000 }` to get Kafka's behaviour back.
 */
export const DEV_GROUP_CONFIG_OVERRIDES: Readonly<Partial<GroupCoordinatorConfig>> = Object.freeze({
  groupInitialRebalanceDelayMs: 0,
});

export function groupConfig(overrides: Partial<GroupCoordinatorConfig> = {}): GroupCoordinatorConfig {
  const config = { ...DEFAULT_GROUP_CONFIG, ...overrides, consumerGroupAssignors: [...(overrides.consumerGroupAssignors ?? DEFAULT_GROUP_CONFIG.consumerGroupAssignors)] };
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new RangeError('group.min.session.timeout.ms must not exceed group.max.session.timeout.ms');
  }
  if (config.offsetsTopicPartitions <= 0) throw new RangeError('offsets.topic.num.partitions must be positive');
  return config;
}
