/**
 * What every client (producer, consumer, admin) shares: the bootstrap list, a pool of ready
 * connections (one per broker and purpose: requests, long-polling fetches, group membership —
 * a fetch that waits on the broker must not hold up a produce pipelined behind it), and the
 * metadata cache (brokers, partition leaders, controller), refreshed on a timer and whenever a
 * request fails with a stale-metadata error.
 */
import type tls from 'node:tls';
import { BrokerConnection, type SendOptions } from './broker-connection.ts';
import { Apis, type ClientApi } from './apis.ts';
import type { SaslOptions } from '../network/sasl.ts';
import { KafkaConfigError, KafkaConnectionError, KafkaResponseError, KafkaClientError } from '../errors.ts';
import { RETRY_DEFAULTS, withRetries, type RetryOptions } from '../retry.ts';

export interface ClusterOptions {
  /** "host:port,host:port" or a list of "host:port". */
  bootstrapServers: string | readonly string[];
  clientId?: string;
  tls?: boolean | tls.ConnectionOptions;
  sasl?: SaslOptions;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Metadata older than this is refreshed before use. */
  metadataMaxAgeMs?: number;
  inflightRequestsMax?: number;
  retries?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
}

export type ConnectionPurpose = 'default' | 'fetch' | 'group';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leaderId: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  partitions: PartitionInfo[];
}

export const METADATA_MAX_AGE_MS_DEFAULT = 300_000;
const NO_LEADER = -1;
/** Errors that mean our metadata is stale: refresh it before retrying. */
const STALE_METADATA_ERRORS = new Set([3, 5, 6, 13, 14, 15, 16, 41, 73, 74, 100]);

export class Cluster {
  readonly options: ClusterOptions;
  readonly clientId: string;
  readonly retry: RetryOptions;
  private readonly bootstrap: { host: string; port: number }[];
  private readonly connections = new Map<string, BrokerConnection>();
  private brokers = new Map<number, BrokerInfo>();
  private topics = new Map<string, TopicInfo>();
  private topicsRefreshedAtMs = new Map<string, number>();
  private controllerId = -1;
  clusterId: string | null = null;
  private refreshing: Promise<void> | null = null;
  private pendingTopics = new Set<string>();
  private closed = false;
  private bootstrapIndex = 0;
  private readonly coordinators = new Map<string, number>();

  constructor(options: ClusterOptions) {
    this.options = options;
    this.clientId = options.clientId ?? 'kafkaesque';
    this.retry = {
      retries: options.retries ?? RETRY_DEFAULTS.retries,
      retryBackoffMs: options.retryBackoffMs ?? RETRY_DEFAULTS.retryBackoffMs,
      retryBackoffMaxMs: options.retryBackoffMaxMs ?? RETRY_DEFAULTS.retryBackoffMaxMs,
    };
    this.bootstrap = parseBootstrap(options.bootstrapServers);
  }

  // --- connections -----------------------------------------------------------------------

  private connectionTo(nodeId: number, host: string, port: number, purpose: ConnectionPurpose): BrokerConnection {
    if (this.closed) throw new KafkaConnectionError('client is closed', { retriable: false });
    const key = `${nodeId}/${purpose}/${host}:${port}`;
    const existing = this.connections.get(key);
    if (existing && !existing.isClosed) return existing;
    const connection = new BrokerConnection(nodeId, {
      host,
      port,
      clientId: this.clientId,
      tls: this.options.tls,
      sasl: this.options.sasl,
      connectTimeoutMs: this.options.connectTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs,
      inflightRequestsMax: this.options.inflightRequestsMax,
    });
    this.connections.set(key, connection);
    connection.connection.onClose(() => {
      if (this.connections.get(key) === connection) this.connections.delete(key);
    });
    return connection;
  }

