/**
 * The partitions this broker hosts, kept in step with the metadata store: a log is created
 * when the broker becomes a replica, leadership (with its epoch) is taken when metadata says
 * so, and the log is deleted with its topic.
 *
 * Appends to one partition run one after the other, in call order, so requests pipelined on a
 * connection (and idempotent producers' in-flight batches) are appended in the order sent.
 * Without replication hooks (local metadata, one replica) the high watermark follows the log
 * end offset after every append. With them (the coordinator-backed cluster, ../cluster/) the
 * hooks own the high watermark, follower fetching, the ISR and acks=all waiting.
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
  /** Broker id of the leader (-1 none), replicas and ISR as metadata last said. */
  leaderId: number;
  replicas: number[];
  isr: number[];
  /** True when replication hooks own the high watermark (see the file comment). */
  readonly replicated: boolean;
  private appendChain: Promise<unknown> = Promise.resolve();

  constructor(topic: string, partition: number, log: PartitionLog, state: PartitionState, brokerId: number, replicated = false) {
    this.topic = topic;
    this.partition = partition;
    this.log = log;
    this.leaderEpoch = state.leaderEpoch;
    this.isLeader = state.leader === brokerId;
    this.leaderId = state.leader;
    this.replicas = [...state.replicas];
    this.isr = [...state.isr];
    this.replicated = replicated;
  }

  /** Appends in call order; without replication the high watermark moves to the new log end. */
  append(records: Buffer, nowMs: number): Promise<AppendResult> {
    return this.exclusive(async () => {
      const result = await this.log.appendAsLeader(records, { leaderEpoch: this.leaderEpoch, origin: 'client', nowMs });
      if (result.ok && !this.replicated) this.log.setHighWatermark(this.log.logEndOffset);
      return result;
    });
  }

  /** Runs `task` after every append queued before it, and before any queued later (truncation, follower appends). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.appendChain.then(task, task);
    this.appendChain = run.catch(() => undefined);
    return run;
  }
}

/** What the cluster plugs into the replica manager (implemented in ../cluster/replication.ts). */
export interface ReplicationHooks {
  /** A hosted partition was created or its metadata (leader, epoch, replicas, ISR) changed. */
  partitionUpdated(partition: Partition, state: PartitionState, topic: TopicState): void;
  /** A hosted partition's log is about to go (topic deleted). */
  partitionRemoved(partition: Partition): void;
  /** The leader appended: recompute the high watermark. */
  appended(partition: Partition): void;
  /** A follower fetched from `fetchOffset` (its log end offset). */
  followerFetched(partition: Partition, replicaId: number, fetchOffset: number): void;
  /** Whether a Fetch / OffsetForLeaderEpoch naming `replicaId` really comes from that broker. */
  isReplica(replicaId: number, clientId: string | null): boolean;
  /** acks=all: resolves with a Kafka error code once `offset` is below the high watermark (0) or it failed. */
  waitForReplication(partition: Partition, offset: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
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
  /** Followers, ISR and acks=all (the coordinator-backed cluster); absent: single replica. */
  replication?: (manager: ReplicaManager) => ReplicationHooks;
}

/** Kafka's TOPIC_AUTHORIZATION_FAILED: what a client posing as a replica gets. */
const NOT_A_REPLICA = 29;

export class ReplicaManager {
  private readonly options: ReplicaManagerOptions;
  private readonly partitions = new Map<string, Partition>();
  private readonly waitersByKey = new Map<string, Set<Waiter>>();
  /** Serialises reactions to metadata changes (log creation and deletion are async). */
  private changeChain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  readonly replication: ReplicationHooks | null;

  constructor(options: ReplicaManagerOptions) {
    this.options = options;
    this.replication = options.replication?.(this) ?? null;
  }

