/**
 * The consumer. Either `subscribe` (topic names or a RegExp; a consumer group assigns the
 * partitions) or `assign` (explicit partitions, no group). Records arrive through
 * `for await (const record of consumer)` or `for await (const batch of consumer.batches())`.
 *
 * A background fetcher keeps one Fetch in flight per leader broker (on a dedicated connection,
 * so long polls never delay commits or heartbeats), up to `bufferedBytesMax` of unconsumed data.
 * Positions advance as records are handed out; what counts as consumed for commits is what the
 * user has finished with (the record before the one being asked for).
 */
import { iterateBatchHeaders, type DecodedRecord, type RecordHeader } from '@kafkaesque/protocol';
import { Cluster, type ClusterOptions } from '../cluster/cluster.ts';
import { Apis } from '../cluster/apis.ts';
import { KafkaClientError, KafkaConfigError, KafkaResponseError, isRetriable } from '../errors.ts';
import { deserializers as builtInDeserializers, type Deserializers } from '../serializers.ts';
import { FetchedChunk, type PartitionState, type AbortedTransaction } from './fetch-buffer.ts';
import { GroupMembership, type TopicPartition } from './group.ts';
import { ConsumerGroupMembership } from './consumer-group.ts';
import type { AssignorName } from './assignors.ts';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { backoffMs, sleep } from '../retry.ts';
import { channels, emptyMetrics, type ClientMetrics } from '../diagnostics.ts';

export type { TopicPartition } from './group.ts';

export interface ConsumerOptions<K = Buffer | null, V = Buffer | null> extends ClusterOptions {
  /** Group to join (subscribe) or to commit offsets for (assign). */
  groupId?: string | null;
  /** Static membership (KIP-345): a restart within the session timeout keeps the assignment. */
  groupInstanceId?: string;
  deserializers?: Deserializers<K, V>;
  /** Where to start without a committed offset: 'latest' (default), 'earliest' or 'none' (error). */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** Commit consumed offsets periodically and on close/revoke (default true with a group). */
  enableAutoCommit?: boolean;
  autoCommitIntervalMs?: number;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Assignors in order of preference (default ['range', 'cooperative-sticky'] as Java 4.0). */
  assignors?: AssignorName[];
  /** 'classic' (JoinGroup/SyncGroup, default) or 'consumer' (KIP-848; needs broker support). */
  groupProtocol?: 'classic' | 'consumer';
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  fetchMaxWaitMs?: number;
  fetchMinBytes?: number;
  fetchMaxBytes?: number;
  partitionFetchBytesMax?: number;
  /** Fetched but unconsumed bytes; fetching pauses above it. */
  bufferedBytesMax?: number;
  /** Verify each fetched batch's CRC32C before reading it (default true, as Java's check.crcs). */
  checkCrcs?: boolean;
  /** Records per batch in `batches()`. */
  maxPollRecords?: number;
  /** How often a RegExp subscription looks for new matching topics. */
  patternRefreshMs?: number;
  onPartitionsAssigned?: (partitions: TopicPartition[]) => void | Promise<void>;
  onPartitionsRevoked?: (partitions: TopicPartition[]) => void | Promise<void>;
  onPartitionsLost?: (partitions: TopicPartition[]) => void | Promise<void>;
}

