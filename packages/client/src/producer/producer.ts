/**
 * The producer: `send` serializes, picks a partition and appends to the accumulator, returning
 * the record's promise (the only per-record promise there is). A sender drains the accumulator
 * — a batch goes when it is full, when it has lingered `lingerMs`, or on flush — building one
 * Produce request per leader broker, one batch per partition, each encoded once (kept across
 * retries, so idempotent sequence numbers and CRCs never change).
 *
 * Idempotence is on by default (as in the Java client ≥ 3.0): the producer gets a producer id
 * (InitProducerId) and numbers its batches per partition, so retries never duplicate records.
 * Transactions (`transactionalId`) add begin/commit/abort/sendOffsets on top.
 */
import { compressionFromName, encodeRecordBatch, type CompressionType, type RecordSpec } from '@kafkaesque/protocol';
import { Cluster, type ClusterOptions } from '../cluster/cluster.ts';
import { Apis } from '../cluster/apis.ts';
import { KafkaClientError, KafkaConfigError, KafkaResponseError, KafkaTimeoutError, type RequestContext } from '../errors.ts';
import { serializeWith, type Serializers } from '../serializers.ts';
import { StickyPartitioner, type Partitioner } from './partitioner.ts';
import { Accumulator, estimateRecordBytes, failRecord, settleRecord, type PartitionQueue, type PendingRecord, type ProducerBatch, type RecordMetadata, type SendGroup } from './accumulator.ts';
import { backoffMs } from '../retry.ts';
import { channels, emptyMetrics, type ClientMetrics } from '../diagnostics.ts';

export type { RecordMetadata } from './accumulator.ts';

export type Acks = 0 | 1 | -1 | 'all';
export type CompressionCodecName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducerOptions<K = unknown, V = unknown> extends ClusterOptions {
  serializers?: Serializers<K, V>;
  /** 'all' (= -1, the default), 1 (leader only) or 0 (fire and forget). */
  acks?: Acks;
  /** How long a batch may wait for more records; 0 sends what one event-loop turn gathered. */
  lingerMs?: number;
  /** Upper bound of one batch (records beyond it open a new batch). */
  batchBytes?: number;
  /** Upper bound of all buffered records; `send` waits (up to maxBlockMs) when it is reached. */
  bufferBytesMax?: number;
  maxBlockMs?: number;
  compression?: CompressionCodecName;
  /** Exactly-once per partition across retries (default true; forced on with transactions). */
  idempotent?: boolean;
  transactionalId?: string;
  transactionTimeoutMs?: number;
  /** Overrides the default partitioner (murmur2 for keys, sticky for keyless records). */
  partitioner?: Partitioner;
  /** A record not acknowledged within this time fails (covers all retries). */
  deliveryTimeoutMs?: number;
  /** Ask the broker to create unknown topics (broker's auto.create.topics.enable decides). */
  allowAutoTopicCreation?: boolean;
  /** Time the broker may take to reach `acks` (Produce's timeoutMs). */
  ackTimeoutMs?: number;
}

export type RecordHeadersInput = Record<string, string | Buffer | null> | readonly { key: string; value: string | Buffer | null }[];

export interface ProducerRecord<K, V> {
  topic: string;
  value: V;
  key?: K;
  partition?: number;
  /** Create time in ms (default: now). */
  timestamp?: number;
  headers?: RecordHeadersInput;
}

export const PRODUCER_DEFAULTS = {
  lingerMs: 0,
  // one batch per partition is in flight: big batches keep the pipe full; below the broker's
  // default max.message.bytes (1 048 588) so a full batch is never rejected as too large
  batchBytes: 1_046_000,
  bufferBytesMax: 32 * 1024 * 1024,
  maxBlockMs: 60_000,
  deliveryTimeoutMs: 120_000,
  ackTimeoutMs: 30_000,
  transactionTimeoutMs: 60_000,
} as const;

const SEQUENCE_MAX = 0x7fffffff;
/** Upper bound of one Produce request's record data (Kafka's socket.request.max.bytes is 100 MiB). */
const PRODUCE_REQUEST_BYTES_MAX = 16 * 1024 * 1024;
const DUPLICATE_SEQUENCE_NUMBER = 46;
/** Errors after which the producer id must be renewed (the broker lost or fenced our state). */
const PRODUCER_STATE_ERRORS = new Set([45, 59, 47]);

