/**
 * Consumer group membership with the KIP-848 protocol (`groupProtocol: 'consumer'`): one
 * ConsumerGroupHeartbeat request carries the subscription, the partitions owned and the
 * liveness signal; the coordinator computes assignments itself and hands out partitions only
 * once their previous owner has released them. The member reconciles: it revokes what is no
 * longer assigned (committing first), acknowledges with its next heartbeat, then starts on what
 * was added. Heartbeats run on their own timer and connection, never waiting for user code.
 */
import { randomUuid } from '@kafkaesque/protocol';
import type { Cluster } from '../cluster/cluster.ts';
import { Apis } from '../cluster/apis.ts';
import { KafkaClientError, KafkaResponseError } from '../errors.ts';
import { channels } from '../diagnostics.ts';
import { sleep, backoffMs } from '../retry.ts';
import type { GroupHooks, TopicPartition } from './group.ts';

export interface ConsumerGroupOptions {
  groupId: string;
  groupInstanceId?: string;
  rebalanceTimeoutMs: number;
  /** Server-side assignor ('uniform' or 'range'); null lets the broker choose. */
  serverAssignor?: string | null;
}

const ERROR = {
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  UNKNOWN_MEMBER_ID: 25,
  FENCED_MEMBER_EPOCH: 110,
} as const;
const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;
const HEARTBEAT_INTERVAL_MS_INITIAL = 100;
/** Heartbeats that may fail in a row while joining before the join gives up. */
const JOIN_FAILURES_MAX = 30;

