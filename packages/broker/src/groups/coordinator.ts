/**
 * The group coordinator of one broker: it owns the groups whose __consumer_offsets partition
 * this broker leads (partition = abs(javaHash(groupId)) % offsets.topic.num.partitions), loads a
 * partition's groups and offsets from its log when it becomes leader (answering
 * COORDINATOR_LOAD_IN_PROGRESS meanwhile), answers NOT_COORDINATOR for the others, and persists
 * every change as Kafka-format records through the partition's store. Transport-free: handlers
 * decode requests, call these methods, and encode the results.
 */
import { Reader } from '@kafkaesque/protocol';
import { ClassicCoordinator, joinError, syncError, type JoinGroupParams, type LeaveMember, type LeaveMemberOutcome, type SyncGroupParams, type HeartbeatParams } from './classic-coordinator.ts';
import { ClassicGroup, ClassicGroupState, EMPTY_BYTES, type JoinGroupOutcome, type SyncGroupOutcome } from './classic-group.ts';
import { groupConfig, type GroupCoordinatorConfig } from './config.ts';
import { ConsumerGroupCoordinator, type ConsumerGroupHeartbeatParams, type ConsumerGroupHeartbeatOutcome, type DescribedConsumerGroup, type TopicMetadataSource } from './consumer-coordinator.ts';
import { ConsumerGroup } from './consumer-group.ts';
import { ConsumerGroupParts, ConsumerRecordType, memberRecordKeys, snapshotConsumerGroup } from './consumer-records.ts';
import { GroupCoordinatorError, GroupError, errorCodeOf } from './error-codes.ts';
import { OffsetTable, type CommittedOffset } from './offsets.ts';
import { partitionForKey } from './partitioning.ts';
import {
  decodeCoordinatorRecord,
  encodeGroupMetadata,
  encodeOffsetCommit,
  groupTombstone,
  offsetTombstone,
  type GroupSnapshot,
  type RawRecord,
} from './records.ts';
import { systemScheduler, type Scheduler, type TimerHandle } from './scheduler.ts';
import type { LoadedBatch, OffsetsPartitionStore } from './store.ts';
import { subscribedTopicsOf } from './subscription.ts';

export type Group = ClassicGroup | ConsumerGroup;

/** Tells the coordinator which __consumer_offsets partitions this broker leads. */
export interface OffsetsPartitionSource {
  /**
   * The store of `partition` when this broker is its leader now, else undefined. Returning a
   * different store object (new leader epoch) makes the coordinator reload the partition.
   */
  storeFor(partition: number): OffsetsPartitionStore | undefined | Promise<OffsetsPartitionStore | undefined>;
}

export interface GroupCoordinatorOptions {
  source: OffsetsPartitionSource;
  config?: Partial<GroupCoordinatorConfig>;
  scheduler?: Scheduler;
  /** Topic names, ids and partition counts (KIP-848 assignment, OffsetDelete checks). */
  topics?: TopicMetadataSource;
}

type PartitionStatus = 'loading' | 'active' | 'failed';

interface LoadingState {
  snapshots: Map<string, GroupSnapshot>;
  consumerParts: Map<string, ConsumerGroupParts>;
  /** Which kind of group the last live metadata record of an id described. */
  lastKind: Map<string, 'classic' | 'consumer'>;
}

interface PendingTxnOffset {
  groupId: string;
  topic: string;
  partition: number;
  /** null: a tombstone inside the transaction. */
  offset: CommittedOffset | null;
}

class CoordinatorPartition {
  readonly partition: number;
  readonly store: OffsetsPartitionStore;
  status: PartitionStatus = 'loading';
  loaded: Promise<void> = Promise.resolve();
  readonly groups = new Map<string, Group>();
  readonly offsets = new OffsetTable();
  /** Offsets of open transactions (TxnOffsetCommit), by producer id, until their marker. */
  readonly pendingTxnOffsets = new Map<bigint, PendingTxnOffset[]>();
  /** Records skipped during load because they did not decode (reported, never fatal). */
  skippedRecords = 0;
  constructor(partition: number, store: OffsetsPartitionStore) {
    this.partition = partition;
    this.store = store;
  }
}

export interface OffsetCommitPartitionParams {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
  /** OffsetCommit v1 only; -1 for "now". */
  commitTimestampMs: number;
}

export interface OffsetCommitParams {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2–4 retention_time_ms; -1 for the broker's default. */
  retentionTimeMs: number;
  apiVersion: number;
  topics: { name: string; partitions: OffsetCommitPartitionParams[] }[];
}

export interface PartitionErrorResult {
  partitionIndex: number;
  errorCode: number;
}

export interface TopicErrorResult {
  name: string;
  partitions: PartitionErrorResult[];
}

export interface TxnOffsetCommitParams {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  groupId: string;
  /** -1 with an empty member id: no group checks (producers without group metadata). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[] }[];
}

export interface OffsetFetchGroupParams {
  groupId: string;
  /** KIP-848 members pass their id and epoch (OffsetFetch v9); classic clients pass null / -1. */
  memberId: string | null;
  memberEpoch: number;
  /** null: every committed offset of the group. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
}

export interface FetchedPartitionOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchGroupResult {
  groupId: string;
  errorCode: number;
  topics: { name: string; partitions: FetchedPartitionOffset[] }[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  groupId: string;
  errorCode: number;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: 'classic' | 'consumer';
}

export interface ListGroupsResult {
  errorCode: number;
  groups: ListedGroup[];
}

export interface GroupErrorResult {
  groupId: string;
  errorCode: number;
}

export interface GroupInspection {
  groupId: string;
  /** The __consumer_offsets partition holding the group. */
  partition: number;
  type: 'classic' | 'consumer';
  state: string;
  /** Classic: generation id; KIP-848: group epoch. */
  generationOrEpoch: number;
  protocolType: string | null;
  /** Classic: the selected protocol (assignor); KIP-848: the server-side assignor. */
  protocol: string | null;
  leader: string | null;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string }[];
  offsets: { topic: string; partition: number; offset: number; metadata: string }[];
}

export interface OffsetDeleteResult {
  errorCode: number;
  topics: TopicErrorResult[];
}