type TransactionState = 'none' | 'ready' | 'in-transaction' | 'committing' | 'aborting' | 'fatal';

export class Producer<K = unknown, V = unknown> {
  readonly cluster: Cluster;
  private readonly options: ProducerOptions<K, V>;
  private readonly accumulator: Accumulator;
  private readonly sticky = new StickyPartitioner();
  private readonly acks: number;
  private readonly lingerMs: number;
  private readonly compression: CompressionType;
  private readonly idempotent: boolean;
  private producerId = -1n;
  private producerEpoch = -1;
  private initializing: Promise<void> | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private drainQueued = false;
  private draining = false;
  private flushRequested = 0;
  private pendingRecords = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly metricsCounters: ClientMetrics = emptyMetrics();
  private transactionState: TransactionState = 'none';
  private readonly partitionsInTransaction = new Set<string>();
  private readonly partitionsBeingAdded = new Map<string, Promise<void>>();

  constructor(options: ProducerOptions<K, V>) {
    this.options = options;
    this.cluster = new Cluster(options);
    const acks = options.acks ?? 'all';
    this.acks = acks === 'all' ? -1 : acks;
    if (![0, 1, -1].includes(this.acks)) throw new KafkaConfigError(`acks must be 0, 1, -1 or 'all', got ${String(acks)}`);
    this.lingerMs = options.lingerMs ?? PRODUCER_DEFAULTS.lingerMs;
    this.compression = compressionFromName(options.compression ?? 'none');
    this.idempotent = options.transactionalId !== undefined || (options.idempotent ?? true);
    if (this.idempotent && this.acks !== -1) {
      if (options.idempotent === true || options.transactionalId !== undefined) {
        throw new KafkaConfigError('idempotence needs acks=all');
      }
      this.idempotent = false; // acks 0/1 without an explicit idempotent: true, as Java does
    }
    this.accumulator = new Accumulator({
      batchBytes: options.batchBytes ?? PRODUCER_DEFAULTS.batchBytes,
      bufferBytesMax: options.bufferBytesMax ?? PRODUCER_DEFAULTS.bufferBytesMax,
    });
    if (options.transactionalId !== undefined) this.transactionState = 'none';
  }

  metrics(): ClientMetrics {
    return { ...this.metricsCounters };
  }

  /** Connects and (when idempotent) obtains the producer id; `send` does this on first use. */
  async connect(): Promise<void> {
    await this.cluster.anyBroker();
    if (this.idempotent && this.options.transactionalId === undefined) await this.ensureProducerId();
  }

