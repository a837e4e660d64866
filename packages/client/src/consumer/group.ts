/**
 * Consumer group membership, classic protocol: FindCoordinator → JoinGroup → (leader assigns)
 * → SyncGroup → Heartbeat every heartbeatIntervalMs, on its own connection and its own timer,
 * so heartbeats never wait for user code or for fetches. Eager assignors revoke everything
 * before rejoining; cooperative-sticky revokes only partitions that move and rejoins once more
 * if it gave any up. Static membership (groupInstanceId) skips LeaveGroup on close, so a
 * restarted member gets its partitions back without a rebalance.
 */
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription, Reader, Writer } from '@kafkaesque/protocol';
import type { Cluster } from '../cluster/cluster.ts';
import { Apis } from '../cluster/apis.ts';
import { KafkaClientError, KafkaResponseError, type RequestContext } from '../errors.ts';
import { ASSIGNORS, type Assignor, type AssignorName, type GroupAssignment, type MemberSubscription } from './assignors.ts';
import { backoffMs, sleep } from '../retry.ts';
import { channels } from '../diagnostics.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface GroupOptions {
  groupId: string;
  groupInstanceId?: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: AssignorName[];
}

export interface GroupHooks {
  /** The topics this member subscribes to now (names already resolved from patterns). */
  subscribedTopics(): string[];
  assigned(partitions: TopicPartition[]): Promise<void>;
  revoked(partitions: TopicPartition[]): Promise<void>;
  /** Partitions gone without a chance to commit (session expired, fenced). */
  lost(partitions: TopicPartition[]): Promise<void>;
}

const ERROR = {
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  REBALANCE_IN_PROGRESS: 27,
  MEMBER_ID_REQUIRED: 79,
} as const;
const COORDINATOR_ERRORS: ReadonlySet<number> = new Set([ERROR.COORDINATOR_LOAD_IN_PROGRESS, ERROR.COORDINATOR_NOT_AVAILABLE, ERROR.NOT_COORDINATOR]);
/** JoinGroup attempts in one rejoin before giving up with the last error. */
const JOIN_ATTEMPTS_MAX = 30;

export class GroupMembership {
  private readonly cluster: Cluster;
  private readonly options: GroupOptions;
  private readonly hooks: GroupHooks;
  memberId = '';
  generationId = -1;
  protocolName: string | null = null;
  isLeader = false;
  owned: TopicPartition[] = [];
  private needsRejoin = true;
  private joining: Promise<void> | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(cluster: Cluster, options: GroupOptions, hooks: GroupHooks) {
    this.cluster = cluster;
    this.options = options;
    this.hooks = hooks;
  }

  get isStable(): boolean {
    return !this.needsRejoin && this.joining === null && this.generationId >= 0;
  }

  /** Asks for a rebalance (e.g. the subscription changed). */
  requestRejoin(): void {
    this.needsRejoin = true;
    void this.ensureActive().catch(() => {});
  }

