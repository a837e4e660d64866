/**
 * The coordinators' internal topics: __consumer_offsets (group state and committed offsets) and
 * __transaction_state (transaction coordinator). FindCoordinator creates them on first use, as
 * Kafka does, with Kafka's settings: compacted, offsets.topic.num.partitions partitions,
 * replication factor offsets.topic.replication.factor clamped to the live brokers (documented
 * difference: Kafka refuses instead, which would make a 1-broker dev cluster unusable).
 */
import { ErrorCode } from '@kafkaesque/protocol';
import type { BrokerServices } from '../handlers/types.ts';
import { createTopic } from '../topics/topic-admin.ts';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from './partitioning.ts';

export const CoordinatorKeyType = { group: 0, transaction: 1 } as const;

export interface InternalTopicSpec {
  name: string;
  partitionsSetting: string;
  replicationSetting: string;
  configs: Record<string, string>;
}

const OFFSETS_SEGMENT_BYTES = String(100 * 1024 * 1024);

export const INTERNAL_TOPICS: Record<number, InternalTopicSpec> = {
  [CoordinatorKeyType.group]: {
    name: CONSUMER_OFFSETS_TOPIC,
    partitionsSetting: 'offsets.topic.num.partitions',
    replicationSetting: 'offsets.topic.replication.factor',
    configs: { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': OFFSETS_SEGMENT_BYTES },
  },
  [CoordinatorKeyType.transaction]: {
    name: TRANSACTION_STATE_TOPIC,
    partitionsSetting: 'transaction.state.log.num.partitions',
    replicationSetting: 'transaction.state.log.replication.factor',
    configs: { 'cleanup.policy': 'compact', 'compression.type': 'uncompressed', 'segment.bytes': OFFSETS_SEGMENT_BYTES, 'unclean.leader.election.enable': 'false' },
  },
};

/** Partition count of an internal topic: the existing topic's, else the configured one. */
export function internalTopicPartitions(services: BrokerServices, spec: InternalTopicSpec): number {
  return services.metadata.topic(spec.name)?.partitions.length ?? services.config.int(spec.partitionsSetting);
}

const creations = new WeakMap<BrokerServices, Map<string, Promise<number>>>();

/**
 * Creates the topic when missing; resolves with NONE once it exists (logs open, leaders set) or
 * with the error code to answer (COORDINATOR_NOT_AVAILABLE while it cannot be created).
 * Concurrent callers share one creation.
 */
export function ensureInternalTopic(services: BrokerServices, spec: InternalTopicSpec): Promise<number> {
  if (services.metadata.topic(spec.name) !== undefined) return Promise.resolve(ErrorCode.NONE);
  let pending = creations.get(services);
  if (!pending) creations.set(services, (pending = new Map()));
  const existing = pending.get(spec.name);
  if (existing) return existing;
  const liveBrokers = services.metadata.brokers().length;
  const creation = (async () => {
    if (liveBrokers === 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const result = await createTopic(services, {
      name: spec.name,
      numPartitions: services.config.int(spec.partitionsSetting),
      replicationFactor: Math.min(services.config.int(spec.replicationSetting), liveBrokers),
      configs: spec.configs,
      internal: true,
    });
    if (result.errorCode === ErrorCode.NONE || result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) return ErrorCode.NONE;
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  })().finally(() => pending!.delete(spec.name));
  pending.set(spec.name, creation);
  return creation;
}