function key(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

export class ConsumerGroupMembership {
  private readonly cluster: Cluster;
  private readonly options: ConsumerGroupOptions;
  private readonly hooks: GroupHooks;
  memberId = '';
  memberEpoch = 0;
  owned: TopicPartition[] = [];
  private heartbeatIntervalMs = HEARTBEAT_INTERVAL_MS_INITIAL;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private sentSubscription: string | null = null;
  private sentOwned: string | null = null;
  private reconciling: Promise<void> | null = null;
  private joined: Promise<void> | null = null;
  private resolveJoined: (() => void) | null = null;
  private rejectJoined: ((error: Error) => void) | null = null;
  private inflight: Promise<void> | null = null;
  private failures = 0;

  constructor(cluster: Cluster, options: ConsumerGroupOptions, hooks: GroupHooks) {
    this.cluster = cluster;
    this.options = options;
    this.hooks = hooks;
  }

  /** The member epoch plays the generation's role in OffsetCommit (KIP-848). */
  get generationId(): number {
    return this.memberEpoch;
  }

  get isStable(): boolean {
    return this.memberEpoch > 0 && this.reconciling === null;
  }

  requestRejoin(): void {
    // the subscription is sent again with the next heartbeat, which is sent now
    this.sentSubscription = null;
    void this.ensureActive().catch(() => {});
    this.beatSoon(0);
  }

  /** Resolves once the member has joined and reconciled its first assignment. */
  ensureActive(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.memberEpoch > 0 && this.reconciling === null && this.joined === null) return Promise.resolve();
    if (!this.joined) {
      this.joined = new Promise<void>((resolve, reject) => {
        this.resolveJoined = resolve;
        this.rejectJoined = reject;
      });
      this.beatSoon(0);
    }
    return this.joined;
  }

  private beatSoon(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inflight ??= this.heartbeat().finally(() => {
        this.inflight = null;
        this.beatSoon(this.heartbeatIntervalMs);
      });
    }, delayMs);
  }

  private async heartbeat(): Promise<void> {
    const topics = [...this.hooks.subscribedTopics()].sort();
    const subscription = topics.join('\u0000');
    const ownedIds = await this.ownedWithIds();
    const ownedKey = JSON.stringify(ownedIds);
    const full = this.memberEpoch === 0;
    try {
      const coordinator = await this.cluster.coordinator(this.options.groupId, 0, 'group');
      const version = coordinator.versionFor(Apis.ConsumerGroupHeartbeat);
      if (this.memberId === '' && version >= 1) this.memberId = randomUuid();
      const response = await coordinator.send(Apis.ConsumerGroupHeartbeat, () => ({
        ...Apis.ConsumerGroupHeartbeat.request.defaults(),
        groupId: this.options.groupId,
        memberId: this.memberId,
        memberEpoch: this.memberEpoch,
        instanceId: this.options.groupInstanceId ?? null,
        rebalanceTimeoutMs: full ? this.options.rebalanceTimeoutMs : -1,
        subscribedTopicNames: full || subscription !== this.sentSubscription ? topics : null,
        serverAssignor: full ? (this.options.serverAssignor ?? null) : null,
        topicPartitions: full || ownedKey !== this.sentOwned ? ownedIds : null,
      }));
      if (response.errorCode !== 0) {
        this.onError(response.errorCode, response.errorMessage);
        return;
      }
      this.failures = 0;
      this.sentSubscription = subscription;
      this.sentOwned = ownedKey;
      if (response.memberId) this.memberId = response.memberId;
      this.memberEpoch = response.memberEpoch;
      if (response.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = response.heartbeatIntervalMs;
      if (response.assignment) {
        const target: TopicPartition[] = [];
        for (const entry of response.assignment.topicPartitions) {
          const topic = await this.topicName(entry.topicId);
          if (topic === null) continue;
          for (const partition of entry.partitions) target.push({ topic, partition });
        }
        this.reconciling = this.reconcile(target).finally(() => {
          this.reconciling = null;
        });
        await this.reconciling;
        // acknowledge the new ownership right away
        this.beatSoon(0);
      }
      if (this.memberEpoch > 0 && this.reconciling === null && response.assignment !== null) this.settleJoined(null);
      else if (this.memberEpoch > 0 && this.joined && this.owned.length === 0 && response.assignment === null && !full) this.settleJoined(null);
    } catch (error) {
      this.failures++;
      this.cluster.forgetCoordinator(this.options.groupId, 0);
      const failure = error as Error;
      if (!(failure instanceof KafkaClientError && failure.retriable) || this.failures > JOIN_FAILURES_MAX) this.settleJoined(failure);
      await sleep(backoffMs(Math.min(this.failures, 4), this.cluster.retry));
    }
  }

  private settleJoined(error: Error | null): void {
    if (!this.joined) return;
    const resolve = this.resolveJoined;
    const reject = this.rejectJoined;
    this.joined = null;
    this.resolveJoined = null;
    this.rejectJoined = null;
    if (error) reject?.(error);
    else resolve?.();
  }

  private onError(errorCode: number, message: string | null): void {
    if (errorCode === ERROR.NOT_COORDINATOR || errorCode === ERROR.COORDINATOR_NOT_AVAILABLE || errorCode === ERROR.COORDINATOR_LOAD_IN_PROGRESS) {
      this.cluster.forgetCoordinator(this.options.groupId, 0);
      return;
    }
    if (errorCode === ERROR.FENCED_MEMBER_EPOCH || errorCode === ERROR.UNKNOWN_MEMBER_ID) {
      // our partitions may already belong to someone else: drop them without committing, rejoin
      const lost = this.owned;
      this.owned = [];
      this.memberEpoch = 0;
      this.sentOwned = null;
      this.sentSubscription = null;
      void this.hooks.lost(lost).finally(() => this.beatSoon(0));
      return;
    }
    const error = new KafkaResponseError(errorCode, { apiName: 'ConsumerGroupHeartbeat', apiKey: Apis.ConsumerGroupHeartbeat.apiKey, apiVersion: -1 }, message);
    this.settleJoined(error);
  }

  private async reconcile(target: TopicPartition[]): Promise<void> {
    const targetKeys = new Set(target.map(key));
    const ownedKeys = new Set(this.owned.map(key));
    const revoked = this.owned.filter((tp) => !targetKeys.has(key(tp)));
    const added = target.filter((tp) => !ownedKeys.has(key(tp)));
    if (revoked.length > 0) await this.hooks.revoked(revoked);
    this.owned = target;
    if (added.length > 0) await this.hooks.assigned(added);
    channels.rebalance.publish({ groupId: this.options.groupId, memberId: this.memberId, memberEpoch: this.memberEpoch, assigned: target, protocol: 'consumer' });
  }

  private async ownedWithIds(): Promise<{ topicId: string; partitions: number[] }[]> {
    const byTopic = new Map<string, number[]>();
    for (const tp of this.owned) {
      let list = byTopic.get(tp.topic);
      if (!list) byTopic.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    const result: { topicId: string; partitions: number[] }[] = [];
    for (const [topic, partitions] of byTopic) {
      const info = this.cluster.cachedTopic(topic) ?? (await this.cluster.topicMetadata(topic).catch(() => undefined));
      if (info) result.push({ topicId: info.topicId, partitions: partitions.sort((a, b) => a - b) });
    }
    return result.sort((a, b) => (a.topicId < b.topicId ? -1 : 1));
  }

  private async topicName(topicId: string): Promise<string | null> {
    for (const topic of this.hooks.subscribedTopics()) {
      const info = this.cluster.cachedTopic(topic) ?? (await this.cluster.topicMetadata(topic).catch(() => undefined));
      if (info?.topicId === topicId) return topic;
    }
    const all = await this.cluster.allTopics().catch(() => []);
    return all.find((topic) => topic.topicId === topicId)?.name ?? null;
  }

  /** Leaves the group (epoch -1), or for a static member announces a temporary leave (-2). */
  async leave(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inflight?.catch(() => {});
    if (this.memberEpoch <= 0 && this.memberId === '') return;
    try {
      const coordinator = await this.cluster.coordinator(this.options.groupId, 0, 'group');
      await coordinator.send(Apis.ConsumerGroupHeartbeat, () => ({
        ...Apis.ConsumerGroupHeartbeat.request.defaults(),
        groupId: this.options.groupId,
        memberId: this.memberId,
        memberEpoch: this.options.groupInstanceId !== undefined ? STATIC_LEAVE_EPOCH : LEAVE_EPOCH,
        instanceId: this.options.groupInstanceId ?? null,
      }));
    } catch {
      // the session timeout removes us anyway
    }
  }
}
