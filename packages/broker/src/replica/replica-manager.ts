/**
 * The partitions this broker hosts, kept in step with the metadata store: a log is created
 * when the broker becomes a replica, leadership (with its epoch) is taken when metadata says
 * so, and the log is deleted with its topic.
 *
 * Appends to one partition run one after the other, in call order, so requests pipelined on a
 * connection (and idempotent producers' in-flight batches) are appended in the order sent.
 * With one replica the high watermark follows the log end offset after every append; the
 * cluster issue plugs in followers, ISR and acks=all waiting here.
 */
import type { AppendResult, LogManager, PartitionLog, ReadOptions, ReadResult, LogConfig } from '../log/api.ts';
import type { MetadataChange, MetadataStore, PartitionState, TopicState } from '../metadata/store.ts';

export const ReplicaErrorCode = {
  none: 0,
  unknownTopicOrPartition: 3,
  leaderNotAvailable: 5,
  notLeaderOrFollower: 6,
  kafkaStorageError: 56,
} as const;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class Partition {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  leaderEpoch: number;
  isLeader: boolean;
  private appendChain: Promise<unknown> = Promise.resolve();

  constructor(topic: string, partition: number, log: PartitionLog, state: PartitionState, brokerId: number) {
    this.topic = topic;
    this.partition = partition;
    this.log = log;
    this.leaderEpoch = state.leaderEpoch;
    this.isLeader = state.leader === brokerId;
  }

  /** Appends in call order; the high watermark moves to the new log end (single replica). */
  append(records: Buffer, nowMs: number): Promise<AppendResult> {
    const run = async (): Promise<AppendResult> => {
      const result = await this.log.appendAsLeader(records, { leaderEpoch: this.leaderEpoch, origin: 'client', nowMs });
      if (result.ok) this.log.setHighWatermark(this.log.logEndOffset);
      return result;
    };
    const appended = this.appendChain.then(run, run);
    this.appendChain = appended.catch(() => undefined);
    return appended;
  }
}

export type PartitionLookup =
  | { ok: true; partition: Partition }
  | { ok: false; errorCode: number };

/** A pending long poll: woken when any partition it watches gets data, or when it times out. */
interface Waiter {
  keys: string[];
  wake: () => void;
}

export interface ReplicaManagerOptions {
  brokerId: number;
  logs: LogManager;
  metadata: MetadataStore;
  /** Full log configuration of a topic (broker defaults with the topic's overrides). */
  logConfigFor(topicConfigs: Readonly<Record<string, string>>): Partial<LogConfig>;
}

export class ReplicaManager {
  private readonly options: ReplicaManagerOptions;
  private readonly partitions = new Map<string, Partition>();
  private readonly waitersByKey = new Map<string, Set<Waiter>>();
  /** Serialises reactions to metadata changes (log creation and deletion are async). */
  private changeChain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;

  constructor(options: ReplicaManagerOptions) {
    this.options = options;
  }

  /** Opens the logs of every partition hosted here and follows metadata from now on. */
  async start(): Promise<void> {
    this.unsubscribe = this.options.metadata.subscribe((change) => {
      this.changeChain = this.changeChain.then(() => this.apply(change)).catch(() => undefined);
    });
    for (const topic of this.options.metadata.topics()) await this.hostTopic(topic);
  }

  /** Resolves once every metadata change seen so far has been applied (CreateTopics waits on it). */
  settled(): Promise<void> {
    return this.changeChain;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.changeChain;
    for (const waiters of this.waitersByKey.values()) for (const waiter of waiters) waiter.wake();
  }