  /** A ready connection to broker `nodeId` (refreshing metadata if the broker is unknown). */
  broker(nodeId: number, purpose: ConnectionPurpose = 'default'): Promise<BrokerConnection> {
    // the common case, a connection already open and ready, without an async hop
    const info = this.brokers.get(nodeId);
    if (info && !this.closed) {
      const existing = this.connections.get(`${nodeId}/${purpose}/${info.host}:${info.port}`);
      if (existing && existing.isReady) return Promise.resolve(existing);
    }
    return this.connectBroker(nodeId, purpose);
  }

  private async connectBroker(nodeId: number, purpose: ConnectionPurpose): Promise<BrokerConnection> {
    let info = this.brokers.get(nodeId);
    if (!info) {
      await this.refreshMetadata([]);
      info = this.brokers.get(nodeId);
      if (!info) throw new KafkaClientError(`broker ${nodeId} is not in the cluster metadata`, { code: 8, errorName: 'BROKER_NOT_AVAILABLE', retriable: true });
    }
    const connection = this.connectionTo(nodeId, info.host, info.port, purpose);
    await connection.ready();
    return connection;
  }

  /** Any ready connection: a known broker first, else the bootstrap list in turn. */
  async anyBroker(): Promise<BrokerConnection> {
    for (const connection of this.connections.values()) {
      if (!connection.isClosed && connection.nodeId >= 0) {
        try {
          await connection.ready();
          return connection;
        } catch {
          // try the next one
        }
      }
    }
    const candidates: { nodeId: number; host: string; port: number }[] = [...this.brokers.values()];
    for (let i = 0; i < this.bootstrap.length; i++) {
      const index = (this.bootstrapIndex + i) % this.bootstrap.length;
      candidates.push({ nodeId: -1 - index, ...this.bootstrap[index] });
    }
    this.bootstrapIndex++;
    let lastError: unknown = null;
    for (const candidate of candidates) {
      const connection = this.connectionTo(candidate.nodeId, candidate.host, candidate.port, 'default');
      try {
        await connection.ready();
        return connection;
      } catch (error) {
        // a broker that refuses our credentials or versions will not change its mind on retry
        if (error instanceof KafkaClientError && !error.retriable) throw error;
        lastError = error;
      }
    }
    throw new KafkaConnectionError(`no broker reachable (bootstrap ${this.bootstrap.map((b) => `${b.host}:${b.port}`).join(',')})`, { cause: lastError });
  }

  async send<Request, Response>(
    nodeId: number | 'any' | 'controller',
    api: ClientApi<Request, Response>,
    build: (version: number) => Request,
    options: SendOptions & { purpose?: ConnectionPurpose } = {},
  ): Promise<Response> {
    const connection =
      nodeId === 'any' ? await this.anyBroker() : nodeId === 'controller' ? await this.controller() : await this.broker(nodeId, options.purpose);
    return connection.send(api, build, options);
  }

  /** Runs `operation` with retries; stale-metadata errors refresh the metadata first. */
  withRetries<T>(operation: (attempt: number) => Promise<T>, topics: readonly string[] = []): Promise<T> {
    return withRetries(operation, this.retry, async (error) => {
      if (error instanceof KafkaConnectionError || STALE_METADATA_ERRORS.has(error.code)) {
        await this.refreshMetadata(topics).catch(() => {});
      }
    });
  }

  // --- metadata ---------------------------------------------------------------------------

  /** Topic metadata from the cache, refreshed when missing or older than metadataMaxAgeMs. */
  async topicMetadata(topic: string, allowAutoTopicCreation = false): Promise<TopicInfo> {
    const known = this.topics.get(topic);
    const ageMs = Date.now() - (this.topicsRefreshedAtMs.get(topic) ?? 0);
    if (known && known.errorCode === 0 && ageMs < (this.options.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS_DEFAULT)) return known;
    await this.refreshMetadata([topic], allowAutoTopicCreation);
    const fresh = this.topics.get(topic);
    if (!fresh) throw new KafkaResponseError(3, { apiName: 'Metadata', apiKey: Apis.Metadata.apiKey, apiVersion: -1, topic });
    if (fresh.errorCode !== 0) {
      throw new KafkaResponseError(fresh.errorCode, { apiName: 'Metadata', apiKey: Apis.Metadata.apiKey, apiVersion: -1, topic });
    }
    return fresh;
  }