export interface ConsumerRecord<K = Buffer | null, V = Buffer | null> {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: K;
  value: V;
  headers: RecordHeader[];
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export const CONSUMER_DEFAULTS = {
  autoOffsetReset: 'latest',
  autoCommitIntervalMs: 5000,
  sessionTimeoutMs: 45_000,
  rebalanceTimeoutMs: 60_000,
  heartbeatIntervalMs: 3000,
  fetchMaxWaitMs: 500,
  fetchMinBytes: 1,
  fetchMaxBytes: 50 * 1024 * 1024,
  // larger than Java's 1 MiB: fewer, bigger fetches (memory stays bounded by bufferedBytesMax)
  partitionFetchBytesMax: 8 * 1024 * 1024,
  bufferedBytesMax: 64 * 1024 * 1024,
  maxPollRecords: 500,
  patternRefreshMs: 30_000,
} as const;

/** Fetch responses per partition that may wait unconsumed while the next fetch is in flight. */
const PREFETCH_FETCHES_MAX = 2;
/**
 * Records already buffered are handed out without leaving the microtask queue, so a consumer
 * working through them would never let the socket be read: the fetch in flight would sit in the
 * kernel's buffers (stalling the broker) until the buffered records ran out. While a fetch is in
 * flight, poll lets the event loop turn at least this often.
 */
const FETCH_READ_TURN_MS = 2;
const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;
const OFFSET_OUT_OF_RANGE = 1;
const STALE_LEADER_ERRORS = new Set([3, 5, 6, 74, 75, 100]);

function key(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
}

export class Consumer<K = Buffer | null, V = Buffer | null> implements AsyncIterable<ConsumerRecord<K, V>> {
  readonly cluster: Cluster;
  private readonly options: ConsumerOptions<K, V>;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly chunks: FetchedChunk[] = [];
  private bufferedBytes = 0;
  private readonly fetchLoops = new Map<number, Promise<void>>();
  private dataWaiters: (() => void)[] = [];
  private closed = false;
  private subscription: string[] | RegExp | null = null;
  private membership: GroupMembership | ConsumerGroupMembership | null = null;
  private lastAutoCommitMs = Date.now();
  private patternTimer: NodeJS.Timeout | null = null;
  private readonly metricsCounters: ClientMetrics = emptyMetrics();
  private readonly keyDeserializer: (bytes: Buffer | null, topic: string) => K;
  private readonly valueDeserializer: (bytes: Buffer | null, topic: string) => V;
  private groupError: Error | null = null;
  /** When poll last let the event loop turn (see FETCH_READ_TURN_MS). */
  private lastLoopTurnMs = 0;

  constructor(options: ConsumerOptions<K, V>) {
    this.options = options;
    this.cluster = new Cluster(options);
    this.keyDeserializer = (options.deserializers?.key ?? builtInDeserializers.raw) as (bytes: Buffer | null, topic: string) => K;
    this.valueDeserializer = (options.deserializers?.value ?? builtInDeserializers.raw) as (bytes: Buffer | null, topic: string) => V;
  }

  metrics(): ClientMetrics {
    return { ...this.metricsCounters };
  }

  private get autoCommit(): boolean {
    return Boolean(this.options.groupId) && (this.options.enableAutoCommit ?? true);
  }

  // --- subscription and assignment --------------------------------------------------------

  /** Joins the group and consumes what it assigns; topics by name or by pattern. */
  async subscribe(topics: string | readonly string[] | RegExp): Promise<void> {
    const groupId = this.options.groupId;
    if (!groupId) throw new KafkaConfigError('subscribe needs a groupId (use assign() without a group)');
    if (this.subscription === null && this.partitions.size > 0) throw new KafkaConfigError('consumer already uses assign()');
    this.subscription = topics instanceof RegExp ? topics : typeof topics === 'string' ? [topics] : [...topics];
    if (this.subscription instanceof RegExp) await this.refreshPatternTopics();
    const hooks = {
      subscribedTopics: () => this.subscribedTopics(),
      assigned: (partitions: TopicPartition[]) => this.onAssigned(partitions),
      revoked: (partitions: TopicPartition[]) => this.onRevoked(partitions, true),
      lost: (partitions: TopicPartition[]) => this.onRevoked(partitions, false),
    };
    if (!this.membership && this.options.groupProtocol === 'consumer') {
      this.membership = new ConsumerGroupMembership(
        this.cluster,
        { groupId, groupInstanceId: this.options.groupInstanceId, rebalanceTimeoutMs: this.options.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs },
        hooks,
      );
    }
    if (!this.membership) {
      this.membership = new GroupMembership(
        this.cluster,
        {
          groupId,
          groupInstanceId: this.options.groupInstanceId,
          sessionTimeoutMs: this.options.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs,
          rebalanceTimeoutMs: this.options.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs,
          heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? CONSUMER_DEFAULTS.heartbeatIntervalMs,
          assignors: this.options.assignors ?? ['range', 'cooperative-sticky'],
        },
        hooks,
      );
    }
    this.membership.requestRejoin();
    if (this.subscription instanceof RegExp) this.startPatternRefresh();
    await this.membership.ensureActive();
  }

  private patternTopics: string[] = [];

  private subscribedTopics(): string[] {
    if (this.subscription instanceof RegExp) return this.patternTopics;
    return this.subscription ?? [];
  }