  /**
   * Sends one record; resolves with its partition and offset once acknowledged (per `acks`).
   * Records sent in one event-loop turn travel together.
   */
  send(record: ProducerRecord<K, V>): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new KafkaConfigError('producer is closed'));
    if (this.transactionState !== 'none' && this.transactionState !== 'in-transaction') {
      return Promise.reject(new KafkaConfigError(`send outside a transaction (state ${this.transactionState}); call beginTransaction() first`));
    }
    let spec: RecordSpec;
    try {
      spec = this.toSpec(record);
    } catch (error) {
      return Promise.reject(error);
    }
    const bytes = estimateRecordBytes(spec);
    const topic = record.topic;
    const cached = this.cluster.cachedTopic(topic);
    if (cached && cached.errorCode === 0 && !this.accumulator.isFull(bytes) && (record.partition === undefined || record.partition < cached.partitions.length)) {
      const partition = record.partition ?? this.choosePartition(topic, spec, cached.partitions.length);
      return this.enqueue(topic, partition, spec, bytes);
    }
    return this.sendSlow(record, spec, bytes);
  }

  private async sendSlow(record: ProducerRecord<K, V>, spec: RecordSpec, bytes: number): Promise<RecordMetadata> {
    const deadlineMs = Date.now() + (this.options.maxBlockMs ?? PRODUCER_DEFAULTS.maxBlockMs);
    const topic = record.topic;
    let partitionCount = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const info = await this.cluster.topicMetadata(topic, this.options.allowAutoTopicCreation ?? true);
        partitionCount = info.partitions.length;
        if (partitionCount > 0 && info.partitions.every((partition) => partition && partition.leaderId >= 0)) break;
        this.cluster.invalidateTopic(topic);
      } catch (error) {
        if (!(error instanceof KafkaClientError && error.retriable)) throw error;
        this.cluster.invalidateTopic(topic);
        if (Date.now() >= deadlineMs) throw error;
      }
      if (Date.now() >= deadlineMs) throw new KafkaTimeoutError(`topic ${topic} not available after ${this.options.maxBlockMs ?? PRODUCER_DEFAULTS.maxBlockMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, this.cluster.retry)));
    }
    if (record.partition !== undefined && (record.partition < 0 || record.partition >= partitionCount)) {
      throw new KafkaConfigError(`partition ${record.partition} does not exist in ${topic} (${partitionCount} partitions)`);
    }
    while (this.accumulator.isFull(bytes)) {
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) throw new KafkaTimeoutError(`buffer full (bufferBytesMax) for more than maxBlockMs`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.accumulator.waitForMemory(), new Promise((resolve) => (timer = setTimeout(resolve, remainingMs)))]);
      clearTimeout(timer);
    }
    const partition = record.partition ?? this.choosePartition(topic, spec, partitionCount);
    return this.enqueue(topic, partition, spec, bytes);
  }

  private toSpec(record: ProducerRecord<K, V>): RecordSpec {
    if (typeof record.topic !== 'string' || record.topic.length === 0) throw new KafkaConfigError('record.topic is required');
    const serializers = this.options.serializers;
    const key = record.key === undefined ? null : serializeWith(serializers?.key, record.key, record.topic);
    const value = serializeWith(serializers?.value, record.value, record.topic);
    const spec: RecordSpec = { key, value, timestamp: record.timestamp ?? Date.now() };
    if (record.headers) spec.headers = normalizeHeaders(record.headers);
    return spec;
  }

  private choosePartition(topic: string, spec: RecordSpec, partitionCount: number): number {
    const key = (spec.key ?? null) as Buffer | null;
    const custom = this.options.partitioner;
    if (custom) {
      const partition = custom({ topic, key, partitionCount, availablePartitions: this.availablePartitions(topic) });
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
        throw new KafkaConfigError(`partitioner returned ${partition} for ${topic} (${partitionCount} partitions)`);
      }
      return partition;
    }
    if (key !== null) return this.sticky.partition({ topic, key, partitionCount, availablePartitions: [] });
    return this.sticky.partition({ topic, key: null, partitionCount, availablePartitions: this.availablePartitions(topic) });
  }

  private availablePartitions(topic: string): number[] {
    const info = this.cluster.cachedTopic(topic);
    if (!info) return [];
    const available: number[] = [];
    for (const partition of info.partitions) if (partition && partition.leaderId >= 0) available.push(partition.partition);
    return available;
  }

  private enqueue(topic: string, partition: number, spec: RecordSpec, bytes: number): Promise<RecordMetadata> {
    return new Promise<RecordMetadata>((resolve, reject) => {
      this.append(topic, partition, { spec, bytes, resolve, reject, group: null, index: 0 });
    });
  }

  private append(topic: string, partition: number, pending: PendingRecord): void {
    this.pendingRecords++;
    const closedBatch = this.accumulator.append(topic, partition, pending, Date.now());
    if (closedBatch && pending.spec.key === null && !this.options.partitioner) {
      const partitionCount = this.cluster.cachedTopic(topic)?.partitions.length ?? 0;
      this.sticky.onNewBatch({ topic, key: null, partitionCount, availablePartitions: this.availablePartitions(topic) }, partition);
    }
    this.scheduleDrain(closedBatch);
  }

  /**
   * Sends many records with one promise for all of them (resolving with their metadata in order,
   * or rejecting with the first failure): cheaper than one `send` per record for bulk loads.
   */
  sendBatch(records: readonly ProducerRecord<K, V>[]): Promise<RecordMetadata[]> {
    if (records.length === 0) return Promise.resolve([]);
    const fast = this.canSendBatchNow(records);
    if (!fast) return Promise.all(records.map((record) => this.send(record)));
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const group: SendGroup = { results: new Array(records.length), remaining: records.length, settled: false, resolve, reject };
      const nowMs = Date.now();
      const specs: RecordSpec[] = new Array(records.length);
      try {
        for (let i = 0; i < records.length; i++) {
          const record = records[i];
          specs[i] = this.toSpec(record.timestamp === undefined ? { ...record, timestamp: nowMs } : record);
        }
      } catch (error) {
        reject(error);
        return;
      }
      for (let i = 0; i < records.length; i++) {
        const record = records[i];
        const spec = specs[i];
        const partitionCount = this.cluster.cachedTopic(record.topic)!.partitions.length;
        const partition = record.partition ?? this.choosePartition(record.topic, spec, partitionCount);
        this.append(record.topic, partition, { spec, bytes: estimateRecordBytes(spec), resolve: null, reject: null, group, index: i });
      }
    });
  }

  /** Whether every record's topic is known and the buffer has room (else each goes through `send`). */
  private canSendBatchNow(records: readonly ProducerRecord<K, V>[]): boolean {
    if (this.closed || (this.transactionState !== 'none' && this.transactionState !== 'in-transaction')) return false;
    let bytes = 0;
    for (const record of records) {
      const cached = this.cluster.cachedTopic(record.topic);
      if (!cached || cached.errorCode !== 0) return false;
      if (record.partition !== undefined && record.partition >= cached.partitions.length) return false;
      bytes += 64;
    }
    return !this.accumulator.isFull(bytes);
  }

  // --- sender -----------------------------------------------------------------------------

  private scheduleDrain(now: boolean): void {
    if (now || this.lingerMs === 0 || this.flushRequested > 0) {
      // a microtask still gathers every send of the current synchronous run into one request
      if (!this.drainQueued) {
        this.drainQueued = true;
        queueMicrotask(() => {
          this.drainQueued = false;
          this.drain();
        });
      }
      return;
    }
    if (this.drainTimer === null) {
      this.drainTimer = setTimeout(() => {
        this.drainTimer = null;
        this.drain();
      }, this.lingerMs);
    }
  }

  /** Sends every ready batch: one Produce request per leader broker. */
  private drain(): void {
    if (this.draining) return;
    if (this.idempotent && this.producerId < 0n) {
      this.ensureProducerId().then(
        () => this.drain(),
        (error: unknown) => this.failEverything(error as Error),
      );
      return;
    }
    const nowMs = Date.now();
    const byLeader = new Map<number, { queue: PartitionQueue; batch: ProducerBatch }[]>();
    const requestBytesByLeader = new Map<number, number>();
    let lingering = false;
    let retryAtMs = Infinity;
    const missingLeaders = new Set<string>();
    for (const queue of this.accumulator.nonEmpty) {
      if (queue.inflight) continue;
      if (queue.retryAtMs > nowMs) {
        retryAtMs = Math.min(retryAtMs, queue.retryAtMs);
        continue;
      }
      const head = queue.batches[0];
      if (!head.closed && this.flushRequested === 0 && nowMs - head.createdAtMs < this.lingerMs) {
        lingering = true;
        continue;
      }
      const leaderId = this.cluster.cachedTopic(queue.topic)?.partitions[queue.partition]?.leaderId ?? -1;
      if (leaderId < 0) {
        missingLeaders.add(queue.topic);
        continue;
      }
      let list = byLeader.get(leaderId);
      if (!list) byLeader.set(leaderId, (list = []));
      const requestBytes = requestBytesByLeader.get(leaderId) ?? 0;
      // keep each Produce request bounded; what does not fit goes with the next drain
      if (list.length > 0 && requestBytes + head.bytes > PRODUCE_REQUEST_BYTES_MAX) continue;
      const batch = this.accumulator.takeBatch(queue);
      if (!batch) continue;
      queue.inflight = true;
      requestBytesByLeader.set(leaderId, requestBytes + batch.bytes);
      list.push({ queue, batch });
    }
    for (const [leaderId, entries] of byLeader) void this.sendProduce(leaderId, entries);
    if (missingLeaders.size > 0) {
      for (const topic of missingLeaders) this.cluster.invalidateTopic(topic);
      this.cluster.refreshMetadata([...missingLeaders]).then(
        () => this.scheduleDrainAt(Date.now() + this.cluster.retry.retryBackoffMs),
        () => this.scheduleDrainAt(Date.now() + this.cluster.retry.retryBackoffMs),
      );
    }
    if (lingering) this.scheduleDrain(false);
    if (retryAtMs !== Infinity) this.scheduleDrainAt(retryAtMs);
  }

  private scheduleDrainAt(atMs: number): void {
    const delayMs = Math.max(0, atMs - Date.now());
    setTimeout(() => this.drain(), delayMs).unref?.();
  }

  private encodeBatch(queue: PartitionQueue, batch: ProducerBatch): Buffer {
    if (batch.encoded) return batch.encoded;
    const records = new Array<RecordSpec>(batch.records.length);
    for (let i = 0; i < records.length; i++) records[i] = batch.records[i].spec;
    let baseSequence = -1;
    if (this.idempotent) {
      baseSequence = queue.nextSequence;
      queue.nextSequence = (queue.nextSequence + records.length) % (SEQUENCE_MAX + 1);
    }
    batch.baseSequence = baseSequence;
    batch.encoded = encodeRecordBatch({
      records,
      compression: this.compression,
      producerId: this.idempotent ? this.producerId : -1n,
      producerEpoch: this.idempotent ? this.producerEpoch : -1,
      baseSequence,
      transactional: this.options.transactionalId !== undefined,
    });
    return batch.encoded;
  }

  private async sendProduce(leaderId: number, entries: { queue: PartitionQueue; batch: ProducerBatch }[]): Promise<void> {
    const byTopic = new Map<string, { index: number; records: Buffer }[]>();
    const encodeFailures: { queue: PartitionQueue; batch: ProducerBatch; error: Error }[] = [];
    let bytes = 0;
    const sendable: typeof entries = [];
    if (this.transactionState === 'in-transaction') {
      try {
        await this.addPartitionsToTransaction(entries.map((entry) => entry.queue));
      } catch (error) {
        for (const entry of entries) this.completeBatch(entry.queue, entry.batch, error as Error);
        return;
      }
    }
    for (const entry of entries) {
      let records: Buffer;
      try {
        records = this.encodeBatch(entry.queue, entry.batch);
      } catch (error) {
        encodeFailures.push({ ...entry, error: error as Error });
        continue;
      }
      bytes += records.length;
      sendable.push(entry);
      let list = byTopic.get(entry.queue.topic);
      if (!list) byTopic.set(entry.queue.topic, (list = []));
      list.push({ index: entry.queue.partition, records });
    }
    for (const failure of encodeFailures) this.completeBatch(failure.queue, failure.batch, failure.error);
    if (sendable.length === 0) return;
    const topicData = [...byTopic].map(([name, partitionData]) => ({ name, partitionData }));
    this.metricsCounters.requestsSent++;
    this.metricsCounters.bytesSent += bytes;
    try {
      const connection = await this.cluster.broker(leaderId);
      const response = await connection.send(
        Apis.Produce,
        () => ({
          transactionalId: this.options.transactionalId ?? null,
          acks: this.acks,
          timeoutMs: this.options.ackTimeoutMs ?? PRODUCER_DEFAULTS.ackTimeoutMs,
          topicData,
        }),
        { expectResponse: this.acks !== 0 },
      );
      if (this.acks === 0) {
        for (const entry of sendable) this.completeBatch(entry.queue, entry.batch, null, -1, -1);
        return;
      }
      const results = new Map<string, { errorCode: number; baseOffset: bigint; logAppendTimeMs: bigint; errorMessage: string | null }>();
      for (const topic of response.responses) {
        for (const partition of topic.partitionResponses) results.set(`${partition.index}\u0000${topic.name}`, partition);
      }
      const contextOf = (entry: (typeof sendable)[number]): RequestContext => ({
        apiName: 'Produce',
        apiKey: Apis.Produce.apiKey,
        apiVersion: connection.versionFor(Apis.Produce),
        broker: connection.address,
        topic: entry.queue.topic,
        partition: entry.queue.partition,
      });
      for (const entry of sendable) {
        const result = results.get(`${entry.queue.partition}\u0000${entry.queue.topic}`);
        if (!result) {
          this.completeBatch(entry.queue, entry.batch, new KafkaClientError(`no result for ${entry.queue.topic}-${entry.queue.partition} in the Produce response`, { request: contextOf(entry) }));
        } else if (result.errorCode === 0 || result.errorCode === DUPLICATE_SEQUENCE_NUMBER) {
          this.completeBatch(entry.queue, entry.batch, null, Number(result.baseOffset), Number(result.logAppendTimeMs));
        } else {
          this.completeBatch(entry.queue, entry.batch, new KafkaResponseError(result.errorCode, contextOf(entry), result.errorMessage));
        }
      }
    } catch (error) {
      for (const entry of sendable) this.completeBatch(entry.queue, entry.batch, error as Error);
    }
  }

  /** Resolves a batch's records, or retries it, or fails them. */
  private completeBatch(queue: PartitionQueue, batch: ProducerBatch, error: Error | null, baseOffset = -1, logAppendTimeMs = -1): void {
    queue.inflight = false;
    if (error === null) {
      const records = batch.records;
      for (let i = 0; i < records.length; i++) {
        const spec = records[i].spec;
        settleRecord(records[i], {
          topic: queue.topic,
          partition: queue.partition,
          offset: baseOffset < 0 ? -1 : baseOffset + i,
          timestamp: logAppendTimeMs >= 0 ? logAppendTimeMs : (spec.timestamp as number),
        });
      }
      this.metricsCounters.recordsSent += records.length;
      this.metricsCounters.batchesSent++;
      if (channels.produce.hasSubscribers) channels.produce.publish({ topic: queue.topic, partition: queue.partition, records: records.length, baseOffset });
      this.finishBatch(batch);
      return;
    }
    const failure = error instanceof KafkaClientError ? error : new KafkaClientError(error.message, { cause: error });
    batch.attempts++;
    batch.lastError = failure;
    const elapsedMs = Date.now() - batch.createdAtMs;
    const deliveryTimeoutMs = this.options.deliveryTimeoutMs ?? PRODUCER_DEFAULTS.deliveryTimeoutMs;
    if (failure.retriable && !this.closedHard && elapsedMs < deliveryTimeoutMs && batch.attempts <= this.cluster.retry.retries) {
      this.metricsCounters.retries++;
      channels.retry.publish({ error: failure, attempt: batch.attempts, topic: queue.topic, partition: queue.partition });
      this.cluster.invalidateTopic(queue.topic);
      queue.retryAtMs = Date.now() + backoffMs(batch.attempts - 1, this.cluster.retry);
      this.accumulator.requeue(queue, batch);
      this.cluster.refreshMetadata([queue.topic]).catch(() => {});
      this.scheduleDrainAt(queue.retryAtMs);
      return;
    }
    this.metricsCounters.errors++;
    if (this.idempotent && PRODUCER_STATE_ERRORS.has(failure.code)) this.resetProducerId();
    for (const record of batch.records) failRecord(record, failure);
    this.finishBatch(batch);
  }

  private closedHard = false;

  private finishBatch(batch: ProducerBatch): void {
    this.accumulator.release(batch);
    this.pendingRecords -= batch.records.length;
    if (this.pendingRecords === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
    if (!this.accumulator.isEmpty()) this.scheduleDrain(false);
  }

  private failEverything(error: Error): void {
    const failure = error instanceof KafkaClientError ? error : new KafkaClientError(error.message, { cause: error });
    for (const queue of [...this.accumulator.nonEmpty]) {
      if (queue.inflight) continue;
      for (const batch of queue.batches.splice(0)) {
        for (const record of batch.records) failRecord(record, failure);
        this.accumulator.release(batch);
        this.pendingRecords -= batch.records.length;
      }
      this.accumulator.nonEmpty.delete(queue);
    }
    if (this.pendingRecords === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  // --- idempotence ------------------------------------------------------------------------

  private ensureProducerId(): Promise<void> {
    if (this.producerId >= 0n) return Promise.resolve();
    this.initializing ??= this.initProducerId().finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  private async initProducerId(): Promise<void> {
    const transactionalId = this.options.transactionalId ?? null;
    await this.cluster.withRetries(async () => {
      const connection = transactionalId === null ? await this.cluster.anyBroker() : await this.cluster.coordinator(transactionalId, 1);
      const response = await connection.send(Apis.InitProducerId, () => ({
        ...Apis.InitProducerId.request.defaults(),
        transactionalId,
        transactionTimeoutMs: this.options.transactionTimeoutMs ?? PRODUCER_DEFAULTS.transactionTimeoutMs,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
      }));
      if (response.errorCode !== 0) {
        if (transactionalId !== null && (response.errorCode === 15 || response.errorCode === 16)) this.cluster.forgetCoordinator(transactionalId, 1);
        throw new KafkaResponseError(response.errorCode, { apiName: 'InitProducerId', apiKey: Apis.InitProducerId.apiKey, apiVersion: connection.versionFor(Apis.InitProducerId), broker: connection.address });
      }
      this.producerId = response.producerId;
      this.producerEpoch = response.producerEpoch;
      for (const queue of this.accumulator.queues.values()) queue.nextSequence = 0;
    });
  }

  private resetProducerId(): void {
    if (this.options.transactionalId !== undefined) {
      this.transactionState = 'fatal';
      return;
    }
    this.producerId = -1n;
    this.producerEpoch = -1;
  }

  /** The producer id and epoch in use (-1 before the first send when idempotent). */
  get producerIdentity(): { producerId: bigint; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  // --- transactions -----------------------------------------------------------------------

  /** Registers the transactional id with its coordinator (fencing older producers with the same id). */
  async initTransactions(): Promise<void> {
    const transactionalId = this.requireTransactionalId();
    await this.ensureProducerId();
    void transactionalId;
    this.transactionState = 'ready';
  }

  beginTransaction(): void {
    this.requireTransactionalId();
    if (this.transactionState !== 'ready') throw new KafkaConfigError(`beginTransaction in state ${this.transactionState} (call initTransactions first, and end the previous transaction)`);
    this.transactionState = 'in-transaction';
    this.partitionsInTransaction.clear();
  }

  async commitTransaction(): Promise<void> {
    this.expectInTransaction('commitTransaction');
    this.transactionState = 'committing';
    this.flushRequested++;
    try {
      await this.waitIdle();
    } finally {
      this.flushRequested--;
    }
    await this.endTransaction(true);
  }

  async abortTransaction(): Promise<void> {
    if (this.transactionState === 'ready') return;
    this.expectInTransaction('abortTransaction');
    this.transactionState = 'aborting';
    this.flushRequested++;
    try {
      await this.waitIdle();
    } finally {
      this.flushRequested--;
    }
    await this.endTransaction(false);
  }

  /** Commits consumer offsets as part of the transaction (consume-transform-produce). */
  async sendOffsets(
    offsets: readonly { topic: string; partition: number; offset: number }[],
    group: string | { groupId: string; generationId?: number; memberId?: string; groupInstanceId?: string | null },
  ): Promise<void> {
    const transactionalId = this.expectInTransaction('sendOffsets');
    const groupInfo = typeof group === 'string' ? { groupId: group } : group;
    await this.cluster.withRetries(async () => {
      const coordinator = await this.cluster.coordinator(transactionalId, 1);
      const response = await coordinator.send(Apis.AddOffsetsToTxn, () => ({
        ...Apis.AddOffsetsToTxn.request.defaults(),
        transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        groupId: groupInfo.groupId,
      }));
      this.checkCoordinatorError(response.errorCode, 'AddOffsetsToTxn', transactionalId, 1);
    });
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
    for (const entry of offsets) {
      let list = byTopic.get(entry.topic);
      if (!list) byTopic.set(entry.topic, (list = []));
      list.push({ partitionIndex: entry.partition, committedOffset: BigInt(entry.offset), committedLeaderEpoch: -1, committedMetadata: null });
    }
    await this.cluster.withRetries(async () => {
      const coordinator = await this.cluster.coordinator(groupInfo.groupId, 0);
      const response = await coordinator.send(Apis.TxnOffsetCommit, () => ({
        ...Apis.TxnOffsetCommit.request.defaults(),
        transactionalId,
        groupId: groupInfo.groupId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        generationId: groupInfo.generationId ?? -1,
        memberId: groupInfo.memberId ?? '',
        groupInstanceId: groupInfo.groupInstanceId ?? null,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      }));
      for (const topic of response.topics) {
        for (const partition of topic.partitions) this.checkCoordinatorError(partition.errorCode, 'TxnOffsetCommit', groupInfo.groupId, 0);
      }
    });
  }

  private async endTransaction(committed: boolean): Promise<void> {
    const transactionalId = this.requireTransactionalId();
    try {
      if (this.partitionsInTransaction.size > 0 || committed) {
        await this.cluster.withRetries(async () => {
          const coordinator = await this.cluster.coordinator(transactionalId, 1);
          const response = await coordinator.send(Apis.EndTxn, () => ({
            ...Apis.EndTxn.request.defaults(),
            transactionalId,
            producerId: this.producerId,
            producerEpoch: this.producerEpoch,
            committed,
          }));
          this.checkCoordinatorError(response.errorCode, 'EndTxn', transactionalId, 1);
        });
      }
      this.transactionState = 'ready';
    } catch (error) {
      this.transactionState = committed ? 'in-transaction' : 'fatal';
      throw error;
    } finally {
      this.partitionsInTransaction.clear();
    }
  }

  private async addPartitionsToTransaction(queues: PartitionQueue[]): Promise<void> {
    const transactionalId = this.requireTransactionalId();
    const missing = queues.filter((queue) => !this.partitionsInTransaction.has(`${queue.partition}\u0000${queue.topic}`));
    if (missing.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const queue of missing) {
      let list = byTopic.get(queue.topic);
      if (!list) byTopic.set(queue.topic, (list = []));
      list.push(queue.partition);
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    await this.cluster.withRetries(async () => {
      const coordinator = await this.cluster.coordinator(transactionalId, 1);
      const version = coordinator.versionFor(Apis.AddPartitionsToTxn);
      const response = await coordinator.send(Apis.AddPartitionsToTxn, (requestVersion) => ({
        ...Apis.AddPartitionsToTxn.request.defaults(),
        ...(requestVersion >= 4
          ? { transactions: [{ transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, verifyOnly: false, topics }] }
          : { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: this.producerId, v3AndBelowProducerEpoch: this.producerEpoch, v3AndBelowTopics: topics }),
      }));
      const results = version >= 4 ? (response.resultsByTransaction[0]?.topicResults ?? []) : response.resultsByTopicV3AndBelow;
      if (version >= 4 && response.errorCode !== 0) this.checkCoordinatorError(response.errorCode, 'AddPartitionsToTxn', transactionalId, 1);
      for (const topic of results) {
        for (const partition of topic.resultsByPartition) this.checkCoordinatorError(partition.partitionErrorCode, 'AddPartitionsToTxn', transactionalId, 1);
      }
    });
    for (const queue of missing) this.partitionsInTransaction.add(`${queue.partition}\u0000${queue.topic}`);
  }

  private checkCoordinatorError(errorCode: number, apiName: string, key: string, keyType: 0 | 1): void {
    if (errorCode === 0) return;
    if (errorCode === 15 || errorCode === 16 || errorCode === 14) this.cluster.forgetCoordinator(key, keyType);
    const api = (Apis as Record<string, { apiKey: number }>)[apiName];
    throw new KafkaResponseError(errorCode, { apiName, apiKey: api?.apiKey ?? -1, apiVersion: -1 });
  }

  private requireTransactionalId(): string {
    const transactionalId = this.options.transactionalId;
    if (transactionalId === undefined) throw new KafkaConfigError('transactions need a transactionalId');
    return transactionalId;
  }

  private expectInTransaction(operation: string): string {
    const transactionalId = this.requireTransactionalId();
    if (this.transactionState !== 'in-transaction') throw new KafkaConfigError(`${operation} outside a transaction (state ${this.transactionState})`);
    return transactionalId;
  }

  // --- lifecycle --------------------------------------------------------------------------

  private waitIdle(): Promise<void> {
    if (this.pendingRecords === 0) return Promise.resolve();
    this.scheduleDrain(true);
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends everything buffered now (ignoring lingerMs) and waits for the acknowledgements. */
  async flush(): Promise<void> {
    this.flushRequested++;
    try {
      await this.waitIdle();
    } finally {
      this.flushRequested--;
    }
  }

  /** Flushes, then closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.closedHard = true;
      if (this.drainTimer) clearTimeout(this.drainTimer);
      await this.cluster.close();
    }
  }
}

function normalizeHeaders(headers: RecordHeadersInput): { key: string; value: Buffer | string | null }[] {
  if (Array.isArray(headers)) return headers as { key: string; value: Buffer | string | null }[];
  return Object.entries(headers as Record<string, string | Buffer | null>).map(([key, value]) => ({ key, value }));
}