  /** Joins (or rejoins) the group if needed; concurrent callers share one join. */
  ensureActive(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.joining) return this.joining;
    if (!this.needsRejoin) return Promise.resolve();
    this.joining ??= this.rejoin().finally(() => {
      this.joining = null;
    });
    return this.joining;
  }

  private currentAssignor(): Assignor {
    return ASSIGNORS[(this.protocolName ?? this.options.assignors[0]) as AssignorName] ?? ASSIGNORS.range;
  }

  private isCooperative(): boolean {
    return this.options.assignors.every((name) => ASSIGNORS[name].protocol === 'cooperative');
  }

  private async rejoin(): Promise<void> {
    this.stopHeartbeats();
    if (!this.isCooperative() && this.owned.length > 0) {
      const revoked = this.owned;
      this.owned = [];
      await this.hooks.revoked(revoked);
    }
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return;
      this.needsRejoin = false;
      try {
        await this.joinAndSync();
        if (this.needsRejoin) continue; // cooperative: gave partitions up, one more round
        this.startHeartbeats();
        return;
      } catch (error) {
        this.needsRejoin = true;
        if (!(error instanceof KafkaClientError) || !error.retriable || attempt >= JOIN_ATTEMPTS_MAX) throw error;
        await sleep(backoffMs(Math.min(attempt, 4), this.cluster.retry));
      }
    }
  }

  private context(apiName: string, apiKey: number): RequestContext {
    return { apiName, apiKey, apiVersion: -1 };
  }

  private handleGroupError(errorCode: number, apiName: string, apiKey: number): never {
    if (COORDINATOR_ERRORS.has(errorCode)) this.cluster.forgetCoordinator(this.options.groupId, 0);
    if (errorCode === ERROR.UNKNOWN_MEMBER_ID) this.memberId = '';
    if (errorCode === ERROR.UNKNOWN_MEMBER_ID || errorCode === ERROR.ILLEGAL_GENERATION) this.generationId = -1;
    const error = new KafkaResponseError(errorCode, this.context(apiName, apiKey));
    // membership errors are solved by joining again
    if (errorCode === ERROR.UNKNOWN_MEMBER_ID || errorCode === ERROR.ILLEGAL_GENERATION || errorCode === ERROR.REBALANCE_IN_PROGRESS) {
      throw new KafkaClientError(error.message, { code: errorCode, errorName: error.errorName, retriable: true, request: error.request, cause: error });
    }
    throw error;
  }

  private subscriptionMetadata(topics: string[]): Buffer {
    const version = this.isCooperative() || this.options.assignors.includes('cooperative-sticky') ? 1 : 0;
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of this.owned) {
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push(partition);
    }
    const writer = new Writer(64);
    writer.int16(version);
    ConsumerProtocolSubscription.encode(
      writer,
      {
        ...ConsumerProtocolSubscription.defaults(),
        topics,
        userData: null,
        ownedPartitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        generationId: this.generationId,
        rackId: null,
      },
      version,
    );
    return Buffer.from(writer.finish());
  }

  private async joinAndSync(): Promise<void> {
    const groupId = this.options.groupId;
    const topics = this.hooks.subscribedTopics();
    const metadata = this.subscriptionMetadata(topics);
    const coordinator = await this.cluster.coordinator(groupId, 0, 'group');
    let join = await coordinator.send(
      Apis.JoinGroup,
      () => ({
        ...Apis.JoinGroup.request.defaults(),
        groupId,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId ?? null,
        protocolType: 'consumer',
        protocols: this.options.assignors.map((name) => ({ name, metadata })),
        reason: null,
      }),
      { timeoutMs: this.options.rebalanceTimeoutMs + 5000 },
    );
    if (join.errorCode === ERROR.MEMBER_ID_REQUIRED) {
      // KIP-394: the coordinator hands out the member id; join again with it
      this.memberId = join.memberId;
      join = await coordinator.send(
        Apis.JoinGroup,
        () => ({
          ...Apis.JoinGroup.request.defaults(),
          groupId,
          sessionTimeoutMs: this.options.sessionTimeoutMs,
          rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: this.options.groupInstanceId ?? null,
          protocolType: 'consumer',
          protocols: this.options.assignors.map((name) => ({ name, metadata })),
          reason: null,
        }),
        { timeoutMs: this.options.rebalanceTimeoutMs + 5000 },
      );
    }
    if (join.errorCode !== 0) this.handleGroupError(join.errorCode, 'JoinGroup', Apis.JoinGroup.apiKey);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocolName = join.protocolName;
    this.isLeader = join.leader === join.memberId;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (this.isLeader && !join.skipAssignment) {
      assignments = await this.assign(join.members);
    }
    const sync = await coordinator.send(
      Apis.SyncGroup,
      () => ({
        ...Apis.SyncGroup.request.defaults(),
        groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId ?? null,
        protocolType: 'consumer',
        protocolName: this.protocolName,
        assignments,
      }),
      { timeoutMs: this.options.rebalanceTimeoutMs + 5000 },
    );
    if (sync.errorCode !== 0) this.handleGroupError(sync.errorCode, 'SyncGroup', Apis.SyncGroup.apiKey);
    const assigned = decodeAssignment(sync.assignment);
    channels.rebalance.publish({ groupId, memberId: this.memberId, generationId: this.generationId, assigned });
    await this.applyAssignment(assigned);
  }

  private async applyAssignment(assigned: TopicPartition[]): Promise<void> {
    const key = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;
    const newKeys = new Set(assigned.map(key));
    const ownedKeys = new Set(this.owned.map(key));
    const revoked = this.owned.filter((tp) => !newKeys.has(key(tp)));
    const added = assigned.filter((tp) => !ownedKeys.has(key(tp)));
    this.owned = assigned;
    if (revoked.length > 0) {
      await this.hooks.revoked(revoked);
      // cooperative: the partitions we gave up can only go to their new owner after another round
      if (this.isCooperative()) this.needsRejoin = true;
    }
    await this.hooks.assigned(added);
  }

  private async assign(members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const subscriptions: MemberSubscription[] = members.map((member) => decodeSubscription(member.memberId, member.groupInstanceId, member.metadata));
    const topics = [...new Set(subscriptions.flatMap((member) => member.topics))];
    const partitionCounts = new Map<string, number>();
    await this.cluster.refreshMetadata(topics).catch(() => {});
    for (const topic of topics) {
      const info = this.cluster.cachedTopic(topic);
      if (info && info.errorCode === 0) partitionCounts.set(topic, info.partitions.length);
    }
    const assignment: GroupAssignment = this.currentAssignor().assign(subscriptions, partitionCounts);
    return subscriptions.map((member) => ({ memberId: member.memberId, assignment: encodeAssignment(assignment.get(member.memberId) ?? new Map()) }));
  }

  // --- heartbeats -------------------------------------------------------------------------

  private startHeartbeats(): void {
    this.stopHeartbeats();
    // a beat still in flight from an earlier generation must not re-arm the timer (it would
    // heartbeat with a stale generation during the next join and be told ILLEGAL_GENERATION)
    const session = this.heartbeatSession;
    const beat = async () => {
      this.heartbeatTimer = null;
      if (!this.isCurrentSession(session)) return;
      try {
        const coordinator = await this.cluster.coordinator(this.options.groupId, 0, 'group');
        const generationId = this.generationId;
        const response = await coordinator.send(Apis.Heartbeat, () => ({
          ...Apis.Heartbeat.request.defaults(),
          groupId: this.options.groupId,
          generationId,
          memberId: this.memberId,
          groupInstanceId: this.options.groupInstanceId ?? null,
        }));
        if (response.errorCode !== 0 && this.isCurrentSession(session)) this.onHeartbeatError(response.errorCode);
      } catch {
        // connection trouble: look the coordinator up again on the next beat
        this.cluster.forgetCoordinator(this.options.groupId, 0);
      }
      if (this.isCurrentSession(session)) this.heartbeatTimer = setTimeout(beat, this.options.heartbeatIntervalMs);
    };
    this.heartbeatTimer = setTimeout(beat, this.options.heartbeatIntervalMs);
  }

  private heartbeatSession = 0;

  private isCurrentSession(session: number): boolean {
    return session === this.heartbeatSession && !this.stopped && !this.needsRejoin;
  }

  private onHeartbeatError(errorCode: number): void {
    if (COORDINATOR_ERRORS.has(errorCode)) {
      this.cluster.forgetCoordinator(this.options.groupId, 0);
      return;
    }
    if (errorCode === ERROR.UNKNOWN_MEMBER_ID || errorCode === ERROR.ILLEGAL_GENERATION) {
      if (errorCode === ERROR.UNKNOWN_MEMBER_ID) this.memberId = '';
      this.generationId = -1;
      const lost = this.owned;
      this.owned = [];
      void this.hooks.lost(lost).finally(() => this.requestRejoin());
      return;
    }
    // REBALANCE_IN_PROGRESS and anything else: join again
    this.requestRejoin();
  }

  private stopHeartbeats(): void {
    this.heartbeatSession++;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Stops heartbeating and leaves the group (static members stay, as Kafka intends). */
  async leave(): Promise<void> {
    this.stopped = true;
    this.stopHeartbeats();
    await this.joining?.catch(() => {});
    if (this.options.groupInstanceId !== undefined || this.memberId === '') return;
    try {
      const coordinator = await this.cluster.coordinator(this.options.groupId, 0, 'group');
      await coordinator.send(Apis.LeaveGroup, (version) => ({
        ...Apis.LeaveGroup.request.defaults(),
        groupId: this.options.groupId,
        ...(version >= 3 ? { members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'consumer closed' }] } : { memberId: this.memberId }),
      }));
    } catch {
      // the session timeout removes us anyway
    }
  }
}