  private async refreshPatternTopics(): Promise<boolean> {
    const pattern = this.subscription as RegExp;
    const all = await this.cluster.allTopics();
    const matched = all
      .filter((topic) => !topic.isInternal && pattern.test(topic.name))
      .map((topic) => topic.name)
      .sort();
    const changed = matched.join('\u0000') !== this.patternTopics.join('\u0000');
    this.patternTopics = matched;
    return changed;
  }

  private startPatternRefresh(): void {
    if (this.patternTimer) return;
    const intervalMs = this.options.patternRefreshMs ?? CONSUMER_DEFAULTS.patternRefreshMs;
    const tick = async () => {
      this.patternTimer = null;
      if (this.closed || !(this.subscription instanceof RegExp)) return;
      try {
        if (await this.refreshPatternTopics()) this.membership?.requestRejoin();
      } catch {
        // try again next time
      }
      if (!this.closed) this.patternTimer = setTimeout(tick, intervalMs);
    };
    this.patternTimer = setTimeout(tick, intervalMs);
  }

  /** Consumes exactly these partitions (no group membership); offset optional per partition. */
  async assign(partitions: readonly (TopicPartition & { offset?: number })[]): Promise<void> {
    if (this.subscription !== null) throw new KafkaConfigError('consumer already uses subscribe()');
    const wanted = new Set(partitions.map((tp) => key(tp.topic, tp.partition)));
    for (const [partitionKey, state] of this.partitions) {
      if (!wanted.has(partitionKey)) {
        state.epoch++;
        this.partitions.delete(partitionKey);
        this.lastConsumedState = null;
      }
    }
    for (const tp of partitions) {
      const state = this.partitionState(tp.topic, tp.partition, true);
      if (tp.offset !== undefined) this.seekState(state, tp.offset);
    }
    await this.resolvePositions();
    this.wakeFetchers();
  }

  /** The partitions currently assigned. */
  assignment(): TopicPartition[] {
    return [...this.partitions.values()].map((state) => ({ topic: state.topic, partition: state.partition }));
  }

  private partitionState(topic: string, partition: number, create: boolean): PartitionState {
    const partitionKey = key(topic, partition);
    let state = this.partitions.get(partitionKey);
    if (!state) {
      if (!create) throw new KafkaConfigError(`${topic}-${partition} is not assigned to this consumer`);
      state = {
        topic,
        partition,
        position: null,
        fetchPosition: null,
        consumed: null,
        paused: false,
        epoch: 0,
        fetching: false,
        bufferedBytes: 0,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        resetTo: null,
      };
      this.partitions.set(partitionKey, state);
      this.lastConsumedState = null;
    }
    return state;
  }

  private async onAssigned(partitions: TopicPartition[]): Promise<void> {
    for (const tp of partitions) this.partitionState(tp.topic, tp.partition, true);
    await this.resolvePositions();
    await this.options.onPartitionsAssigned?.(partitions);
    this.wakeFetchers();
  }

  private async onRevoked(partitions: TopicPartition[], commitFirst: boolean): Promise<void> {
    if (commitFirst && this.autoCommit) await this.commit().catch(() => {});
    if (commitFirst) await this.options.onPartitionsRevoked?.(partitions);
    else await this.options.onPartitionsLost?.(partitions);
    for (const tp of partitions) {
      const state = this.partitions.get(key(tp.topic, tp.partition));
      if (!state) continue;
      state.epoch++;
      this.partitions.delete(key(tp.topic, tp.partition));
      this.lastConsumedState = null;
    }
    this.dropStaleChunks();
  }

  // --- positions --------------------------------------------------------------------------

