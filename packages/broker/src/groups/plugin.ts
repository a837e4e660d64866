/**
 * Plugs the group coordinator into the broker (loaded by broker.ts when this file exists):
 * builds the coordinator from the broker's settings, gives it the __consumer_offsets
 * partitions this broker leads (looked up through the replica manager), loads a partition's
 * groups as soon as this broker becomes its leader and unloads them when it stops being the
 * leader. Records are appended to
 * the partition's log with origin 'internal' (no producer checks, transactional batches
 * allowed), like Kafka's coordinator appends.
 */
import type { BrokerPlugin, BrokerPluginFactory, BrokerServices } from '../handlers/types.ts';
import type { Partition } from '../replica/replica-manager.ts';
import { groupConfig, type GroupCoordinatorConfig } from './config.ts';
import type { TopicInfo, TopicMetadataSource } from './consumer-coordinator.ts';
import { GroupCoordinator } from './coordinator.ts';
import { CONSUMER_OFFSETS_TOPIC } from './partitioning.ts';
import { coordinatorAppendError, createLogStore, type OffsetsPartitionStore } from './store.ts';

export const GROUPS_PLUGIN_NAME = 'groups';

/** offsets.commit.timeout.ms (Kafka: 5000): how long a write waits for the ISR to have it. */
const OFFSETS_COMMIT_TIMEOUT_MS_DEFAULT = 5_000;

/** The group coordinator of this broker, for handlers. */
export function groupService(services: BrokerServices): GroupCoordinator {
  const service = services.extensions.get(GROUPS_PLUGIN_NAME);
  if (service === undefined) throw new Error('groups plugin not loaded');
  return service as GroupCoordinator;
}

function optionalInt(services: BrokerServices, name: string): number | undefined {
  const value = services.config.get(name);
  if (value === null || value.trim() === '') return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new Error(`${name} must be an integer, got ${value}`);
  return parsed;
}

/** Kafka's assignor class names map to our short names. */
function assignorName(value: string): string {
  const simple = value.trim().split('.').pop()!.toLowerCase();
  if (simple === 'uniformassignor') return 'uniform';
  if (simple === 'rangeassignor') return 'range';
  return simple;
}

/** Group coordinator settings from the broker config (Kafka's names; unset → Kafka's default). */
export function groupConfigFromBroker(services: BrokerServices): GroupCoordinatorConfig {
  const overrides: Partial<GroupCoordinatorConfig> = {};
  const set = <K extends keyof GroupCoordinatorConfig>(key: K, value: GroupCoordinatorConfig[K] | undefined): void => {
    if (value !== undefined) overrides[key] = value;
  };
  set('offsetsTopicPartitions', optionalInt(services, 'offsets.topic.num.partitions'));
  set('offsetsTopicReplicationFactor', optionalInt(services, 'offsets.topic.replication.factor'));
  set('offsetsTopicSegmentBytes', optionalInt(services, 'offsets.topic.segment.bytes'));
  set('groupMinSessionTimeoutMs', optionalInt(services, 'group.min.session.timeout.ms'));
  set('groupMaxSessionTimeoutMs', optionalInt(services, 'group.max.session.timeout.ms'));
  set('groupInitialRebalanceDelayMs', optionalInt(services, 'group.initial.rebalance.delay.ms'));
  set('groupMaxSize', optionalInt(services, 'group.max.size'));
  set('offsetMetadataMaxBytes', optionalInt(services, 'offset.metadata.max.bytes'));
  const retentionMinutes = optionalInt(services, 'offsets.retention.minutes');
  set('offsetsRetentionMs', retentionMinutes === undefined ? undefined : retentionMinutes * 60_000);
  set('offsetsRetentionCheckIntervalMs', optionalInt(services, 'offsets.retention.check.interval.ms'));
  set('consumerGroupSessionTimeoutMs', optionalInt(services, 'group.consumer.session.timeout.ms'));
  set('consumerGroupHeartbeatIntervalMs', optionalInt(services, 'group.consumer.heartbeat.interval.ms'));
  set('consumerGroupMaxSize', optionalInt(services, 'group.consumer.max.size'));
  const assignors = services.config.get('group.consumer.assignors');
  if (assignors !== null && assignors.trim() !== '') set('consumerGroupAssignors', assignors.split(',').map(assignorName));
  return groupConfig(overrides);
}