export function decodeSubscription(memberId: string, groupInstanceId: string | null, metadata: Buffer): MemberSubscription {
  const reader = new Reader(metadata);
  const version = reader.int16();
  const subscription = ConsumerProtocolSubscription.decode(reader, Math.min(Math.max(version, 0), 3));
  return {
    memberId,
    groupInstanceId,
    topics: subscription.topics,
    ownedPartitions: subscription.ownedPartitions ?? [],
    generationId: version >= 2 ? subscription.generationId : -1,
    userData: subscription.userData,
  };
}

export function encodeAssignment(topics: Map<string, number[]>): Buffer {
  const writer = new Writer(64);
  writer.int16(0);
  ConsumerProtocolAssignment.encode(
    writer,
    { ...ConsumerProtocolAssignment.defaults(), assignedPartitions: [...topics].map(([topic, partitions]) => ({ topic, partitions })), userData: null },
    0,
  );
  return Buffer.from(writer.finish());
}

export function decodeAssignment(bytes: Buffer | null): TopicPartition[] {
  if (!bytes || bytes.length === 0) return [];
  const reader = new Reader(bytes);
  const version = reader.int16();
  const assignment = ConsumerProtocolAssignment.decode(reader, Math.min(Math.max(version, 0), 3));
  return assignment.assignedPartitions.flatMap((entry) => entry.partitions.map((partition) => ({ topic: entry.topic, partition })));
}