  /** Fills unknown positions: committed offsets first (with a group), then the reset policy. */
  private async resolvePositions(): Promise<void> {
    const unknown = [...this.partitions.values()].filter((state) => state.position === null);
    if (unknown.length === 0) return;
    if (this.options.groupId) {
      const committed = await this.committed(unknown.filter((state) => state.resetTo === null));
      for (const entry of committed) {
        const state = this.partitions.get(key(entry.topic, entry.partition));
        if (state && state.position === null && entry.offset >= 0) this.seekState(state, entry.offset);
      }
    }
    const toReset = unknown.filter((state) => state.position === null);
    if (toReset.length === 0) return;
    const byPolicy = new Map<'earliest' | 'latest', PartitionState[]>();
    for (const state of toReset) {
      const policy = state.resetTo ?? this.options.autoOffsetReset ?? CONSUMER_DEFAULTS.autoOffsetReset;
      if (policy === 'none') {
        throw new KafkaClientError(`no committed offset for ${state.topic}-${state.partition} and autoOffsetReset is 'none'`, { code: 1, errorName: 'OFFSET_OUT_OF_RANGE' });
      }
      let list = byPolicy.get(policy);
      if (!list) byPolicy.set(policy, (list = []));
      list.push(state);
    }
    for (const [policy, states] of byPolicy) {
      const offsets = await this.listOffsets(states, policy === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
      for (const state of states) {
        const offset = offsets.get(key(state.topic, state.partition));
        if (offset !== undefined && state.position === null) this.seekState(state, offset);
        state.resetTo = null;
      }
    }
  }

  /** ListOffsets for partitions at a timestamp (-2 earliest, -1 latest), grouped per leader. */
  private async listOffsets(targets: readonly TopicPartition[], timestamp: bigint | ((tp: TopicPartition) => bigint)): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const isolationLevel = this.options.isolationLevel === 'read_committed' ? 1 : 0;
    await this.cluster.withRetries(async () => {
      const pending = targets.filter((tp) => !result.has(key(tp.topic, tp.partition)));
      const byLeader = new Map<number, TopicPartition[]>();
      for (const tp of pending) {
        const leader = await this.cluster.leaderFor(tp.topic, tp.partition);
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(tp);
      }
      let failure: KafkaClientError | null = null;
      await Promise.all(
        [...byLeader].map(async ([leaderId, list]) => {
          const byTopic = new Map<string, TopicPartition[]>();
          for (const tp of list) {
            let topicList = byTopic.get(tp.topic);
            if (!topicList) byTopic.set(tp.topic, (topicList = []));
            topicList.push(tp);
          }
          const response = await this.cluster.send(leaderId, Apis.ListOffsets, (version) => ({
            ...Apis.ListOffsets.request.defaults(),
            replicaId: -1,
            isolationLevel: version >= 2 ? isolationLevel : 0,
            topics: [...byTopic].map(([name, tps]) => ({
              name,
              partitions: tps.map((tp) => ({
                partitionIndex: tp.partition,
                currentLeaderEpoch: -1,
                timestamp: typeof timestamp === 'function' ? timestamp(tp) : timestamp,
                maxNumOffsets: 1,
              })),
            })),
            timeoutMs: this.options.requestTimeoutMs ?? 30_000,
          }));
          for (const topic of response.topics) {
            for (const partition of topic.partitions) {
              if (partition.errorCode !== 0) {
                failure = new KafkaResponseError(partition.errorCode, { apiName: 'ListOffsets', apiKey: Apis.ListOffsets.apiKey, apiVersion: -1, topic: topic.name, partition: partition.partitionIndex });
                continue;
              }
              result.set(key(topic.name, partition.partitionIndex), Number(partition.offset));
            }
          }
        }),
      );
      if (failure) throw failure;
    });
    return result;
  }

  private seekState(state: PartitionState, offset: number): void {
    state.position = offset;
    state.fetchPosition = offset;
    state.consumed = offset;
    state.epoch++;
    this.dropStaleChunks();
  }

  /** Moves the next fetch of a partition to `offset`. */
  seek(target: TopicPartitionOffset): void {
    const state = this.partitionState(target.topic, target.partition, false);
    state.resetTo = null;
    this.seekState(state, target.offset);
    this.wakeFetchers();
  }

  async seekToBeginning(partitions: readonly TopicPartition[] = this.assignment()): Promise<void> {
    await this.seekTo(partitions, EARLIEST_TIMESTAMP);
  }

  async seekToEnd(partitions: readonly TopicPartition[] = this.assignment()): Promise<void> {
    await this.seekTo(partitions, LATEST_TIMESTAMP);
  }

  private async seekTo(partitions: readonly TopicPartition[], timestamp: bigint): Promise<void> {
    const offsets = await this.listOffsets(partitions, timestamp);
    for (const tp of partitions) {
      const offset = offsets.get(key(tp.topic, tp.partition));
      if (offset !== undefined) this.seek({ ...tp, offset });
    }
  }

  /** The earliest offset whose timestamp is ≥ the given one, per partition (-1: none). */
  async offsetsForTimes(targets: readonly (TopicPartition & { timestamp: number })[]): Promise<TopicPartitionOffset[]> {
    const byKey = new Map(targets.map((target) => [key(target.topic, target.partition), BigInt(target.timestamp)]));
    const offsets = await this.listOffsets(targets, (tp) => byKey.get(key(tp.topic, tp.partition)) ?? LATEST_TIMESTAMP);
    return targets.map((target) => ({ topic: target.topic, partition: target.partition, offset: offsets.get(key(target.topic, target.partition)) ?? -1 }));
  }

