/**
 * What the broker needs to know about the cluster, behind one interface. Today it is served by
 * `LocalMetadataStore` (a durable file in the data dir, shared by the brokers of one process);
 * the cluster issue implements it on the coordinator (Kafka's ZooKeeper layout). Handlers only
 * read snapshots and ask for changes; every change is announced to `subscribe` listeners so
 * the replica manager can create logs and take leadership.
 */
import type { Uuid } from '@kafkaesque/protocol';

export interface BrokerRegistration {
  id: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionState {
  partition: number;
  /** Broker id of the leader, -1 when none is available. */
  leader: number;
  leaderEpoch: number;
  /** Bumped on every change of leader, replicas or ISR (Kafka's partition epoch). */
  partitionEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicState {
  name: string;
  id: Uuid;
  internal: boolean;
  partitions: PartitionState[];
  /** Topic-level config overrides (only what was set explicitly). */
  configs: Record<string, string>;
}

export interface NewTopic {
  name: string;
  /** Replica lists per partition, index = partition id; the first replica is the preferred leader. */
  assignments: number[][];
  configs: Record<string, string>;
  internal?: boolean;
}

export type MetadataChange =
  | { kind: 'topic-created'; topic: TopicState }
  | { kind: 'topic-deleted'; topic: TopicState }
  | { kind: 'partitions-created'; topic: TopicState; firstNewPartition: number }
  | { kind: 'partition-changed'; topic: TopicState; partition: PartitionState }
  | { kind: 'topic-configs-changed'; topic: TopicState }
  | { kind: 'broker-configs-changed'; brokerId: number | null }
  | { kind: 'brokers-changed' };

export class MetadataError extends Error {
  readonly code: number;
  readonly retriable: boolean;
  constructor(code: number, message: string, retriable = false) {
    super(message);
    this.name = 'MetadataError';
    this.code = code;
    this.retriable = retriable;
  }
}

export interface MetadataStore {
  readonly clusterId: string;
  /** The controller's broker id (handles CreateTopics & co), -1 when none. */
  controllerId(): number;
  /** Live brokers, by id. */
  brokers(): BrokerRegistration[];
  registerBroker(broker: BrokerRegistration): Promise<void>;
  unregisterBroker(brokerId: number): Promise<void>;

  topics(): TopicState[];
  topic(name: string): TopicState | undefined;
  topicById(id: Uuid): TopicState | undefined;

  /** Creates a topic with leaders in place (first live replica leads, epoch 0). */
  createTopic(topic: NewTopic): Promise<TopicState>;
  deleteTopic(name: string): Promise<TopicState>;
  /** Appends partitions with the given replica lists. */
  createPartitions(name: string, assignments: number[][]): Promise<TopicState>;
  /** Replaces the topic's overrides. */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
  /** Updates leader / ISR of a partition (replication, elections). */
  updatePartition(name: string, partition: PartitionState): Promise<void>;

  /** Dynamic broker configs: brokerId null is the cluster-wide default (resource name ""). */
  brokerConfigs(brokerId: number | null): Record<string, string>;
  setBrokerConfigs(brokerId: number | null, configs: Record<string, string>): Promise<void>;

  /**
   * Reserves `count` producer ids (idempotent / transactional producers) and returns the first.
   * Durable: ids are never handed out twice, across restarts (Kafka's /latest_producer_id_block).
   */
  allocateProducerIds(count: number): Promise<bigint>;

  /** Called after each change has been made durable; returns an unsubscribe function. */
  subscribe(listener: (change: MetadataChange) => void): () => void;
  close(): Promise<void>;
}
