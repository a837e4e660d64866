/**
 * Replication as Kafka does it, plugged into the ReplicaManager (ReplicationHooks).
 *
 * Leader side: each follower's log end offset is what it last fetched from; the high watermark
 * is the minimum log end offset over the ISR (the leader's own included) and only moves
 * forward. A follower that has not caught up to the leader's log end for
 * replica.lag.time.max.ms leaves the ISR; one whose log end reaches the high watermark joins
 * it again. The leader writes ISR changes to the partition's state znode itself, conditional on
 * the version it read (Kafka ≤ 2.6's way; see README.md for why not AlterPartition).
 * acks=all produce requests wait here until the high watermark passes their batch.
 *
 * Follower side: one ReplicaFetcher per leader broker fetches every partition this broker
 * follows from it (Fetch v11 with replica id), after first truncating each to where its log
 * agrees with the leader's (OffsetForLeaderEpoch, KIP-101/279).
 */
import type { BrokerConfig } from '../config/broker-config.ts';
import type { PartitionState, TopicState } from '../metadata/store.ts';
import type { Partition, ReplicaManager, ReplicationHooks } from '../replica/replica-manager.ts';
import type { LinkTable } from './links.ts';
import { ReplicaFetcher } from './replica-fetcher.ts';
import { StaleStateError, type ZkMetadataStore } from './zk-metadata-store.ts';

const ErrorCode = {
  none: 0,
  notLeaderOrFollower: 6,
  requestTimedOut: 7,
  notEnoughReplicasAfterAppend: 20,
} as const;

/** acks=all requests waiting on one partition at once (beyond: REQUEST_TIMED_OUT at once). */
const ACK_WAITERS_PER_PARTITION_MAX = 10_000;

interface FollowerState {
  logEndOffset: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  leaderEndOffsetAtLastFetch: number;
}

interface LeaderState {
  leaderEpoch: number;
  followers: Map<number, FollowerState>;
  isrWriteInFlight: boolean;
}

interface AckWaiter {
  offset: number;
  resolve: (errorCode: number) => void;
  timer: NodeJS.Timeout;
}

export interface ClusterReplicationOptions {
  brokerId: number;
  manager: ReplicaManager;
  store: ZkMetadataStore;
  config: BrokerConfig;
  links: LinkTable;
  log?: (message: string) => void;
}

export function replicaClientId(brokerId: number, secret: string): string {
  return `kafkaesque-replica-${brokerId}:${secret}`;
}

export class ClusterReplication implements ReplicationHooks {
  private readonly options: ClusterReplicationOptions;
  private readonly leaders = new Map<Partition, LeaderState>();
  private readonly waiters = new Map<Partition, Set<AckWaiter>>();
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Which leader each followed partition is fetched from. */
  private readonly followed = new Map<Partition, number>();
  private readonly isrTimer: NodeJS.Timeout;
  private stopped = false;

  constructor(options: ClusterReplicationOptions) {
    this.options = options;
    const checkMs = Math.max(10, Math.floor(this.lagTimeMaxMs() / 2));
    this.isrTimer = setInterval(() => this.shrinkIsrs(), checkMs);
    this.isrTimer.unref();
  }

  private lagTimeMaxMs(): number {
    return this.options.config.int('replica.lag.time.max.ms');
  }

  private report(message: string): void {
    (this.options.log ?? ((text: string) => process.stderr.write(`${text}\n`)))(`broker ${this.options.brokerId} replication: ${message}`);
  }

  // ---- leadership changes -----------------------------------------------------------------------

  partitionUpdated(partition: Partition, state: PartitionState, _topic: TopicState): void {
    if (this.stopped) return;
    if (partition.isLeader) {
      this.unfollow(partition);
      this.lead(partition, state);
      return;
    }
    this.leaders.delete(partition);
    this.failWaiters(partition, ErrorCode.notLeaderOrFollower);
    if (state.leader < 0 || state.leader === this.options.brokerId) {
      this.unfollow(partition);
      return;
    }
    this.follow(partition, state.leader, state.leaderEpoch);
  }

  partitionRemoved(partition: Partition): void {
    this.unfollow(partition);
    this.leaders.delete(partition);
    this.failWaiters(partition, ErrorCode.notLeaderOrFollower);
  }

