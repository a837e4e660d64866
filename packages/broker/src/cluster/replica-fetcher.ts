/**
 * A follower's fetch loop towards one leader broker: every partition this broker follows from
 * that leader is fetched in one Fetch request (v11, replica id set, no fetch session), which the
 * leader long-polls (replica.fetch.wait.max.ms). A partition joins with the leader epoch it is
 * followed under and is first truncated to the offset where its log agrees with the leader's:
 * OffsetForLeaderEpoch with the follower's latest epoch (KIP-101), and when the leader answers
 * with an older epoch, the follower's own end of that epoch bounds it too (KIP-279).
 */
import { ErrorCode, ZERO_UUID, type FetchResponse, type OffsetForLeaderEpochResponse } from '@kafkaesque/protocol';
import type { BrokerConfig } from '../config/broker-config.ts';
import type { Partition } from '../replica/replica-manager.ts';
import type { LinkTable } from './links.ts';
import { PeerConnection } from './peer-connection.ts';
import type { ZkMetadataStore } from './zk-metadata-store.ts';

const FETCH_VERSION = 11;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 3;
const FETCH_API = 1;
const OFFSET_FOR_LEADER_EPOCH_API = 23;
/** Bound of one fetch response (replica.fetch.response.max.bytes in Kafka). */
const FETCH_RESPONSE_BYTES_MAX = 10 * 1024 * 1024;
/** Extra time on top of the long-poll wait before a request counts as lost. */
const REQUEST_TIMEOUT_MARGIN_MS = 10_000;
/** Pause after a round that returned only errors (metadata catching up). */
const ERROR_PAUSE_MS = 50;

interface Followed {
  leaderEpoch: number;
  truncated: boolean;
}

export interface ReplicaFetcherOptions {
  brokerId: number;
  leaderId: number;
  store: ZkMetadataStore;
  config: BrokerConfig;
  links: LinkTable;
  clientId: () => string;
  log?: (message: string) => void;
}

export class ReplicaFetcher {
  private readonly options: ReplicaFetcherOptions;
  private readonly partitions = new Map<Partition, Followed>();
  private connection: PeerConnection | null = null;
  private running = true;
  private wakeUp: (() => void) | null = null;
  private readonly loop: Promise<void>;

  constructor(options: ReplicaFetcherOptions) {
    this.options = options;
    this.loop = this.run();
  }

  add(partition: Partition, leaderEpoch: number): void {
    const existing = this.partitions.get(partition);
    if (existing !== undefined && existing.leaderEpoch === leaderEpoch) return;
    this.partitions.set(partition, { leaderEpoch, truncated: false });
    this.wakeUp?.();
  }

  remove(partition: Partition): void {
    this.partitions.delete(partition);
  }