  /** Cached topic metadata without I/O (undefined when unknown). */
  cachedTopic(topic: string): TopicInfo | undefined {
    return this.topics.get(topic);
  }

  cachedBrokers(): BrokerInfo[] {
    return [...this.brokers.values()];
  }

  get controllerNodeId(): number {
    return this.controllerId;
  }

  /**
   * Fetches metadata for `topics` ([] = brokers only, null = all topics). Concurrent calls share
   * one request; topics asked for meanwhile are folded into the next one.
   */
  async refreshMetadata(topics: readonly string[] | null, allowAutoTopicCreation = false): Promise<void> {
    if (topics === null) {
      await this.fetchMetadata(null, allowAutoTopicCreation);
      return;
    }
    await this.refreshTopics(topics, allowAutoTopicCreation);
  }

  private async refreshTopics(topics: readonly string[], allowAutoTopicCreation: boolean): Promise<void> {
    for (const topic of topics) this.pendingTopics.add(topic);
    while (this.refreshing) await this.refreshing.catch(() => {});
    if (topics.length > 0 && topics.every((topic) => !this.pendingTopics.has(topic))) return;
    const batch = [...this.pendingTopics];
    this.pendingTopics.clear();
    this.refreshing = this.fetchMetadata(batch, allowAutoTopicCreation).then(() => {});
    try {
      await this.refreshing;
    } finally {
      this.refreshing = null;
    }
  }

  /** Every topic in the cluster (a full Metadata request). */
  async allTopics(): Promise<TopicInfo[]> {
    const response = await this.fetchMetadata(null, false);
    return response;
  }

  private async fetchMetadata(topics: string[] | null, allowAutoTopicCreation: boolean): Promise<TopicInfo[]> {
    const connection = await this.anyBroker();
    const response = await connection.send(Apis.Metadata, (version) => ({
      ...Apis.Metadata.request.defaults(),
      topics: topics === null ? null : topics.map((name) => ({ ...emptyMetadataTopic(), name })),
      // before v4 the broker decides alone (the field does not exist)
      ...(version >= 4 ? { allowAutoTopicCreation } : {}),
    }));
    const brokers = new Map<number, BrokerInfo>();
    for (const broker of response.brokers) brokers.set(broker.nodeId, { nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: broker.rack ?? null });
    this.brokers = brokers;
    this.controllerId = response.controllerId;
    this.clusterId = response.clusterId ?? null;
    const nowMs = Date.now();
    const result: TopicInfo[] = [];
    for (const topic of response.topics) {
      if (topic.name === null) continue;
      const partitions: PartitionInfo[] = [];
      for (const partition of topic.partitions) {
        partitions[partition.partitionIndex] = {
          partition: partition.partitionIndex,
          leaderId: partition.leaderId,
          leaderEpoch: partition.leaderEpoch,
          replicas: partition.replicaNodes,
          isr: partition.isrNodes,
          offlineReplicas: partition.offlineReplicas ?? [],
          errorCode: partition.errorCode,
        };
      }
      const info: TopicInfo = { name: topic.name, topicId: topic.topicId, isInternal: topic.isInternal, errorCode: topic.errorCode, partitions };
      result.push(info);
      if (topic.errorCode === 0 || !this.topics.has(topic.name) || topic.errorCode === 3) {
        this.topics.set(topic.name, info);
        this.topicsRefreshedAtMs.set(topic.name, nowMs);
      }
    }
    return result;
  }

  /** Forgets a topic's metadata so the next use refreshes it. */
  invalidateTopic(topic: string): void {
    this.topicsRefreshedAtMs.delete(topic);
  }