const NO_OFFSET = -1;

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  readonly scheduler: Scheduler;
  readonly #source: OffsetsPartitionSource;
  readonly #partitions = new Map<number, CoordinatorPartition>();
  readonly #classic: ClassicCoordinator;
  readonly #consumer: ConsumerGroupCoordinator;
  #retentionTimer: TimerHandle | null = null;
  #closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.config = groupConfig(options.config);
    this.scheduler = options.scheduler ?? systemScheduler();
    this.#source = options.source;
    this.#classic = new ClassicCoordinator({
      config: this.config,
      scheduler: this.scheduler,
      storeGroup: (group) => this.#storeClassicGroup(group),
    });
    this.#consumer = new ConsumerGroupCoordinator({
      config: this.config,
      scheduler: this.scheduler,
      topics: options.topics,
      // Session / revocation timeouts remove members outside any request: persist that too.
      onMemberRemoved: (group) => { void this.#persistConsumerGroup(group, [], false, []).catch(() => undefined); },
    });
  }

  partitionFor(groupId: string): number {
    return partitionForKey(groupId, this.config.offsetsTopicPartitions);
  }

  // -------------------------------------------------------------------------------------------
  // Partition ownership and loading

  /** Partitions loaded (or loading) here, with their status. */
  loadedPartitions(): { partition: number; status: PartitionStatus; groups: number; skippedRecords: number }[] {
    return [...this.#partitions.values()].map((state) => ({ partition: state.partition, status: state.status, groups: state.groups.size, skippedRecords: state.skippedRecords }));
  }

  /** Starts loading `partition` now (the broker calls this when it becomes the leader). */
  async loadPartition(partition: number): Promise<void> {
    await this.#partitionState(partition).catch(() => undefined);
  }

  /** Drops `partition`'s groups (the broker calls this when it stops leading it). */
  unloadPartition(partition: number): void {
    const state = this.#partitions.get(partition);
    if (!state) return;
    this.#partitions.delete(partition);
    for (const group of state.groups.values()) this.#shutdownGroup(group, GroupError.NOT_COORDINATOR);
  }

  /** Re-checks every loaded partition against the source (after leadership changes). */
  async onLeadershipChange(): Promise<void> {
    for (const partition of [...this.#partitions.keys()]) {
      const store = await this.#source.storeFor(partition);
      const state = this.#partitions.get(partition);
      if (state && state.store !== store) this.unloadPartition(partition);
    }
  }

  close(): void {
    this.#closed = true;
    this.#retentionTimer?.cancel();
    this.#retentionTimer = null;
    for (const partition of [...this.#partitions.keys()]) this.unloadPartition(partition);
  }

  #shutdownGroup(group: Group, errorCode: number): void {
    if (group instanceof ClassicGroup) this.#classic.shutdownGroup(group, errorCode);
    else this.#consumer.shutdownGroup(group);
  }

  /** The active partition holding `groupId`, or a GroupCoordinatorError to answer with. */
  async #active(groupId: string): Promise<CoordinatorPartition> {
    return this.#partitionState(this.partitionFor(groupId));
  }

  async #partitionState(partition: number): Promise<CoordinatorPartition> {
    if (this.#closed) throw new GroupCoordinatorError(GroupError.NOT_COORDINATOR, 'the group coordinator is shut down');
    const store = await this.#source.storeFor(partition);
    let state = this.#partitions.get(partition);
    if (!store) {
      if (state) this.unloadPartition(partition);
      throw new GroupCoordinatorError(GroupError.NOT_COORDINATOR, `this broker does not lead __consumer_offsets-${partition}`);
    }
    if (state && state.store !== store) {
      this.unloadPartition(partition);
      state = undefined;
    }
    if (!state) {
      state = new CoordinatorPartition(partition, store);
      this.#partitions.set(partition, state);
      state.loaded = this.#load(state);
      this.#ensureRetentionTimer();
    }
    if (state.status === 'loading') await this.#waitForLoad(state);
    if (state.status === 'failed') {
      if (this.#partitions.get(partition) === state) this.#partitions.delete(partition);
      throw new GroupCoordinatorError(GroupError.COORDINATOR_NOT_AVAILABLE, `loading __consumer_offsets-${partition} failed`);
    }
    if (state.status === 'loading') {
      throw new GroupCoordinatorError(GroupError.COORDINATOR_LOAD_IN_PROGRESS, `__consumer_offsets-${partition} is loading`);
    }
    if (this.#partitions.get(partition) !== state) {
      throw new GroupCoordinatorError(GroupError.NOT_COORDINATOR, `__consumer_offsets-${partition} was unloaded`);
    }
    return state;
  }

  async #waitForLoad(state: CoordinatorPartition): Promise<void> {
    let timer: TimerHandle | null = null;
    const timeout = new Promise<void>((resolve) => { timer = this.scheduler.schedule(this.config.loadWaitMs, resolve); });
    await Promise.race([state.loaded, timeout]);
    (timer as TimerHandle | null)?.cancel();
  }

  async #load(state: CoordinatorPartition): Promise<void> {
    const loading: LoadingState = { snapshots: new Map(), consumerParts: new Map(), lastKind: new Map() };
    try {
      for await (const chunk of state.store.load()) {
        for (const batch of chunk) this.#applyLoadedBatch(state, loading, batch);
      }
    } catch {
      state.status = 'failed';
      return;
    }
    if (this.#partitions.get(state.partition) !== state) return;
    const nowMs = this.scheduler.nowMs();
    for (const [groupId, snapshot] of loading.snapshots) {
      if (loading.lastKind.get(groupId) === 'consumer') continue;
      const group = restoreClassicGroup(groupId, snapshot, nowMs);
      state.groups.set(groupId, group);
      this.#classic.resumeLoadedGroup(group);
    }
    for (const [groupId, parts] of loading.consumerParts) {
      if (loading.lastKind.get(groupId) === 'classic' && state.groups.has(groupId)) continue;
      const group = parts.restore(nowMs);
      if (!group) continue;
      state.groups.set(groupId, group);
      this.#consumer.resumeLoadedGroup(group);
    }
    for (const groupId of state.offsets.groupIds()) {
      if (!state.groups.has(groupId)) state.groups.set(groupId, new ClassicGroup(groupId, nowMs));
    }
    state.status = 'active';
  }

  #applyLoadedBatch(state: CoordinatorPartition, loading: LoadingState, batch: LoadedBatch): void {
    if (batch.marker !== null) {
      this.#applyTxnMarker(state, batch.producerId, batch.marker === 'commit');
      return;
    }
    for (const raw of batch.records) {
      if (batch.transactional) this.#applyLoadedTxnRecord(state, batch.producerId, raw);
      else this.#applyLoadedRecord(state, loading, raw);
    }
  }

  /** A transactional record waits for its producer's marker (commit applies it, abort drops it). */
  #applyLoadedTxnRecord(state: CoordinatorPartition, producerId: bigint, raw: RawRecord): void {
    let record;
    try {
      record = decodeCoordinatorRecord(raw.key, raw.value);
    } catch {
      state.skippedRecords++;
      return;
    }
    if (record.type !== 'offset') return;
    let pending = state.pendingTxnOffsets.get(producerId);
    if (!pending) state.pendingTxnOffsets.set(producerId, (pending = []));
    pending.push({ groupId: record.groupId, topic: record.topic, partition: record.partition, offset: record.offset });
  }

  #applyTxnMarker(state: CoordinatorPartition, producerId: bigint, commit: boolean): void {
    const pending = state.pendingTxnOffsets.get(producerId);
    state.pendingTxnOffsets.delete(producerId);
    if (!pending || !commit) return;
    for (const entry of pending) {
      if (entry.offset) state.offsets.put(entry.groupId, entry.topic, entry.partition, entry.offset);
      else state.offsets.delete(entry.groupId, entry.topic, entry.partition);
      if (!state.groups.has(entry.groupId) && state.status === 'active') state.groups.set(entry.groupId, new ClassicGroup(entry.groupId, this.scheduler.nowMs()));
    }
  }

  #applyLoadedRecord(state: CoordinatorPartition, loading: LoadingState, raw: RawRecord): void {
    const snapshots = loading.snapshots;
    let record;
    try {
      record = decodeCoordinatorRecord(raw.key, raw.value);
      if (record.type === 'other') {
        this.#applyConsumerRecord(loading, record.recordType, raw);
        return;
      }
    } catch {
      state.skippedRecords++;
      return;
    }
    if (record.type === 'group' && record.group) loading.lastKind.set(record.groupId, 'classic');
    if (record.type === 'offset') {
      if (record.offset) state.offsets.put(record.groupId, record.topic, record.partition, record.offset);
      else state.offsets.delete(record.groupId, record.topic, record.partition);
    } else if (record.type === 'group') {
      if (record.group) snapshots.set(record.groupId, record.group);
      else {
        snapshots.delete(record.groupId);
      }
    }
  }

  /** KIP-848 records (types 3, 5–8); other types (share groups, …) are skipped. */
  #applyConsumerRecord(loading: LoadingState, recordType: number, raw: RawRecord): void {
    const known: readonly number[] = Object.values(ConsumerRecordType);
    if (!known.includes(recordType)) return;
    const peek = new Reader(raw.key);
    peek.int16();
    const groupId = peek.string();
    let parts = loading.consumerParts.get(groupId);
    if (!parts) loading.consumerParts.set(groupId, (parts = new ConsumerGroupParts(groupId)));
    const keyReader = new Reader(raw.key);
    keyReader.int16();
    parts.apply(recordType, keyReader, raw.key, raw.value);
    if (recordType === ConsumerRecordType.groupMetadata && raw.value !== null) loading.lastKind.set(groupId, 'consumer');
  }

  // -------------------------------------------------------------------------------------------
  // Persistence of KIP-848 groups: the records that changed since the last write

  /**
   * Writes what changed: the group-level records, the records of `memberIds` (default: all), the
   * targets when the assignment epoch moved, tombstones for removed members (or for everything
   * when `deleted`).
   */
  async #persistConsumerGroup(group: ConsumerGroup, extra: readonly RawRecord[] = [], deleted = false, memberIds?: Iterable<string>): Promise<void> {
    const state = this.#partitions.get(this.partitionFor(group.groupId));
    if (!state || state.status !== 'active') throw new GroupCoordinatorError(GroupError.NOT_COORDINATOR, `group ${group.groupId} is no longer coordinated here`);
    const records: RawRecord[] = [...extra];
    const tombstoneKeys = new Set<string>();
    let snapshot = new Map<string, RawRecord>();
    if (deleted) {
      for (const keyHex of group.persisted.keys()) tombstoneKeys.add(keyHex);
      group.persistedAssignmentEpoch = -1;
    } else {
      const withTargets = group.assignmentEpoch !== group.persistedAssignmentEpoch || memberIds === undefined;
      snapshot = snapshotConsumerGroup(group, memberIds, withTargets);
      if (withTargets) group.persistedAssignmentEpoch = group.assignmentEpoch;
      for (const memberId of group.removedSincePersist) {
        if (group.members.has(memberId)) continue;
        for (const keyHex of memberRecordKeys(group.groupId, memberId)) if (group.persisted.has(keyHex)) tombstoneKeys.add(keyHex);
      }
    }
    group.removedSincePersist.clear();
    for (const [keyHex, record] of snapshot) {
      const valueHex = record.value!.toString('hex');
      if (group.persisted.get(keyHex) === valueHex) continue;
      group.persisted.set(keyHex, valueHex);
      records.push(record);
    }
    // Kafka's order: member records go before the group's metadata tombstone.
    const tombstones = [...tombstoneKeys].map((keyHex) => ({ key: Buffer.from(keyHex, 'hex'), value: null }));
    tombstones.sort((a, b) => b.key.readInt16BE(0) - a.key.readInt16BE(0));
    for (const tombstone of tombstones) group.persisted.delete(tombstone.key.toString('hex'));
    records.push(...tombstones);
    if (records.length > 0) await state.store.append(records);
  }

  // -------------------------------------------------------------------------------------------
  // Persistence of classic groups

  #groupSnapshot(group: ClassicGroup): GroupSnapshot {
    return {
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      currentStateTimestampMs: group.currentStateTimestampMs,
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        rebalanceTimeoutMs: member.rebalanceTimeoutMs,
        sessionTimeoutMs: member.sessionTimeoutMs,
        subscription: group.memberMetadata(member, group.protocolName),
        assignment: member.assignment,
      })),
    };
  }

  async #storeClassicGroup(group: ClassicGroup): Promise<void> {
    const state = this.#partitions.get(this.partitionFor(group.groupId));
    if (!state || state.status !== 'active' || state.groups.get(group.groupId) !== group) {
      throw new GroupCoordinatorError(GroupError.NOT_COORDINATOR, `group ${group.groupId} is no longer coordinated here`);
    }
    await state.store.append([encodeGroupMetadata(group.groupId, this.#groupSnapshot(group))]);
  }

  // -------------------------------------------------------------------------------------------
  // JoinGroup / SyncGroup / Heartbeat / LeaveGroup

  async joinGroup(params: JoinGroupParams): Promise<JoinGroupOutcome> {
    const invalid = this.#classic.validateJoin(params);
    if (invalid !== GroupError.NONE) return joinError(params.memberId, invalid);
    let state: CoordinatorPartition;
    try {
      state = await this.#active(params.groupId);
    } catch (error) {
      return joinError(params.memberId, errorCodeOf(error));
    }
    let group = state.groups.get(params.groupId);
    if (group instanceof ConsumerGroup) {
      if (!group.isEmpty()) return joinError(params.memberId, GroupError.INCONSISTENT_GROUP_PROTOCOL);
      // An empty KIP-848 group turns back into a classic one (Kafka's downgrade of empty groups).
      this.#consumer.shutdownGroup(group);
      void this.#persistConsumerGroup(group, [], true).catch(() => undefined);
      group = undefined;
      state.groups.delete(params.groupId);
    }
    if (!group) {
      if (params.memberId !== '') return joinError(params.memberId, GroupError.UNKNOWN_MEMBER_ID);
      if (this.#groupCount() >= this.config.groupsMax) return joinError(params.memberId, GroupError.GROUP_MAX_SIZE_REACHED);
      group = new ClassicGroup(params.groupId, this.scheduler.nowMs());
      state.groups.set(params.groupId, group);
    }
    return this.#classic.join(group, params);
  }

  async syncGroup(params: SyncGroupParams): Promise<SyncGroupOutcome> {
    let state: CoordinatorPartition;
    try {
      state = await this.#active(params.groupId);
    } catch (error) {
      return syncError(errorCodeOf(error));
    }
    const group = state.groups.get(params.groupId);
    if (group instanceof ConsumerGroup) return syncError(GroupError.UNKNOWN_MEMBER_ID);
    return this.#classic.sync(group, params);
  }

  async heartbeat(params: HeartbeatParams): Promise<number> {
    let state: CoordinatorPartition;
    try {
      state = await this.#active(params.groupId);
    } catch (error) {
      return errorCodeOf(error);
    }
    const group = state.groups.get(params.groupId);
    if (group instanceof ConsumerGroup) return GroupError.UNKNOWN_MEMBER_ID;
    return this.#classic.heartbeat(group, params);
  }

  /** LeaveGroup: a top-level error code, or per-member results. */
  async leaveGroup(groupId: string, members: readonly LeaveMember[]): Promise<{ errorCode: number; members: LeaveMemberOutcome[] }> {
    let state: CoordinatorPartition;
    try {
      state = await this.#active(groupId);
    } catch (error) {
      return { errorCode: errorCodeOf(error), members: [] };
    }
    const group = state.groups.get(groupId);
    if (group instanceof ConsumerGroup) {
      return { errorCode: GroupError.NONE, members: members.map((member) => ({ ...member, errorCode: GroupError.UNKNOWN_MEMBER_ID })) };
    }
    if (!group) return { errorCode: GroupError.UNKNOWN_MEMBER_ID, members: members.map((member) => ({ ...member, errorCode: GroupError.UNKNOWN_MEMBER_ID })) };
    return { errorCode: GroupError.NONE, members: this.#classic.leave(group, members) };
  }

  #groupCount(): number {
    let count = 0;
    for (const state of this.#partitions.values()) count += state.groups.size;
    return count;
  }

  // -------------------------------------------------------------------------------------------
  // KIP-848

  async consumerGroupHeartbeat(params: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatOutcome> {
    let state: CoordinatorPartition;
    try {
      state = await this.#active(params.groupId);
    } catch (error) {
      return this.#consumer.errorOutcome(errorCodeOf(error), (error as Error).message);
    }
    let group = state.groups.get(params.groupId);
    const extra: RawRecord[] = [];
    if (group instanceof ClassicGroup) {
      if (!group.is(ClassicGroupState.Empty) && !group.is(ClassicGroupState.Dead)) {
        return this.#consumer.errorOutcome(GroupError.GROUP_ID_NOT_FOUND, `group ${params.groupId} is a classic group with members`);
      }
      // An empty classic group (maybe with offsets) becomes a consumer group, as Kafka upgrades it.
      this.#classic.shutdownGroup(group, GroupError.NOT_COORDINATOR);
      group = undefined;
      extra.push(groupTombstone(params.groupId));
    }
    if (!group) {
      if (params.memberEpoch !== 0) return this.#consumer.errorOutcome(GroupError.UNKNOWN_MEMBER_ID, `group ${params.groupId} has no member ${params.memberId}`);
      if (this.#groupCount() >= this.config.groupsMax) return this.#consumer.errorOutcome(GroupError.GROUP_MAX_SIZE_REACHED, 'too many groups');
      group = new ConsumerGroup(params.groupId, this.scheduler.nowMs());
      state.groups.set(params.groupId, group);
    }
    const outcome = this.#consumer.heartbeat(group, params);
    if (outcome.errorCode !== GroupError.NONE) return outcome;
    // Like Kafka, the answer waits until the group's new state is written.
    try {
      await this.#persistConsumerGroup(group, extra, false, outcome.memberId === null ? [] : [outcome.memberId]);
    } catch (error) {
      return this.#consumer.errorOutcome(errorCodeOf(error), (error as Error).message);
    }
    return outcome;
  }

  async consumerGroupDescribe(groupIds: readonly string[]): Promise<DescribedConsumerGroup[]> {
    const results: DescribedConsumerGroup[] = [];
    for (const groupId of groupIds) {
      let state: CoordinatorPartition;
      try {
        state = await this.#active(groupId);
      } catch (error) {
        results.push(this.#consumer.describeError(groupId, errorCodeOf(error), (error as Error).message));
        continue;
      }
      const group = state.groups.get(groupId);
      if (group instanceof ConsumerGroup) results.push(this.#consumer.describe(group));
      else if (group) results.push(this.#consumer.describeError(groupId, GroupError.GROUP_ID_NOT_FOUND, `group ${groupId} is not a consumer group`));
      else results.push(this.#consumer.describeError(groupId, GroupError.GROUP_ID_NOT_FOUND, `group ${groupId} not found`));
    }
    return results;
  }

  // -------------------------------------------------------------------------------------------
  // OffsetCommit / OffsetFetch

  async commitOffsets(params: OffsetCommitParams): Promise<TopicErrorResult[]> {
    const withError = (code: number): TopicErrorResult[] => params.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: code })),
    }));
    let state: CoordinatorPartition;
    try {
      state = await this.#active(params.groupId);
    } catch (error) {
      return withError(errorCodeOf(error));
    }
    if (params.groupId.length === 0) return withError(GroupError.INVALID_GROUP_ID);
    const validation = this.#validateCommit(state, params);
    if (validation !== GroupError.NONE) return withError(validation);
    return this.#writeOffsets(state, params);
  }

  #validateCommit(state: CoordinatorPartition, params: OffsetCommitParams): number {
    const group = state.groups.get(params.groupId);
    const simpleCommit = params.generationIdOrMemberEpoch < 0 && params.memberId === '' && params.groupInstanceId === null;
    // OffsetCommit v0 predates group membership (Kafka stored it in ZooKeeper, unchecked).
    if (params.apiVersion === 0) return group || this.#groupCount() < this.config.groupsMax ? GroupError.NONE : GroupError.GROUP_MAX_SIZE_REACHED;
    if (!group) {
      if (!simpleCommit && params.generationIdOrMemberEpoch >= 0) {
        return params.apiVersion >= 9 ? GroupError.GROUP_ID_NOT_FOUND : GroupError.ILLEGAL_GENERATION;
      }
      if (this.#groupCount() >= this.config.groupsMax) return GroupError.GROUP_MAX_SIZE_REACHED;
      return GroupError.NONE;
    }
    if (group instanceof ConsumerGroup) return this.#consumer.validateOffsetCommit(group, params.memberId, params.generationIdOrMemberEpoch, params.apiVersion);
    return validateClassicCommit(group, params, simpleCommit);
  }

  async #writeOffsets(state: CoordinatorPartition, params: OffsetCommitParams): Promise<TopicErrorResult[]> {
    const nowMs = this.scheduler.nowMs();
    const expireTimestampMs = params.retentionTimeMs >= 0 ? nowMs + params.retentionTimeMs : null;
    const results: TopicErrorResult[] = [];
    const records: RawRecord[] = [];
    const accepted: { topic: string; partition: number; offset: CommittedOffset; result: PartitionErrorResult }[] = [];
    let room = this.config.offsetsPerGroupMax - state.offsets.count(params.groupId);
    for (const topic of params.topics) {
      const partitions: PartitionErrorResult[] = [];
      results.push({ name: topic.name, partitions });
      for (const partition of topic.partitions) {
        const result: PartitionErrorResult = { partitionIndex: partition.partitionIndex, errorCode: GroupError.NONE };
        partitions.push(result);
        const metadata = partition.committedMetadata ?? '';
        if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes) {
          result.errorCode = GroupError.OFFSET_METADATA_TOO_LARGE;
          continue;
        }
        const isNew = state.offsets.get(params.groupId, topic.name, partition.partitionIndex) === undefined;
        if (isNew && room <= 0) {
          result.errorCode = GroupError.INVALID_COMMIT_OFFSET_SIZE;
          continue;
        }
        if (isNew) room--;
        const offset: CommittedOffset = {
          offset: partition.committedOffset,
          leaderEpoch: partition.committedLeaderEpoch,
          metadata,
          commitTimestampMs: partition.commitTimestampMs >= 0 ? partition.commitTimestampMs : nowMs,
          expireTimestampMs,
        };
        records.push(encodeOffsetCommit(params.groupId, topic.name, partition.partitionIndex, offset));
        accepted.push({ topic: topic.name, partition: partition.partitionIndex, offset, result });
      }
    }
    if (records.length === 0) return results;
    try {
      await state.store.append(records);
    } catch (error) {
      const code = errorCodeOf(error);
      for (const entry of accepted) entry.result.errorCode = code;
      return results;
    }
    if (this.#partitions.get(state.partition) !== state) {
      for (const entry of accepted) entry.result.errorCode = GroupError.NOT_COORDINATOR;
      return results;
    }
    if (!state.groups.has(params.groupId)) state.groups.set(params.groupId, new ClassicGroup(params.groupId, nowMs));
    for (const entry of accepted) state.offsets.put(params.groupId, entry.topic, entry.partition, entry.offset);
    return results;
  }

  /**
   * TxnOffsetCommit: the offsets are written as a transactional batch of the producer and become
   * visible when the transaction coordinator's marker lands (`completeTransaction`); an abort
   * drops them. Meanwhile OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT.
   */
  async commitTransactionalOffsets(params: TxnOffsetCommitParams): Promise<TopicErrorResult[]> {
    const withError = (code: number): TopicErrorResult[] => params.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: code })),
    }));
    let state: CoordinatorPartition;
    try {
      state = await this.#active(params.groupId);
    } catch (error) {
      return withError(errorCodeOf(error));
    }
    if (params.groupId.length === 0) return withError(GroupError.INVALID_GROUP_ID);
    const validation = this.#validateTxnCommit(state, params);
    if (validation !== GroupError.NONE) return withError(validation);
    const nowMs = this.scheduler.nowMs();
    const results: TopicErrorResult[] = [];
    const records: RawRecord[] = [];
    const accepted: { entry: PendingTxnOffset; result: PartitionErrorResult }[] = [];
    for (const topic of params.topics) {
      const partitions: PartitionErrorResult[] = [];
      results.push({ name: topic.name, partitions });
      for (const partition of topic.partitions) {
        const result: PartitionErrorResult = { partitionIndex: partition.partitionIndex, errorCode: GroupError.NONE };
        partitions.push(result);
        const metadata = partition.committedMetadata ?? '';
        if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes) {
          result.errorCode = GroupError.OFFSET_METADATA_TOO_LARGE;
          continue;
        }
        const offset: CommittedOffset = { offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch, metadata, commitTimestampMs: nowMs, expireTimestampMs: null };
        records.push(encodeOffsetCommit(params.groupId, topic.name, partition.partitionIndex, offset));
        accepted.push({ entry: { groupId: params.groupId, topic: topic.name, partition: partition.partitionIndex, offset }, result });
      }
    }
    if (records.length === 0) return results;
    try {
      await state.store.append(records, { producerId: params.producerId, producerEpoch: params.producerEpoch });
    } catch (error) {
      const code = errorCodeOf(error);
      for (const { result } of accepted) result.errorCode = code;
      return results;
    }
    if (this.#partitions.get(state.partition) !== state) {
      for (const { result } of accepted) result.errorCode = GroupError.NOT_COORDINATOR;
      return results;
    }
    let pending = state.pendingTxnOffsets.get(params.producerId);
    if (!pending) state.pendingTxnOffsets.set(params.producerId, (pending = []));
    for (const { entry } of accepted) pending.push(entry);
    if (!state.groups.has(params.groupId)) state.groups.set(params.groupId, new ClassicGroup(params.groupId, nowMs));
    return results;
  }

  #validateTxnCommit(state: CoordinatorPartition, params: TxnOffsetCommitParams): number {
    const group = state.groups.get(params.groupId);
    const unchecked = params.generationId < 0 && params.memberId === '' && params.groupInstanceId === null;
    if (!group) return unchecked || this.#groupCount() < this.config.groupsMax ? GroupError.NONE : GroupError.GROUP_MAX_SIZE_REACHED;
    if (unchecked) return GroupError.NONE;
    if (group instanceof ConsumerGroup) {
      const member = group.members.get(params.memberId);
      if (!member) return GroupError.UNKNOWN_MEMBER_ID;
      return member.memberEpoch === params.generationId ? GroupError.NONE : GroupError.ILLEGAL_GENERATION;
    }
    if (group.is(ClassicGroupState.Dead)) return GroupError.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(params.memberId, params.groupInstanceId)) return GroupError.FENCED_INSTANCE_ID;
    if (!group.has(params.memberId)) return GroupError.UNKNOWN_MEMBER_ID;
    return params.generationId === group.generationId ? GroupError.NONE : GroupError.ILLEGAL_GENERATION;
  }

  /**
   * The transaction marker of `producerId` was appended to __consumer_offsets-`partition`
   * (WriteTxnMarkers): a commit makes its pending offsets visible, an abort drops them. A no-op
   * for partitions not loaded here (a later load replays the marker from the log).
   */
  completeTransaction(partition: number, producerId: bigint, commit: boolean): void {
    const state = this.#partitions.get(partition);
    if (!state || state.status !== 'active') return;
    this.#applyTxnMarker(state, producerId, commit);
  }

  async fetchOffsets(groups: readonly OffsetFetchGroupParams[], apiVersion: number, requireStable = false): Promise<OffsetFetchGroupResult[]> {
    const results: OffsetFetchGroupResult[] = [];
    for (const request of groups) results.push(await this.#fetchGroupOffsets(request, apiVersion, requireStable));
    return results;
  }

  #hasPendingTxnOffset(state: CoordinatorPartition, groupId: string, topic: string, partition: number): boolean {
    for (const pending of state.pendingTxnOffsets.values()) {
      if (pending.some((entry) => entry.groupId === groupId && entry.topic === topic && entry.partition === partition)) return true;
    }
    return false;
  }

  async #fetchGroupOffsets(request: OffsetFetchGroupParams, apiVersion: number, requireStable: boolean): Promise<OffsetFetchGroupResult> {
    let state: CoordinatorPartition;
    try {
      state = await this.#active(request.groupId);
    } catch (error) {
      return { groupId: request.groupId, errorCode: errorCodeOf(error), topics: [] };
    }
    const group = state.groups.get(request.groupId);
    if (group instanceof ConsumerGroup && (request.memberId !== null || request.memberEpoch >= 0) && apiVersion >= 9) {
      const errorCode = this.#consumer.validateOffsetFetch(group, request.memberId ?? '', request.memberEpoch);
      if (errorCode !== GroupError.NONE) return { groupId: request.groupId, errorCode, topics: [] };
    }
    const entry = (topic: string, partition: number): FetchedPartitionOffset => {
      if (requireStable && state.pendingTxnOffsets.size > 0 && this.#hasPendingTxnOffset(state, request.groupId, topic, partition)) {
        return { partitionIndex: partition, committedOffset: NO_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode: GroupError.UNSTABLE_OFFSET_COMMIT };
      }
      const committed = state.offsets.get(request.groupId, topic, partition);
      return committed
        ? { partitionIndex: partition, committedOffset: committed.offset, committedLeaderEpoch: committed.leaderEpoch, metadata: committed.metadata, errorCode: GroupError.NONE }
        : { partitionIndex: partition, committedOffset: NO_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode: GroupError.NONE };
    };
    if (request.topics === null) {
      const byTopic = new Map<string, FetchedPartitionOffset[]>();
      for (const committed of state.offsets.list(request.groupId)) {
        let partitions = byTopic.get(committed.topic);
        if (!partitions) byTopic.set(committed.topic, (partitions = []));
        partitions.push(entry(committed.topic, committed.partition));
      }
      return { groupId: request.groupId, errorCode: GroupError.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    }
    return {
      groupId: request.groupId,
      errorCode: GroupError.NONE,
      topics: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitionIndexes.map((partition) => entry(topic.name, partition)) })),
    };
  }

  // -------------------------------------------------------------------------------------------
  // DescribeGroups / ListGroups / DeleteGroups / OffsetDelete

  async describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    const results: DescribedGroup[] = [];
    for (const groupId of groupIds) {
      const described: DescribedGroup = { groupId, errorCode: GroupError.NONE, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      results.push(described);
      let state: CoordinatorPartition;
      try {
        state = await this.#active(groupId);
      } catch (error) {
        described.errorCode = errorCodeOf(error);
        continue;
      }
      const group = state.groups.get(groupId);
      if (group instanceof ConsumerGroup) {
        described.errorCode = GroupError.GROUP_ID_NOT_FOUND;
        continue;
      }
      if (group) Object.assign(described, describeClassic(group));
    }
    return results;
  }

  /** Groups coordinated here, filtered by state (case-insensitive) and type, as ListGroups v4/v5. */
  listGroups(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): ListGroupsResult {
    const states = new Set(statesFilter.map((state) => state.toLowerCase()));
    const types = new Set(typesFilter.map((type) => type.toLowerCase()));
    let errorCode: number = GroupError.NONE;
    const groups: ListedGroup[] = [];
    for (const state of this.#partitions.values()) {
      if (state.status === 'loading') errorCode = GroupError.COORDINATOR_LOAD_IN_PROGRESS;
      if (state.status !== 'active') continue;
      for (const group of state.groups.values()) {
        const listed: ListedGroup = group instanceof ClassicGroup
          ? { groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state, groupType: 'classic' }
          : { groupId: group.groupId, protocolType: 'consumer', groupState: group.stateName(), groupType: 'consumer' };
        if (listed.groupState === 'Dead' || listed.groupState === 'dead') continue;
        if (states.size > 0 && !states.has(listed.groupState.toLowerCase())) continue;
        if (types.size > 0 && !types.has(listed.groupType)) continue;
        groups.push(listed);
      }
    }
    groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    return { errorCode, groups };
  }

  async deleteGroups(groupIds: readonly string[]): Promise<GroupErrorResult[]> {
    const results: GroupErrorResult[] = [];
    for (const groupId of groupIds) results.push({ groupId, errorCode: await this.#deleteGroup(groupId) });
    return results;
  }

  async #deleteGroup(groupId: string): Promise<number> {
    let state: CoordinatorPartition;
    try {
      state = await this.#active(groupId);
    } catch (error) {
      return errorCodeOf(error);
    }
    const group = state.groups.get(groupId);
    if (!group) return GroupError.GROUP_ID_NOT_FOUND;
    if (group instanceof ClassicGroup ? !group.is(ClassicGroupState.Empty) : !group.isEmpty()) return GroupError.NON_EMPTY_GROUP;
    const records = state.offsets.list(groupId).map((offset) => offsetTombstone(groupId, offset.topic, offset.partition));
    try {
      if (group instanceof ConsumerGroup) {
        await this.#persistConsumerGroup(group, records, true);
      } else {
        records.push(groupTombstone(groupId));
        await state.store.append(records);
      }
    } catch (error) {
      return errorCodeOf(error);
    }
    if (state.groups.get(groupId) !== group) return GroupError.NONE;
    state.offsets.deleteGroup(groupId);
    state.groups.delete(groupId);
    this.#shutdownGroup(group, GroupError.COORDINATOR_NOT_AVAILABLE);
    if (group instanceof ClassicGroup) group.transitionTo(ClassicGroupState.Dead, this.scheduler.nowMs());
    return GroupError.NONE;
  }

  async deleteOffsets(groupId: string, topics: readonly { name: string; partitionIndexes: number[] }[]): Promise<OffsetDeleteResult> {
    let state: CoordinatorPartition;
    try {
      state = await this.#active(groupId);
    } catch (error) {
      return { errorCode: errorCodeOf(error), topics: [] };
    }
    const group = state.groups.get(groupId);
    if (!group) return { errorCode: GroupError.GROUP_ID_NOT_FOUND, topics: [] };
    const subscribed = this.#subscribedTopics(group);
    if (subscribed === 'non-empty') return { errorCode: GroupError.NON_EMPTY_GROUP, topics: [] };
    const records: RawRecord[] = [];
    const deletions: { topic: string; partition: number }[] = [];
    const results: TopicErrorResult[] = topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((partitionIndex) => {
        if (subscribed.has(topic.name)) return { partitionIndex, errorCode: GroupError.GROUP_SUBSCRIBED_TO_TOPIC };
        if (state.offsets.get(groupId, topic.name, partitionIndex)) {
          records.push(offsetTombstone(groupId, topic.name, partitionIndex));
          deletions.push({ topic: topic.name, partition: partitionIndex });
        }
        return { partitionIndex, errorCode: GroupError.NONE };
      }),
    }));
    if (records.length > 0) {
      try {
        await state.store.append(records);
      } catch (error) {
        return { errorCode: errorCodeOf(error), topics: [] };
      }
      for (const deletion of deletions) state.offsets.delete(groupId, deletion.topic, deletion.partition);
    }
    return { errorCode: GroupError.NONE, topics: results };
  }

  /** Topics the group's members subscribe to, or 'non-empty' for a non-consumer group with members. */
  #subscribedTopics(group: Group): Set<string> | 'non-empty' {
    if (group instanceof ConsumerGroup) return group.subscribedTopicNames();
    if (group.is(ClassicGroupState.Empty) || group.is(ClassicGroupState.Dead)) return new Set();
    if (group.protocolType !== 'consumer') return 'non-empty';
    const topics = new Set<string>();
    for (const member of group.members.values()) {
      for (const topic of subscribedTopicsOf(group.memberMetadata(member, group.protocolName))) topics.add(topic);
    }
    return topics;
  }

  // -------------------------------------------------------------------------------------------
  // Inspection (dashboard, CLI, tests): everything a teacher would want to show

  /** A plain snapshot of the groups coordinated here: states, generations, members, offsets. */
  inspect(): GroupInspection[] {
    const result: GroupInspection[] = [];
    for (const state of this.#partitions.values()) {
      if (state.status !== 'active') continue;
      for (const group of state.groups.values()) {
        const offsets = state.offsets.list(group.groupId).map((offset) => ({ topic: offset.topic, partition: offset.partition, offset: offset.offset, metadata: offset.metadata }));
        if (group instanceof ClassicGroup) {
          result.push({
            groupId: group.groupId, partition: state.partition, type: 'classic', state: group.state, generationOrEpoch: group.generationId,
            protocolType: group.protocolType, protocol: group.protocolName, leader: group.leaderId,
            members: [...group.members.values()].map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId, clientId: member.clientId, clientHost: member.clientHost })),
            offsets,
          });
        } else {
          result.push({
            groupId: group.groupId, partition: state.partition, type: 'consumer', state: group.stateName(), generationOrEpoch: group.groupEpoch,
            protocolType: 'consumer', protocol: group.preferredAssignor(this.config.consumerGroupAssignors), leader: null,
            members: [...group.members.values()].map((member) => ({ memberId: member.memberId, groupInstanceId: member.instanceId, clientId: member.clientId, clientHost: member.clientHost })),
            offsets,
          });
        }
      }
    }
    return result.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  // -------------------------------------------------------------------------------------------
  // Offset retention (KIP-211)

  #ensureRetentionTimer(): void {
    if (this.#retentionTimer || this.#closed) return;
    this.#retentionTimer = this.scheduler.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.#retentionTimer = null;
      void this.expireOffsets().finally(() => { if (this.#partitions.size > 0) this.#ensureRetentionTimer(); });
    });
  }

  /** Writes tombstones for expired offsets and removes empty groups left without offsets. */
  async expireOffsets(): Promise<number> {
    let expiredCount = 0;
    const nowMs = this.scheduler.nowMs();
    for (const state of [...this.#partitions.values()]) {
      if (state.status !== 'active') continue;
      for (const group of [...state.groups.values()]) {
        expiredCount += await this.#expireGroupOffsets(state, group, nowMs);
      }
    }
    return expiredCount;
  }

  async #expireGroupOffsets(state: CoordinatorPartition, group: Group, nowMs: number): Promise<number> {
    const classicEmpty = group instanceof ClassicGroup && group.is(ClassicGroupState.Empty);
    const emptySinceMs = classicEmpty ? group.currentStateTimestampMs : group instanceof ConsumerGroup && group.isEmpty() ? group.emptySinceMs : null;
    const usesCommitTime = group instanceof ClassicGroup && group.protocolType === null;
    const expired = state.offsets.expired(group.groupId, nowMs, this.config.offsetsRetentionMs, emptySinceMs, usesCommitTime);
    // Kafka's cleanup: an empty group left without offsets is removed (Dead + tombstones).
    const consumerEmpty = group instanceof ConsumerGroup && group.isEmpty();
    const removeGroup = (classicEmpty || consumerEmpty) && state.offsets.count(group.groupId) === expired.length;
    if (expired.length === 0 && !removeGroup) return 0;
    const records = expired.map((offset) => offsetTombstone(group.groupId, offset.topic, offset.partition));
    try {
      if (removeGroup && group instanceof ConsumerGroup) {
        await this.#persistConsumerGroup(group, records, true);
      } else {
        if (removeGroup) records.push(groupTombstone(group.groupId));
        await state.store.append(records);
      }
    } catch {
      return 0;
    }
    for (const offset of expired) state.offsets.delete(group.groupId, offset.topic, offset.partition);
    // A member may have joined while the tombstones were written: then the group stays (its
    // next write records it again).
    if (removeGroup && state.groups.get(group.groupId) === group) {
      if (group instanceof ClassicGroup && group.is(ClassicGroupState.Empty)) {
        state.groups.delete(group.groupId);
        group.transitionTo(ClassicGroupState.Dead, nowMs);
      } else if (group instanceof ConsumerGroup && group.isEmpty()) {
        state.groups.delete(group.groupId);
        group.dead = true;
        this.#consumer.shutdownGroup(group);
      }
    }
    return expired.length;
  }
}