  private report(message: string): void {
    if (!process.env.KAFKAESQUE_DEBUG) return;
    (this.options.log ?? ((text: string) => process.stderr.write(`${text}\n`)))(`broker ${this.options.brokerId} fetcher->${this.options.leaderId}: ${message}`);
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.partitions.size === 0) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          setTimeout(resolve, 1000).unref();
        });
        this.wakeUp = null;
        continue;
      }
      try {
        const connection = this.connect();
        if (connection === null) {
          await this.pause(this.backoffMs());
          continue;
        }
        await this.truncate(connection);
        const progressed = await this.fetch(connection);
        if (!progressed) await this.pause(ERROR_PAUSE_MS);
      } catch (error) {
        this.report(`${(error as Error).message}`);
        this.connection?.close();
        this.connection = null;
        if (this.running) await this.pause(this.backoffMs());
      }
    }
    this.connection?.close();
  }

  private backoffMs(): number {
    return Math.min(this.options.config.int('replica.fetch.backoff.ms'), 200);
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      setTimeout(resolve, ms).unref();
    }).then(() => {
      this.wakeUp = null;
    });
  }

  private connect(): PeerConnection | null {
    if (this.connection !== null && !this.connection.closed) return this.connection;
    const { brokerId, leaderId, links, store } = this.options;
    const leader = store.brokers().find((broker) => broker.id === leaderId);
    if (leader === undefined) return null;
    const socket = links.connect(brokerId, leaderId, leader.host, leader.port);
    this.connection = new PeerConnection(socket, this.options.clientId(), () => links.delayMs(brokerId, leaderId));
    return this.connection;
  }

  private byTopic(partitions: Partition[]): Map<string, Partition[]> {
    const topics = new Map<string, Partition[]>();
    for (const partition of partitions) {
      let list = topics.get(partition.topic);
      if (list === undefined) topics.set(partition.topic, (list = []));
      list.push(partition);
    }
    return topics;
  }

  /** KIP-101/279: cut every newly followed partition back to where it agrees with the leader. */
  private async truncate(connection: PeerConnection): Promise<void> {
    const pending = [...this.partitions].filter(([, followed]) => !followed.truncated);
    if (pending.length === 0) return;
    const epochs = new Map(pending.map(([partition, followed]) => [partition, followed.leaderEpoch]));
    const topics = this.byTopic(pending.map(([partition]) => partition));
    const response = await connection.request<OffsetForLeaderEpochResponse>(
      OFFSET_FOR_LEADER_EPOCH_API,
      OFFSET_FOR_LEADER_EPOCH_VERSION,
      {
        replicaId: this.options.brokerId,
        topics: [...topics].map(([topic, partitions]) => ({
          topic,
          partitions: partitions.map((partition) => ({
            partition: partition.partition,
            currentLeaderEpoch: epochs.get(partition)!,
            leaderEpoch: partition.log.latestEpoch,
          })),
        })),
      },
      REQUEST_TIMEOUT_MARGIN_MS,
    );
    for (const topic of response.topics) {
      for (const answer of topic.partitions) {
        const partition = topics.get(topic.topic)?.find((candidate) => candidate.partition === answer.partition);
        if (partition === undefined) continue;
        const followed = this.partitions.get(partition);
        if (followed === undefined || followed.leaderEpoch !== epochs.get(partition) || followed.truncated) continue;
        if (answer.errorCode !== ErrorCode.NONE) {
          this.report(`${partition.topic}-${partition.partition}: OffsetForLeaderEpoch error ${answer.errorCode}`);
          continue;
        }
        await partition.exclusive(async () => {
          const log = partition.log;
          const asked = log.latestEpoch;
          let target: number;
          if (asked < 0 || answer.leaderEpoch < 0) {
            // No epochs to compare (empty log, or the leader knows no epoch ≤ ours): keep what
            // is known committed.
            target = asked < 0 ? log.logEndOffset : Math.min(log.highWatermark, Number(answer.endOffset) >= 0 ? Number(answer.endOffset) : log.highWatermark);
          } else if (answer.leaderEpoch < asked) {
            target = Math.min(Number(answer.endOffset), log.endOffsetForLeaderEpoch(answer.leaderEpoch).endOffset);
          } else {
            target = Number(answer.endOffset);
          }
          if (target >= 0 && target < log.logEndOffset) {
            this.report(`${partition.topic}-${partition.partition}: truncating ${log.logEndOffset} -> ${target}`);
            await log.truncateTo(target);
          }
        });
        followed.truncated = true;
      }
    }
  }

  /** One fetch round; false when nothing could be fetched (errors only). */
  private async fetch(connection: PeerConnection): Promise<boolean> {
    const ready = [...this.partitions].filter(([, followed]) => followed.truncated);
    if (ready.length === 0) return false;
    const epochs = new Map(ready.map(([partition, followed]) => [partition, followed.leaderEpoch]));
    const offsets = new Map(ready.map(([partition]) => [partition, partition.log.logEndOffset]));
    const topics = this.byTopic(ready.map(([partition]) => partition));
    const waitMs = this.options.config.int('replica.fetch.wait.max.ms');
    const partitionBytesMax = this.options.config.int('replica.fetch.max.bytes');
    const response = await connection.request<FetchResponse>(
      FETCH_API,
      FETCH_VERSION,
      {
        replicaId: this.options.brokerId,
        maxWaitMs: waitMs,
        minBytes: 1,
        maxBytes: FETCH_RESPONSE_BYTES_MAX,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...topics].map(([topic, partitions]) => ({
          topic,
          topicId: ZERO_UUID,
          partitions: partitions.map((partition) => ({
            partition: partition.partition,
            currentLeaderEpoch: epochs.get(partition)!,
            fetchOffset: BigInt(offsets.get(partition)!),
            lastFetchedEpoch: -1,
            logStartOffset: BigInt(partition.log.logStartOffset),
            partitionMaxBytes: partitionBytesMax,
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      },
      waitMs + REQUEST_TIMEOUT_MARGIN_MS,
    );
    if (response.errorCode !== ErrorCode.NONE) return false;
    let progressed = false;
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const partition = topics.get(topic.topic)?.find((candidate) => candidate.partition === data.partitionIndex);
        if (partition === undefined) continue;
        const followed = this.partitions.get(partition);
        if (followed === undefined || followed.leaderEpoch !== epochs.get(partition) || !followed.truncated) continue;
        if (await this.applyFetched(partition, followed, offsets.get(partition)!, data)) progressed = true;
      }
    }
    return progressed;
  }

  private async applyFetched(
    partition: Partition,
    followed: Followed,
    fetchOffset: number,
    data: FetchResponse['responses'][number]['partitions'][number],
  ): Promise<boolean> {
    const log = partition.log;
    if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      const leaderStart = Number(data.logStartOffset);
      await partition.exclusive(async () => {
        if (leaderStart > fetchOffset) await log.truncateFullyAndStartAt(leaderStart);
      });
      if (leaderStart <= fetchOffset) followed.truncated = false; // ahead of the leader: compare epochs again
      return false;
    }
    if (data.errorCode !== ErrorCode.NONE) {
      this.report(`${partition.topic}-${partition.partition}: fetch error ${data.errorCode}`);
      return false;
    }
    const records = data.records;
    await partition.exclusive(async () => {
      if (partition.isLeader || log.logEndOffset !== fetchOffset) return;
      if (records !== null && records.length > 0) {
        const result = await log.appendAsFollower(Buffer.from(records.buffer, records.byteOffset, records.byteLength));
        if (!result.ok) this.report(`${partition.topic}-${partition.partition}: follower append failed: ${result.errorMessage}`);
      }
      log.setHighWatermark(Math.min(Number(data.highWatermark), log.logEndOffset));
    });
    return true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.connection?.close();
    this.wakeUp?.();
    await this.loop;
  }
}