function topicSource(services: BrokerServices): TopicMetadataSource {
  const info = (topic: { name: string; id: string; partitions: unknown[] }): TopicInfo =>
    ({ topicId: topic.id, name: topic.name, partitionCount: topic.partitions.length });
  return {
    topicByName(name) {
      const topic = services.metadata.topic(name);
      return topic && !topic.internal ? info(topic) : undefined;
    },
    topicById(topicId) {
      const topic = services.metadata.topicById(topicId);
      return topic ? info(topic) : undefined;
    },
    topicNames: () => services.metadata.topics().filter((topic) => !topic.internal).map((topic) => topic.name),
  };
}

export const createPlugin: BrokerPluginFactory = (services): BrokerPlugin => {
  const stores = new Map<number, { partition: Partition; leaderEpoch: number; store: OffsetsPartitionStore }>();
  const storeFor = (partitionIndex: number): OffsetsPartitionStore | undefined => {
    const lookup = services.replicas.leaderPartition(CONSUMER_OFFSETS_TOPIC, partitionIndex);
    if (!lookup.ok) {
      stores.delete(partitionIndex);
      return undefined;
    }
    const partition = lookup.partition;
    const cached = stores.get(partitionIndex);
    if (cached && cached.partition === partition && cached.leaderEpoch === partition.leaderEpoch) return cached.store;
    const commitTimeoutMs = optionalInt(services, 'offsets.commit.timeout.ms') ?? OFFSETS_COMMIT_TIMEOUT_MS_DEFAULT;
    const store = createLogStore({
      partition: partitionIndex,
      log: partition.log,
      leaderEpoch: partition.leaderEpoch,
      nowMs: () => services.now(),
      // Ordered with the partition's other appends and truncations; origin 'internal' (our own
      // records, transactional batches allowed). Without replication the append completes the
      // write; with it the high watermark belongs to the replication layer.
      appendBatch: async (batch, origin) => {
        const result = await partition.exclusive(() => partition.log.appendAsLeader(batch, { leaderEpoch: partition.leaderEpoch, origin, nowMs: services.now() }));
        if (result.ok && !partition.replicated) partition.log.setHighWatermark(partition.log.logEndOffset);
        if (result.ok) services.replicas.leaderAppended(partition);
        return result;
      },
      // Like Kafka, an offset commit is answered once the in-sync replicas have it (acks=all).
      awaitCommitted: async (endOffset) => {
        const errorCode = await services.replicas.waitForReplication(partition, endOffset, commitTimeoutMs);
        if (errorCode !== 0) throw coordinatorAppendError(errorCode, `__consumer_offsets-${partitionIndex}: replication failed (error ${errorCode})`);
      },
    });
    stores.set(partitionIndex, { partition, leaderEpoch: partition.leaderEpoch, store });
    return store;
  };
  const coordinator = new GroupCoordinator({ source: { storeFor }, config: groupConfigFromBroker(services), topics: topicSource(services) });

  /** Load what we lead now, drop what we no longer lead (after the replica manager caught up). */
  const followLeadership = async (): Promise<void> => {
    await services.replicas.settled();
    await coordinator.onLeadershipChange();
    const topic = services.metadata.topic(CONSUMER_OFFSETS_TOPIC);
    if (!topic) return;
    for (const partition of topic.partitions) {
      if (partition.leader === services.brokerId) void coordinator.loadPartition(partition.partition);
    }
  };
  let unsubscribe: (() => void) | null = null;
  return {
    name: GROUPS_PLUGIN_NAME,
    service: coordinator,
    start() {
      unsubscribe = services.metadata.subscribe((change) => {
        // A broker shutting down unregisters first: answer pending JoinGroup / SyncGroup now
        // (NOT_COORDINATOR, clients look for the new coordinator) instead of holding the
        // graceful close until they time out.
        if (services.shuttingDown) {
          coordinator.close();
          return;
        }
        const relevant = change.kind === 'brokers-changed' || ('topic' in change && change.topic.name === CONSUMER_OFFSETS_TOPIC);
        if (relevant) void followLeadership();
      });
      void followLeadership();
    },
    stop() {
      unsubscribe?.();
      coordinator.close();
    },
  };
};