function validateClassicCommit(group: ClassicGroup, params: OffsetCommitParams, simpleCommit: boolean): number {
  if (group.is(ClassicGroupState.Dead)) return GroupError.COORDINATOR_NOT_AVAILABLE;
  if (simpleCommit) return group.is(ClassicGroupState.Empty) ? GroupError.NONE : GroupError.UNKNOWN_MEMBER_ID;
  if (group.isStaticMemberFenced(params.memberId, params.groupInstanceId)) return GroupError.FENCED_INSTANCE_ID;
  if (!group.has(params.memberId)) {
    // Kafka accepts a generation -1 commit on an empty group even with a member id (old clients).
    return group.is(ClassicGroupState.Empty) && params.generationIdOrMemberEpoch < 0 ? GroupError.NONE : GroupError.UNKNOWN_MEMBER_ID;
  }
  if (params.generationIdOrMemberEpoch !== group.generationId) return GroupError.ILLEGAL_GENERATION;
  if (group.is(ClassicGroupState.CompletingRebalance)) return GroupError.REBALANCE_IN_PROGRESS;
  return GroupError.NONE;
}

function describeClassic(group: ClassicGroup): Partial<DescribedGroup> {
  const stable = group.is(ClassicGroupState.Stable);
  return {
    groupState: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: stable ? group.protocolName ?? '' : '',
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      memberMetadata: stable ? group.memberMetadata(member, group.protocolName) : EMPTY_BYTES,
      memberAssignment: stable ? member.assignment : EMPTY_BYTES,
    })),
  };
}

