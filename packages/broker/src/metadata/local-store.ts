/**
 * MetadataStore kept in one JSON file (`<dataDir>/cluster-metadata.json`), rewritten atomically
 * (temp file, fsync, rename) on every change. Brokers of one process share an instance; broker
 * registrations are in memory only (like ephemeral znodes). The lowest registered id is the
 * controller. Good for one process; the cluster issue replaces it with the coordinator.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUuid, type Uuid } from '@kafkaesque/protocol';
import {
  MetadataError,
  type BrokerRegistration,
  type MetadataChange,
  type MetadataStore,
  type NewTopic,
  type PartitionState,
  type TopicState,
} from './store.ts';

const FILE_NAME = 'cluster-metadata.json';
const FORMAT_VERSION = 1;

interface PersistedState {
  version: number;
  clusterId: string;
  topics: TopicState[];
  brokerConfigs: Record<string, Record<string, string>>;
  /** First producer id not yet handed out (decimal string: it is an int64). */
  nextProducerId?: string;
}

const ErrorCode = { topicAlreadyExists: 36, unknownTopicOrPartition: 3, invalidPartitions: 37 } as const;
/** Key of the cluster-wide dynamic broker config layer. */
const DEFAULT_BROKER_KEY = '';

export class LocalMetadataStore implements MetadataStore {
  readonly clusterId: string;
  private readonly path: string;
  private readonly topicsByName = new Map<string, TopicState>();
  private readonly topicsById = new Map<Uuid, TopicState>();
  private readonly brokersById = new Map<number, BrokerRegistration>();
  private brokerConfigValues: Record<string, Record<string, string>>;
  private nextProducerId: bigint;
  private readonly listeners = new Set<(change: MetadataChange) => void>();
  private writeChain: Promise<void> = Promise.resolve();

  private constructor(path: string, state: PersistedState) {
    this.path = path;
    this.clusterId = state.clusterId;
    for (const topic of state.topics) this.index(topic);
    this.brokerConfigValues = state.brokerConfigs;
    this.nextProducerId = BigInt(state.nextProducerId ?? '0');
  }