  private lead(partition: Partition, state: PartitionState): void {
    const now = Date.now();
    let leader = this.leaders.get(partition);
    if (leader === undefined || leader.leaderEpoch !== state.leaderEpoch) {
      // A new term: nothing is known of the followers yet; ISR members get a full lag period.
      leader = { leaderEpoch: state.leaderEpoch, followers: new Map(), isrWriteInFlight: false };
      this.leaders.set(partition, leader);
    }
    for (const id of state.replicas) {
      if (id === this.options.brokerId || leader.followers.has(id)) continue;
      leader.followers.set(id, { logEndOffset: -1, lastCaughtUpMs: state.isr.includes(id) ? now : 0, lastFetchMs: 0, leaderEndOffsetAtLastFetch: -1 });
    }
    for (const id of [...leader.followers.keys()]) if (!state.replicas.includes(id)) leader.followers.delete(id);
    this.advanceHighWatermark(partition);
  }

  private follow(partition: Partition, leaderId: number, leaderEpoch: number): void {
    const current = this.followed.get(partition);
    if (current !== undefined && current !== leaderId) this.fetchers.get(current)?.remove(partition);
    this.followed.set(partition, leaderId);
    let fetcher = this.fetchers.get(leaderId);
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcher({
        brokerId: this.options.brokerId,
        leaderId,
        store: this.options.store,
        config: this.options.config,
        links: this.options.links,
        clientId: () => replicaClientId(this.options.brokerId, this.options.store.interBrokerSecret),
        log: this.options.log,
      });
      this.fetchers.set(leaderId, fetcher);
    }
    fetcher.add(partition, leaderEpoch);
  }

  private unfollow(partition: Partition): void {
    const leaderId = this.followed.get(partition);
    if (leaderId === undefined) return;
    this.followed.delete(partition);
    this.fetchers.get(leaderId)?.remove(partition);
  }

  // ---- leader: follower positions, high watermark, ISR -----------------------------------------

  appended(partition: Partition): void {
    this.advanceHighWatermark(partition);
  }

  isReplica(replicaId: number, clientId: string | null): boolean {
    const secret = this.options.store.interBrokerSecret;
    return secret !== '' && clientId === replicaClientId(replicaId, secret);
  }

  followerFetched(partition: Partition, replicaId: number, fetchOffset: number): void {
    const leader = this.leaders.get(partition);
    if (leader === undefined || !partition.isLeader) return;
    const follower = leader.followers.get(replicaId);
    if (follower === undefined) return;
    const now = Date.now();
    const leaderEnd = partition.log.logEndOffset;
    // Kafka's rule: caught up now if it asked for the log end; caught up as of its previous
    // fetch if it reached what the log end was then.
    if (fetchOffset >= leaderEnd) follower.lastCaughtUpMs = now;
    else if (follower.leaderEndOffsetAtLastFetch >= 0 && fetchOffset >= follower.leaderEndOffsetAtLastFetch) follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, follower.lastFetchMs);
    follower.logEndOffset = fetchOffset;
    follower.lastFetchMs = now;
    follower.leaderEndOffsetAtLastFetch = leaderEnd;
    if (!partition.isr.includes(replicaId) && fetchOffset >= partition.log.highWatermark && this.isLive(replicaId)) {
      void this.changeIsr(partition, leader, [...partition.isr, replicaId]);
    }
    this.advanceHighWatermark(partition);
  }

  private isLive(brokerId: number): boolean {
    return this.options.store.brokers().some((broker) => broker.id === brokerId);
  }

  private advanceHighWatermark(partition: Partition): void {
    const leader = this.leaders.get(partition);
    if (leader === undefined || !partition.isLeader) return;
    const log = partition.log;
    let highWatermark = log.logEndOffset;
    for (const id of partition.isr) {
      if (id === this.options.brokerId) continue;
      const follower = leader.followers.get(id);
      highWatermark = Math.min(highWatermark, follower?.logEndOffset ?? -1);
    }
    if (highWatermark > log.highWatermark) {
      log.setHighWatermark(highWatermark);
      this.options.manager.wake(partition);
    }
    this.completeWaiters(partition);
  }

  private shrinkIsrs(): void {
    if (this.stopped) return;
    const now = Date.now();
    const lagMs = this.lagTimeMaxMs();
    for (const [partition, leader] of this.leaders) {
      if (!partition.isLeader || partition.isr.length <= 1) continue;
      const laggards = partition.isr.filter((id) => {
        if (id === this.options.brokerId) return false;
        const follower = leader.followers.get(id);
        return follower === undefined || now - follower.lastCaughtUpMs > lagMs;
      });
      if (laggards.length === 0) continue;
      void this.changeIsr(partition, leader, partition.isr.filter((id) => !laggards.includes(id)));
    }
  }

  /** Writes a new ISR for a partition this broker leads (one write at a time per partition). */
  private async changeIsr(partition: Partition, leader: LeaderState, isr: number[]): Promise<void> {
    if (leader.isrWriteInFlight) return;
    const state = this.options.store.topic(partition.topic)?.partitions[partition.partition];
    if (state === undefined || state.leader !== this.options.brokerId || state.leaderEpoch !== leader.leaderEpoch) return;
    leader.isrWriteInFlight = true;
    try {
      await this.options.store.updatePartition(partition.topic, { ...state, isr });
      if (process.env.KAFKAESQUE_DEBUG) this.report(`${partition.topic}-${partition.partition}: ISR ${JSON.stringify(state.isr)} -> ${JSON.stringify(isr)}`);
    } catch (error) {
      if (!(error instanceof StaleStateError) && !this.stopped) this.report(`${partition.topic}-${partition.partition}: ISR change failed: ${(error as Error).message}`);
    } finally {
      leader.isrWriteInFlight = false;
    }
    this.advanceHighWatermark(partition);
  }

  // ---- acks=all ----------------------------------------------------------------------------------

  waitForReplication(partition: Partition, offset: number, timeoutMs: number): Promise<number> {
    if (!partition.isLeader) return Promise.resolve(ErrorCode.notLeaderOrFollower);
    if (partition.log.highWatermark >= offset) return Promise.resolve(this.ackOutcome(partition));
    let set = this.waiters.get(partition);
    if (set === undefined) this.waiters.set(partition, (set = new Set()));
    if (set.size >= ACK_WAITERS_PER_PARTITION_MAX) return Promise.resolve(ErrorCode.requestTimedOut);
    const waiters = set;
    return new Promise((resolve) => {
      const waiter: AckWaiter = {
        offset,
        resolve: (code) => {
          clearTimeout(waiter.timer);
          waiters.delete(waiter);
          resolve(code);
        },
        timer: setTimeout(() => waiter.resolve(ErrorCode.requestTimedOut), Math.max(0, timeoutMs)),
      };
      waiters.add(waiter);
    });
  }

  private ackOutcome(partition: Partition): number {
    const topic = this.options.store.topic(partition.topic);
    const minIsr = Number(topic?.configs['min.insync.replicas'] ?? this.options.config.get('min.insync.replicas') ?? '1');
    return partition.isr.length < minIsr ? ErrorCode.notEnoughReplicasAfterAppend : ErrorCode.none;
  }

  private completeWaiters(partition: Partition): void {
    const set = this.waiters.get(partition);
    if (set === undefined || set.size === 0) return;
    const highWatermark = partition.log.highWatermark;
    for (const waiter of [...set]) if (waiter.offset <= highWatermark) waiter.resolve(this.ackOutcome(partition));
  }

  private failWaiters(partition: Partition, errorCode: number): void {
    const set = this.waiters.get(partition);
    if (set === undefined) return;
    for (const waiter of [...set]) waiter.resolve(errorCode);
    this.waiters.delete(partition);
  }

  /** Follower fetchers and their positions, for tests and the dashboard. */
  fetcherCount(): number {
    return this.fetchers.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.isrTimer);
    for (const partition of [...this.waiters.keys()]) this.failWaiters(partition, ErrorCode.notLeaderOrFollower);
    await Promise.all([...this.fetchers.values()].map((fetcher) => fetcher.stop()));
    this.fetchers.clear();
  }
}