  get brokerId(): number {
    return this.options.brokerId;
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
    await this.replication?.stop();
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
    const created: PartitionState[] = [];
    for (const state of topic.partitions) {
      if (!state.replicas.includes(brokerId)) {
        // Reassigned away (Kafka's StopReplica with delete): stop following and drop the log.
        await this.dropPartition(topic.name, state.partition);
        continue;
      }
      const key = partitionKey(topic.name, state.partition);
      const existing = this.partitions.get(key);
      if (existing !== undefined) {
        const wasLeader = existing.isLeader;
        existing.leaderEpoch = state.leaderEpoch;
        existing.isLeader = state.leader === brokerId;
        existing.leaderId = state.leader;
        existing.replicas = [...state.replicas];
        existing.isr = [...state.isr];
        this.replication?.partitionUpdated(existing, state, topic);
        // Long polls on a partition that changed hands answer now (with the new error).
        if (wasLeader !== existing.isLeader) this.notify(key);
        continue;
      }
      created.push(state);
    }
    // New logs are created concurrently (each is a directory and a few files: I/O latency, not
    // CPU) — 50 partitions of __consumer_offsets would otherwise take 50 sequential rounds.
    const logsCreated = await Promise.all(created.map((state) => logs.getOrCreateLog(
      { topic: topic.name, partition: state.partition },
      { topicId: topic.id, config: this.options.logConfigFor(topic.configs) },
    )));
    created.forEach((state, i) => {
      const hosted = new Partition(topic.name, state.partition, logsCreated[i], state, brokerId, this.replication !== null);
      this.partitions.set(partitionKey(topic.name, state.partition), hosted);
      this.replication?.partitionUpdated(hosted, state, topic);
    });
  }

  private async dropTopic(topic: TopicState): Promise<void> {
    for (const state of topic.partitions) await this.dropPartition(topic.name, state.partition);
  }

  private async dropPartition(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition);
    const hosted = this.partitions.get(key);
    if (hosted === undefined) return;
    this.replication?.partitionRemoved(hosted);
    this.partitions.delete(key);
    // after appends / follower writes queued on it, so the log is not deleted under them
    await hosted.exclusive(() => this.options.logs.deleteLog({ topic, partition }));
    this.notify(key);
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

  /** The hosted partition, leader or follower. */
  hostedPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(partitionKey(topic, partition));
  }

  async append(partition: Partition, records: Buffer, nowMs: number): Promise<AppendResult> {
    const result = await partition.append(records, nowMs);
    if (result.ok && !result.duplicate) this.leaderAppended(partition);
    return result;
  }

  /**
   * The leader's log grew: recompute the high watermark and wake long polls on the partition —
   * followers' fetches above all, whose next fetch is what advances the high watermark (without
   * the wake an acks=all write waits out replica.fetch.wait.max.ms). Also called by the group
   * coordinator, which appends its own records to __consumer_offsets.
   */
  leaderAppended(partition: Partition): void {
    this.replication?.appended(partition);
    this.notify(partitionKey(partition.topic, partition.partition));
  }

  /**
   * acks=all: waits until `offset` (exclusive end of the append) is below the high watermark.
   * Returns a Kafka error code: NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT,
   * NOT_LEADER_OR_FOLLOWER. Without replication the append alone completes the write.
   */
  waitForReplication(partition: Partition, offset: number, timeoutMs: number): Promise<number> {
    if (this.replication === null) return Promise.resolve(ReplicaErrorCode.none);
    return this.replication.waitForReplication(partition, offset, timeoutMs);
  }

  /**
   * A fetch naming replica `replicaId`: refused (TOPIC_AUTHORIZATION_FAILED) unless it comes from
   * that broker; else records the follower's position. Returns a Kafka error code.
   */
  followerFetch(partition: Partition, replicaId: number, clientId: string | null, fetchOffset: number): number {
    if (this.replication === null || !this.replication.isReplica(replicaId, clientId)) return NOT_A_REPLICA;
    if (!partition.replicas.includes(replicaId)) return ReplicaErrorCode.notLeaderOrFollower;
    this.replication.followerFetched(partition, replicaId, fetchOffset);
    return ReplicaErrorCode.none;
  }

  /** Wakes long polls on a partition (the high watermark moved, leadership changed). */
  wake(partition: Partition): void {
    this.notify(partitionKey(partition.topic, partition.partition));
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