  static open(dataDir: string, clusterId?: string): LocalMetadataStore {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, FILE_NAME);
    let state: PersistedState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as PersistedState;
      if (state.version !== FORMAT_VERSION) throw new Error(`${path}: unknown format version ${state.version}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      state = { version: FORMAT_VERSION, clusterId: clusterId ?? randomUuid(), topics: [], brokerConfigs: {} };
      // Written at once: the cluster id must be the same on the next start, whatever happens.
      writeAtomicallySync(path, JSON.stringify(state, null, 1));
    }
    return new LocalMetadataStore(path, state);
  }

  private index(topic: TopicState): void {
    this.topicsByName.set(topic.name, topic);
    this.topicsById.set(topic.id, topic);
  }

  controllerId(): number {
    let lowest = -1;
    for (const id of this.brokersById.keys()) if (lowest < 0 || id < lowest) lowest = id;
    return lowest;
  }

  brokers(): BrokerRegistration[] {
    return [...this.brokersById.values()].sort((a, b) => a.id - b.id);
  }

  async registerBroker(broker: BrokerRegistration): Promise<void> {
    this.brokersById.set(broker.id, { ...broker });
    const changed = this.electMissingLeaders();
    if (changed) await this.persist();
    this.emit({ kind: 'brokers-changed' });
  }

  /**
   * A broker left: partitions it led move to another live in-sync replica (new leader epoch),
   * or have no leader (-1, LEADER_NOT_AVAILABLE) until a replica comes back.
   */
  async unregisterBroker(brokerId: number): Promise<void> {
    if (!this.brokersById.delete(brokerId)) return;
    for (const topic of this.topicsByName.values()) {
      for (const partition of topic.partitions) {
        if (partition.leader !== brokerId) continue;
        const next = partition.isr.find((id) => id !== brokerId && this.brokersById.has(id));
        partition.leader = next ?? -1;
        if (next !== undefined) partition.leaderEpoch++;
        partition.partitionEpoch++;
        this.emit({ kind: 'partition-changed', topic, partition });
      }
    }
    await this.persist();
    this.emit({ kind: 'brokers-changed' });
  }

  topics(): TopicState[] {
    return [...this.topicsByName.values()];
  }

  topic(name: string): TopicState | undefined {
    return this.topicsByName.get(name);
  }

  topicById(id: Uuid): TopicState | undefined {
    return this.topicsById.get(id);
  }

  async createTopic(spec: NewTopic): Promise<TopicState> {
    if (this.topicsByName.has(spec.name)) {
      throw new MetadataError(ErrorCode.topicAlreadyExists, `Topic '${spec.name}' already exists.`);
    }
    let id = randomUuid();
    while (this.topicsById.has(id)) id = randomUuid();
    const topic: TopicState = {
      name: spec.name,
      id,
      internal: spec.internal ?? false,
      partitions: spec.assignments.map((replicas, partition) => this.newPartition(partition, replicas)),
      configs: { ...spec.configs },
    };
    this.index(topic);
    await this.persist();
    this.emit({ kind: 'topic-created', topic });
    return topic;
  }

  private newPartition(partition: number, replicas: number[]): PartitionState {
    const leader = replicas.find((id) => this.brokersById.has(id)) ?? -1;
    return { partition, leader, leaderEpoch: 0, partitionEpoch: 0, replicas: [...replicas], isr: [...replicas], offlineReplicas: [] };
  }

  /** Partitions whose leader is gone get the first live replica; true when any changed. */
  private electMissingLeaders(): boolean {
    let changed = false;
    for (const topic of this.topicsByName.values()) {
      for (const partition of topic.partitions) {
        if (partition.leader >= 0 && this.brokersById.has(partition.leader)) continue;
        const leader = partition.replicas.find((id) => this.brokersById.has(id));
        if (leader === undefined || leader === partition.leader) continue;
        partition.leader = leader;
        partition.leaderEpoch++;
        partition.partitionEpoch++;
        changed = true;
        this.emit({ kind: 'partition-changed', topic, partition });
      }
    }
    return changed;
  }

  async deleteTopic(name: string): Promise<TopicState> {
    const topic = this.requireTopic(name);
    this.topicsByName.delete(name);
    this.topicsById.delete(topic.id);
    await this.persist();
    this.emit({ kind: 'topic-deleted', topic });
    return topic;
  }

  async createPartitions(name: string, assignments: number[][]): Promise<TopicState> {
    const topic = this.requireTopic(name);
    const firstNewPartition = topic.partitions.length;
    assignments.forEach((replicas, i) => topic.partitions.push(this.newPartition(firstNewPartition + i, replicas)));
    await this.persist();
    this.emit({ kind: 'partitions-created', topic, firstNewPartition });
    return topic;
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const topic = this.requireTopic(name);
    topic.configs = { ...configs };
    await this.persist();
    this.emit({ kind: 'topic-configs-changed', topic });
  }

  async updatePartition(name: string, partition: PartitionState): Promise<void> {
    const topic = this.requireTopic(name);
    const index = topic.partitions.findIndex((existing) => existing.partition === partition.partition);
    if (index < 0) throw new MetadataError(ErrorCode.unknownTopicOrPartition, `No partition ${name}-${partition.partition}`);
    topic.partitions[index] = { ...partition };
    await this.persist();
    this.emit({ kind: 'partition-changed', topic, partition: topic.partitions[index] });
  }

  brokerConfigs(brokerId: number | null): Record<string, string> {
    return { ...(this.brokerConfigValues[brokerId === null ? DEFAULT_BROKER_KEY : String(brokerId)] ?? {}) };
  }

  async setBrokerConfigs(brokerId: number | null, configs: Record<string, string>): Promise<void> {
    this.brokerConfigValues[brokerId === null ? DEFAULT_BROKER_KEY : String(brokerId)] = { ...configs };
    await this.persist();
    this.emit({ kind: 'broker-configs-changed', brokerId });
  }

  async allocateProducerIds(count: number): Promise<bigint> {
    const first = this.nextProducerId;
    this.nextProducerId += BigInt(count);
    await this.persist();
    return first;
  }

  subscribe(listener: (change: MetadataChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.writeChain;
    this.listeners.clear();
  }

  private requireTopic(name: string): TopicState {
    const topic = this.topicsByName.get(name);
    if (topic === undefined) {
      throw new MetadataError(ErrorCode.unknownTopicOrPartition, `This server does not host this topic: ${name}`, true);
    }
    return topic;
  }

  private emit(change: MetadataChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /** Writes the current state; writes are serialised so the file always holds a whole snapshot. */
  private persist(): Promise<void> {
    const state: PersistedState = {
      version: FORMAT_VERSION,
      clusterId: this.clusterId,
      topics: this.topics(),
      brokerConfigs: this.brokerConfigValues,
      nextProducerId: String(this.nextProducerId),
    };
    const text = JSON.stringify(state, null, 1);
    const written = this.writeChain.then(() => writeAtomically(this.path, text));
    // A failed write is reported to its caller; later writes still run (and carry the state).
    this.writeChain = written.catch(() => undefined);
    return written;
  }
}

function writeAtomicallySync(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