  private async apply(change: MetadataChange): Promise<void> {
    switch (change.kind) {
      case 'topic-created':
      case 'partitions-created':
      case 'partition-changed':
        await this.hostTopic(change.topic);
        return;
      case 'topic-deleted':
        await this.dropTopic(change.topic);
        return;
      case 'topic-configs-changed':
        this.options.logs.updateTopicConfig(change.topic.name, this.options.logConfigFor(change.topic.configs));
        return;
      case 'broker-configs-changed':
        for (const topic of this.options.metadata.topics()) {
          this.options.logs.updateTopicConfig(topic.name, this.options.logConfigFor(topic.configs));
        }
        return;
      default:
        return;
    }
  }

  private async hostTopic(topic: TopicState): Promise<void> {
    const { brokerId, logs } = this.options;
    for (const state of topic.partitions) {
      if (!state.replicas.includes(brokerId)) continue;
      const key = partitionKey(topic.name, state.partition);
      const existing = this.partitions.get(key);
      if (existing !== undefined) {
        existing.leaderEpoch = state.leaderEpoch;
        existing.isLeader = state.leader === brokerId;
        continue;
      }
      const log = await logs.getOrCreateLog(
        { topic: topic.name, partition: state.partition },
        { topicId: topic.id, config: this.options.logConfigFor(topic.configs) },
      );
      this.partitions.set(key, new Partition(topic.name, state.partition, log, state, brokerId));
    }
  }

  private async dropTopic(topic: TopicState): Promise<void> {
    for (const state of topic.partitions) {
      const key = partitionKey(topic.name, state.partition);
      if (!this.partitions.delete(key)) continue;
      await this.options.logs.deleteLog({ topic: topic.name, partition: state.partition });
      this.notify(key);
    }
  }

  /** The partition if this broker leads it, else the error a client should get. */
  leaderPartition(topic: string, partition: number): PartitionLookup {
    const hosted = this.partitions.get(partitionKey(topic, partition));
    if (hosted !== undefined) {
      return hosted.isLeader ? { ok: true, partition: hosted } : { ok: false, errorCode: ReplicaErrorCode.notLeaderOrFollower };
    }
    const state = this.options.metadata.topic(topic)?.partitions[partition];
    if (state === undefined) return { ok: false, errorCode: ReplicaErrorCode.unknownTopicOrPartition };
    if (state.leader < 0) return { ok: false, errorCode: ReplicaErrorCode.leaderNotAvailable };
    return { ok: false, errorCode: ReplicaErrorCode.notLeaderOrFollower };
  }

  hosted(): Partition[] {
    return [...this.partitions.values()];
  }

  async append(partition: Partition, records: Buffer, nowMs: number): Promise<AppendResult> {
    const result = await partition.append(records, nowMs);
    if (result.ok && !result.duplicate) this.notify(partitionKey(partition.topic, partition.partition));
    return result;
  }

  read(partition: Partition, fetchOffset: number, maxBytes: number, options: ReadOptions): Promise<ReadResult> {
    return partition.log.read(fetchOffset, maxBytes, options);
  }

  /**
   * Resolves when one of the partitions gets new data, after `timeoutMs`, or when `abort`
   * fires — whichever comes first. Used by Fetch long polling (max_wait_ms / min_bytes).
   */
  waitForData(keys: string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        keys,
        wake: () => {
          clearTimeout(timer);
          for (const key of keys) {
            const set = this.waitersByKey.get(key);
            set?.delete(waiter);
            if (set?.size === 0) this.waitersByKey.delete(key);
          }
          resolve();
        },
      };
      for (const key of keys) {
        let set = this.waitersByKey.get(key);
        if (set === undefined) this.waitersByKey.set(key, (set = new Set()));
        set.add(waiter);
      }
      timer = setTimeout(waiter.wake, Math.max(0, timeoutMs));
    });
  }

  private notify(key: string): void {
    const waiters = this.waitersByKey.get(key);
    if (waiters === undefined) return;
    for (const waiter of [...waiters]) waiter.wake();
  }

  /** Wakes every long poll (shutdown). */
  wakeAll(): void {
    for (const waiters of [...this.waitersByKey.values()]) for (const waiter of [...waiters]) waiter.wake();
  }
}