/** Rebuilds a classic group from its last GroupMetadata record: Stable with members, else Empty. */
function restoreClassicGroup(groupId: string, snapshot: GroupSnapshot, nowMs: number): ClassicGroup {
  const group = new ClassicGroup(groupId, snapshot.currentStateTimestampMs >= 0 ? snapshot.currentStateTimestampMs : nowMs);
  group.generationId = snapshot.generationId;
  group.protocolType = snapshot.protocolType.length > 0 ? snapshot.protocolType : null;
  group.protocolName = snapshot.protocolName;
  for (const saved of snapshot.members) {
    group.add({
      memberId: saved.memberId,
      groupInstanceId: saved.groupInstanceId,
      clientId: saved.clientId,
      clientHost: saved.clientHost,
      rebalanceTimeoutMs: saved.rebalanceTimeoutMs >= 0 ? saved.rebalanceTimeoutMs : saved.sessionTimeoutMs,
      sessionTimeoutMs: saved.sessionTimeoutMs,
      protocolType: snapshot.protocolType,
      protocols: [{ name: snapshot.protocolName ?? '', metadata: saved.subscription }],
      assignment: saved.assignment,
      awaitingJoin: null,
      awaitingSync: null,
      isNew: false,
      heartbeatTimer: null,
    });
  }
  group.protocolType = snapshot.protocolType.length > 0 ? snapshot.protocolType : null;
  group.leaderId = snapshot.leaderId !== null && group.has(snapshot.leaderId) ? snapshot.leaderId : group.leaderId;
  group.state = group.size > 0 ? ClassicGroupState.Stable : ClassicGroupState.Empty;
  return group;
}