  /** The next offset the consumer will fetch for a partition. */
  position(tp: TopicPartition): number | null {
    return this.partitionState(tp.topic, tp.partition, false).position;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const state = this.partitionState(tp.topic, tp.partition, false);
      state.paused = true;
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.partitionState(tp.topic, tp.partition, false).paused = false;
    this.wakeFetchers();
    this.notifyData();
  }

  paused(): TopicPartition[] {
    return [...this.partitions.values()].filter((state) => state.paused).map((state) => ({ topic: state.topic, partition: state.partition }));
  }

  // --- offsets ----------------------------------------------------------------------------

  /** Committed offsets of the group for these partitions (-1 when none). */
  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const groupId = this.requireGroupId('committed');
    if (partitions.length === 0) return [];
    const byTopic = new Map<string, number[]>();
    for (const tp of partitions) {
      let list = byTopic.get(tp.topic);
      if (!list) byTopic.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    return this.cluster.withRetries(async () => {
      const coordinator = await this.cluster.coordinator(groupId, 0);
      const response = await coordinator.send(Apis.OffsetFetch, (version) => ({
        ...Apis.OffsetFetch.request.defaults(),
        groupId,
        topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        requireStable: version >= 7,
      }));
      if (response.errorCode !== 0) this.throwCoordinatorError(response.errorCode, 'OffsetFetch', groupId);
      const result: TopicPartitionOffset[] = [];
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== 0) this.throwCoordinatorError(partition.errorCode, 'OffsetFetch', groupId);
          result.push({ topic: topic.name, partition: partition.partitionIndex, offset: Number(partition.committedOffset) });
        }
      }
      return result;
    });
  }

  /**
   * Commits offsets: the given ones, or else what has been consumed so far. In a group, a commit
   * during a rebalance fails with a typed error (REBALANCE_IN_PROGRESS / ILLEGAL_GENERATION).
   */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    const groupId = this.requireGroupId('commit');
    const toCommit =
      offsets ??
      [...this.partitions.values()].filter((state) => state.consumed !== null).map((state) => ({ topic: state.topic, partition: state.partition, offset: state.consumed as number }));
    if (toCommit.length === 0) return;
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }[]>();
    for (const entry of toCommit) {
      let list = byTopic.get(entry.topic);
      if (!list) byTopic.set(entry.topic, (list = []));
      list.push({ partitionIndex: entry.partition, committedOffset: BigInt(entry.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null });
    }
    await this.cluster.withRetries(async () => {
      const coordinator = await this.cluster.coordinator(groupId, 0);
      const membership = this.membership;
      const response = await coordinator.send(Apis.OffsetCommit, () => ({
        ...Apis.OffsetCommit.request.defaults(),
        groupId,
        generationIdOrMemberEpoch: membership?.generationId ?? -1,
        memberId: membership?.memberId ?? '',
        groupInstanceId: this.options.groupInstanceId ?? null,
        retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      }));
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== 0) this.throwCoordinatorError(partition.errorCode, 'OffsetCommit', groupId);
        }
      }
    });
    this.lastAutoCommitMs = Date.now();
  }

  private throwCoordinatorError(errorCode: number, apiName: 'OffsetFetch' | 'OffsetCommit', groupId: string): never {
    if (errorCode === 14 || errorCode === 15 || errorCode === 16) this.cluster.forgetCoordinator(groupId, 0);
    if (errorCode === 27 || errorCode === 22 || errorCode === 25) this.membership?.requestRejoin();
    throw new KafkaResponseError(errorCode, { apiName, apiKey: Apis[apiName].apiKey, apiVersion: -1 });
  }

  private requireGroupId(operation: string): string {
    const groupId = this.options.groupId;
    if (!groupId) throw new KafkaConfigError(`${operation} needs a groupId`);
    return groupId;
  }

  private maybeAutoCommit(): void {
    if (!this.autoCommit) return;
    const intervalMs = this.options.autoCommitIntervalMs ?? CONSUMER_DEFAULTS.autoCommitIntervalMs;
    if (Date.now() - this.lastAutoCommitMs < intervalMs) return;
    this.lastAutoCommitMs = Date.now();
    this.commit().catch(() => {});
  }

  // --- fetching ---------------------------------------------------------------------------

  private wakeFetchers(): void {
    if (this.closed) return;
    const leaders = new Set<number>();
    for (const state of this.partitions.values()) {
      if (!this.isFetchable(state)) continue;
      const leader = this.cluster.cachedTopic(state.topic)?.partitions[state.partition]?.leaderId;
      if (leader === undefined || leader < 0) {
        this.cluster.refreshMetadata([state.topic]).then(
          () => this.wakeFetchers(),
          () => setTimeout(() => this.wakeFetchers(), this.cluster.retry.retryBackoffMs),
        );
        continue;
      }
      leaders.add(leader);
    }
    for (const leader of leaders) {
      if (!this.fetchLoops.has(leader)) {
        this.fetchLoops.set(
          leader,
          this.fetchLoop(leader).finally(() => {
            this.fetchLoops.delete(leader);
          }),
        );
      }
    }
  }

  private isFetchable(state: PartitionState): boolean {
    // one fetched chunk may wait while the next is fetched, so consuming and fetching overlap
    return (
      state.position !== null &&
      state.fetchPosition !== null &&
      !state.paused &&
      !state.fetching &&
      state.bufferedBytes < PREFETCH_FETCHES_MAX * (this.options.partitionFetchBytesMax ?? CONSUMER_DEFAULTS.partitionFetchBytesMax)
    );
  }

  private async fetchLoop(leaderId: number): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      if (this.bufferedBytes >= (this.options.bufferedBytesMax ?? CONSUMER_DEFAULTS.bufferedBytesMax)) return;
      const states = [...this.partitions.values()].filter(
        (state) => this.isFetchable(state) && this.cluster.cachedTopic(state.topic)?.partitions[state.partition]?.leaderId === leaderId,
      );
      if (states.length === 0) return;
      for (const state of states) state.fetching = true;
      const epochs = states.map((state) => state.epoch);
      try {
        await this.fetchOnce(leaderId, states, epochs);
        failures = 0;
      } catch (error) {
        failures++;
        if (this.closed) return;
        if (!isRetriable(error)) this.groupError = error as Error;
        await this.cluster.refreshMetadata([...new Set(states.map((state) => state.topic))]).catch(() => {});
        await sleep(backoffMs(Math.min(failures, 5), this.cluster.retry));
      } finally {
        for (const state of states) state.fetching = false;
      }
    }
  }

  private async fetchOnce(leaderId: number, states: PartitionState[], epochs: number[]): Promise<void> {
    const byTopic = new Map<string, PartitionState[]>();
    for (const state of states) {
      let list = byTopic.get(state.topic);
      if (!list) byTopic.set(state.topic, (list = []));
      list.push(state);
    }
    const maxWaitMs = this.options.fetchMaxWaitMs ?? CONSUMER_DEFAULTS.fetchMaxWaitMs;
    const partitionMaxBytes = this.options.partitionFetchBytesMax ?? CONSUMER_DEFAULTS.partitionFetchBytesMax;
    const response = await this.cluster.send(
      leaderId,
      Apis.Fetch,
      () => ({
        ...Apis.Fetch.request.defaults(),
        replicaId: -1,
        maxWaitMs,
        minBytes: this.options.fetchMinBytes ?? CONSUMER_DEFAULTS.fetchMinBytes,
        maxBytes: this.options.fetchMaxBytes ?? CONSUMER_DEFAULTS.fetchMaxBytes,
        isolationLevel: this.options.isolationLevel === 'read_committed' ? 1 : 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, list]) => ({
          topic,
          topicId: this.cluster.cachedTopic(topic)?.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA',
          partitions: list.map((state) => ({
            partition: state.partition,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(state.fetchPosition as number),
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      }),
      { purpose: 'fetch', timeoutMs: (this.options.requestTimeoutMs ?? 30_000) + maxWaitMs },
    );
    if (response.errorCode !== 0) throw new KafkaResponseError(response.errorCode, { apiName: 'Fetch', apiKey: Apis.Fetch.apiKey, apiVersion: -1 });
    const epochByState = new Map(states.map((state, index) => [state, epochs[index]]));
    let staleMetadata = false;
    let gotData = false;
    // Fetch ≥ 13 names topics by id only
    const nameById = new Map<string, string>();
    for (const topic of byTopic.keys()) {
      const topicId = this.cluster.cachedTopic(topic)?.topicId;
      if (topicId) nameById.set(topicId, topic);
    }
    for (const topicResponse of response.responses) {
      const topicName = topicResponse.topic || nameById.get(topicResponse.topicId) || '';
      for (const partitionResponse of topicResponse.partitions) {
        const state = this.partitions.get(key(topicName, partitionResponse.partitionIndex));
        if (!state || epochByState.get(state) !== state.epoch) continue;
        const errorCode = partitionResponse.errorCode;
        if (errorCode === OFFSET_OUT_OF_RANGE) {
          state.position = null;
          state.fetchPosition = null;
          state.resetTo = this.options.autoOffsetReset ?? CONSUMER_DEFAULTS.autoOffsetReset;
          continue;
        }
        if (STALE_LEADER_ERRORS.has(errorCode)) {
          staleMetadata = true;
          continue;
        }
        if (errorCode !== 0) {
          this.groupError = new KafkaResponseError(errorCode, { apiName: 'Fetch', apiKey: Apis.Fetch.apiKey, apiVersion: -1, topic: state.topic, partition: state.partition });
          this.notifyData();
          continue;
        }
        state.highWatermark = Number(partitionResponse.highWatermark);
        state.lastStableOffset = Number(partitionResponse.lastStableOffset);
        state.logStartOffset = Number(partitionResponse.logStartOffset);
        const records = partitionResponse.records;
        if (!records || records.length === 0) continue;
        const aborted: AbortedTransaction[] | null = partitionResponse.abortedTransactions
          ? partitionResponse.abortedTransactions.map((entry) => ({ producerId: entry.producerId, firstOffset: Number(entry.firstOffset) }))
          : null;
        const lastBatch = lastCompleteBatchEnd(records);
        if (lastBatch < 0) continue; // only a partial batch: Kafka ≥ 0.10.1 never does this (KIP-74)
        state.fetchPosition = Math.max(state.fetchPosition ?? 0, lastBatch);
        const chunk = new FetchedChunk(state, records, aborted, this.options.isolationLevel === 'read_committed', this.options.checkCrcs ?? true);
        state.bufferedBytes += chunk.byteLength;
        this.bufferedBytes += chunk.byteLength;
        this.metricsCounters.bytesReceived += chunk.byteLength;
        this.chunks.push(chunk);
        gotData = true;
      }
    }
    if (channels.fetch.hasSubscribers) channels.fetch.publish({ leaderId, partitions: states.length, gotData });
    if ([...this.partitions.values()].some((state) => state.position === null)) {
      this.resolvePositions().then(
        () => this.wakeFetchers(),
        (error: unknown) => {
          this.groupError = error as Error;
          this.notifyData();
        },
      );
    }
    if (staleMetadata) {
      await this.cluster.refreshMetadata([...byTopic.keys()]).catch(() => {});
      this.wakeFetchers();
    }
    if (gotData) this.notifyData();
  }

  private notifyData(): void {
    const waiters = this.dataWaiters;
    this.dataWaiters = [];
    for (const wake of waiters) wake();
  }

  private dropStaleChunks(): void {
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      if (this.chunks[i].isStale) this.releaseChunk(i);
    }
  }

  private releaseChunk(index: number): void {
    const [chunk] = this.chunks.splice(index, 1);
    chunk.state.bufferedBytes -= chunk.byteLength;
    this.bufferedBytes -= chunk.byteLength;
  }

  // --- consumption ------------------------------------------------------------------------

  /** Up to `maxRecords` buffered records, without waiting (decoding batches as it goes). */
  private takeRecords(maxRecords: number): ConsumerRecord<K, V>[] {
    const out: ConsumerRecord<K, V>[] = [];
    let index = 0;
    while (out.length < maxRecords && index < this.chunks.length) {
      const chunk = this.chunks[index];
      if (chunk.isStale) {
        this.releaseChunk(index);
        continue;
      }
      if (chunk.state.paused) {
        index++;
        continue;
      }
      let record: DecodedRecord | null = null;
      while (out.length < maxRecords && (record = chunk.next()) !== null) {
        out.push(this.toConsumerRecord(chunk.state, record));
        chunk.state.position = record.offset + 1;
      }
      if (chunk.done) {
        this.releaseChunk(index);
        this.wakeFetchers();
      }
    }
    this.metricsCounters.recordsReceived += out.length;
    return out;
  }

  private toConsumerRecord(state: PartitionState, record: DecodedRecord): ConsumerRecord<K, V> {
    return {
      topic: state.topic,
      partition: state.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: this.keyDeserializer(record.key, state.topic),
      value: this.valueDeserializer(record.value, state.topic),
      headers: record.headers,
    };
  }

  /**
   * Waits until records are available and returns up to maxRecords of them; returns [] when the
   * consumer closes or `timeoutMs` passes first. Group membership (rejoins) and auto-commit are
   * driven from here, as Java's poll does.
   */
  async poll(maxRecords = this.options.maxPollRecords ?? CONSUMER_DEFAULTS.maxPollRecords, timeoutMs = Infinity): Promise<ConsumerRecord<K, V>[]> {
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      if (this.groupError) {
        const error = this.groupError;
        this.groupError = null;
        throw error;
      }
      if (this.closed) return [];
      this.maybeAutoCommit();
      if (this.membership && !this.membership.isStable) {
        await this.membership.ensureActive();
      }
      if (this.fetchLoops.size > 0 && performance.now() - this.lastLoopTurnMs >= FETCH_READ_TURN_MS) {
        await nextLoopTurn();
        this.lastLoopTurnMs = performance.now();
        continue;
      }
      const records = this.takeRecords(maxRecords);
      if (records.length > 0) return records;
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) return [];
      this.wakeFetchers();
      await new Promise<void>((resolve) => {
        this.dataWaiters.push(resolve);
        // wake up now and then so auto-commit and rejoins happen while no records arrive
        const idleWakeMs = Math.min(remainingMs, 1000, this.options.autoCommitIntervalMs ?? CONSUMER_DEFAULTS.autoCommitIntervalMs);
        setTimeout(resolve, idleWakeMs).unref();
      });
      this.lastLoopTurnMs = performance.now();
    }
  }

  /** The partition state of the last record marked consumed (records come in runs per partition). */
  private lastConsumedState: PartitionState | null = null;

  private markConsumed(record: ConsumerRecord<K, V>): void {
    let state = this.lastConsumedState;
    // (reset whenever the assignment changes, so a cached state is never a revoked partition's)
    if (state === null || state.partition !== record.partition || state.topic !== record.topic) {
      state = this.partitions.get(key(record.topic, record.partition)) ?? null;
      this.lastConsumedState = state;
    }
    if (state) state.consumed = record.offset + 1;
  }

  private markBatchConsumed(records: readonly ConsumerRecord<K, V>[]): void {
    // only the last record of each partition matters: offsets grow within a partition
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const next = records[i + 1];
      if (next !== undefined && next.partition === record.partition && next.topic === record.topic) continue;
      const state = this.partitions.get(key(record.topic, record.partition));
      if (state) state.consumed = record.offset + 1;
    }
  }

  /** Batches of records as they arrive; each batch counts as consumed when the next is asked for. */
  async *batches(maxRecords?: number): AsyncGenerator<ConsumerRecord<K, V>[], void, undefined> {
    let previous: ConsumerRecord<K, V>[] = [];
    try {
      while (!this.closed) {
        const batch = await this.poll(maxRecords);
        this.markBatchConsumed(previous);
        previous = batch;
        if (batch.length > 0) yield batch;
      }
    } finally {
      this.markBatchConsumed(previous);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerRecord<K, V>, void, undefined> {
    let current: ConsumerRecord<K, V> | null = null;
    try {
      while (!this.closed) {
        const batch = await this.poll();
        for (const record of batch) {
          if (current) this.markConsumed(current);
          current = record;
          yield record;
        }
      }
    } finally {
      if (current) this.markConsumed(current);
    }
  }

  /** Commits (auto-commit), leaves the group (unless static) and closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.autoCommit && this.partitions.size > 0) await this.commit().catch(() => {});
    this.closed = true;
    if (this.patternTimer) clearTimeout(this.patternTimer);
    this.notifyData();
    await this.membership?.leave();
    await this.cluster.close();
  }
}

/** The offset after the last complete batch in a Fetch response's records (-1 if none). */
function lastCompleteBatchEnd(records: Buffer): number {
  let end = -1;
  for (const header of iterateBatchHeaders(records, 0, records.length)) end = header.baseOffset + header.lastOffsetDelta + 1;
  return end;
}