  /** Leader of a partition from the cache (refreshing when unknown). */
  async leaderFor(topic: string, partition: number): Promise<number> {
    const info = await this.topicMetadata(topic);
    const partitionInfo = info.partitions[partition];
    if (!partitionInfo) throw new KafkaResponseError(3, { apiName: 'Metadata', apiKey: Apis.Metadata.apiKey, apiVersion: -1, topic, partition });
    if (partitionInfo.leaderId === NO_LEADER) {
      this.invalidateTopic(topic);
      throw new KafkaResponseError(5, { apiName: 'Metadata', apiKey: Apis.Metadata.apiKey, apiVersion: -1, topic, partition });
    }
    return partitionInfo.leaderId;
  }

  async controller(): Promise<BrokerConnection> {
    if (this.controllerId < 0 || !this.brokers.has(this.controllerId)) await this.refreshMetadata([]);
    if (this.controllerId < 0) return this.anyBroker();
    return this.broker(this.controllerId);
  }

  // --- coordinators -----------------------------------------------------------------------

  /** The coordinator of a group (keyType 0) or transactional id (keyType 1), cached. */
  async coordinator(key: string, keyType: 0 | 1, purpose: ConnectionPurpose = 'default'): Promise<BrokerConnection> {
    const cacheKey = `${keyType}:${key}`;
    let nodeId = this.coordinators.get(cacheKey);
    if (nodeId === undefined) {
      nodeId = await this.findCoordinator(key, keyType);
      this.coordinators.set(cacheKey, nodeId);
    }
    return this.broker(nodeId, purpose);
  }

  forgetCoordinator(key: string, keyType: 0 | 1): void {
    this.coordinators.delete(`${keyType}:${key}`);
  }

  private async findCoordinator(key: string, keyType: 0 | 1): Promise<number> {
    const connection = await this.anyBroker();
    const version = connection.versionFor(Apis.FindCoordinator);
    const response = await connection.send(Apis.FindCoordinator, (version) => ({
      ...Apis.FindCoordinator.request.defaults(),
      keyType,
      ...(version >= 4 ? { coordinatorKeys: [key] } : { key }),
    }));
    const request = { apiName: 'FindCoordinator', apiKey: Apis.FindCoordinator.apiKey, apiVersion: version, broker: connection.address };
    if (version >= 4) {
      const entry = response.coordinators[0];
      if (!entry) throw new KafkaResponseError(15, request);
      if (entry.errorCode !== 0) throw new KafkaResponseError(entry.errorCode, request, entry.errorMessage);
      this.learnBroker(entry.nodeId, entry.host, entry.port);
      return entry.nodeId;
    }
    if (response.errorCode !== 0) throw new KafkaResponseError(response.errorCode, request, response.errorMessage ?? null);
    this.learnBroker(response.nodeId, response.host, response.port);
    return response.nodeId;
  }

  private learnBroker(nodeId: number, host: string, port: number): void {
    if (!this.brokers.has(nodeId)) this.brokers.set(nodeId, { nodeId, host, port, rack: null });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}

function emptyMetadataTopic(): { topicId: string; name: string } {
  return { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: '' };
}

export function parseBootstrap(servers: string | readonly string[]): { host: string; port: number }[] {
  const list = (typeof servers === 'string' ? servers.split(',') : servers).map((entry) => entry.trim()).filter(Boolean);
  if (list.length === 0) throw new KafkaConfigError('bootstrapServers is empty');
  return list.map((entry) => {
    const colon = entry.lastIndexOf(':');
    const host = colon > 0 ? entry.slice(0, colon).replace(/^\[|\]$/g, '') : entry;
    const port = colon > 0 ? Number(entry.slice(colon + 1)) : 9092;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new KafkaConfigError(`invalid bootstrap server ${entry}`);
    return { host, port };
  });
}
