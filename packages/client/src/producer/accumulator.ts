/**
 * The record accumulator: records wait here, grouped per partition into batches of at most
 * `batchBytes`, until the sender drains them. Memory is bounded by `bufferBytesMax`: an append
 * that would exceed it waits until sent batches release their bytes (backpressure on `send`).
 *
 * One batch per partition is in flight at a time, which keeps idempotent sequence numbers
 * trivially in order (a Produce request carries one batch per partition anyway, Kafka ≥ 0.11).
 */
import type { RecordSpec } from '@kafkaesque/protocol';
import type { KafkaClientError } from '../errors.ts';

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 when acks=0 (the broker does not say). */
  offset: number;
  /** Create time given or taken at send; log-append time when the topic uses it. */
  timestamp: number;
}

/** The records of one `sendBatch` call share one promise. */
export interface SendGroup {
  results: RecordMetadata[];
  remaining: number;
  settled: boolean;
  resolve(results: RecordMetadata[]): void;
  reject(error: Error): void;
}

export interface PendingRecord {
  spec: RecordSpec;
  bytes: number;
  /** Set for `send` (its own promise); `group` is set instead for `sendBatch`. */
  resolve: ((metadata: RecordMetadata) => void) | null;
  reject: ((error: Error) => void) | null;
  group: SendGroup | null;
  index: number;
}

export function settleRecord(record: PendingRecord, metadata: RecordMetadata): void {
  if (record.resolve) {
    record.resolve(metadata);
    return;
  }
  const group = record.group!;
  group.results[record.index] = metadata;
  if (--group.remaining === 0 && !group.settled) {
    group.settled = true;
    group.resolve(group.results);
  }
}

export function failRecord(record: PendingRecord, error: Error): void {
  if (record.reject) {
    record.reject(error);
    return;
  }
  const group = record.group!;
  if (!group.settled) {
    group.settled = true;
    group.reject(error);
  }
}

export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: PendingRecord[] = [];
  readonly createdAtMs: number;
  bytes = 0;
  closed = false;
  /** Encoded form, kept across retries so the sequence and CRC stay the same. */
  encoded: Buffer | null = null;
  baseSequence = -1;
  attempts = 0;
  lastError: KafkaClientError | null = null;

  constructor(topic: string, partition: number, nowMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.createdAtMs = nowMs;
  }
}

export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly batches: ProducerBatch[] = [];
  inflight = false;
  /** Next idempotent sequence number. */
  nextSequence = 0;
  /** Set after a retriable failure: not drained before this time (backoff). */
  retryAtMs = 0;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }
}

/** Per-record overhead of the v2 record format (length, attributes, deltas, lengths, headers). */
export const RECORD_OVERHEAD_BYTES = 21;
export const BATCH_OVERHEAD_BYTES = 61;

export function estimateRecordBytes(spec: RecordSpec): number {
  let bytes = RECORD_OVERHEAD_BYTES + lengthOf(spec.key) + lengthOf(spec.value);
  if (spec.headers) for (const header of spec.headers) bytes += header.key.length + lengthOf(header.value) + 2;
  return bytes;
}

function lengthOf(value: Uint8Array | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

export interface AccumulatorOptions {
  batchBytes: number;
  bufferBytesMax: number;
}

export class Accumulator {
  private readonly options: AccumulatorOptions;
  readonly queues = new Map<string, PartitionQueue>();
  /** Partitions whose queue is non-empty, in the order they became so. */
  readonly nonEmpty = new Set<PartitionQueue>();
  private bufferedBytes = 0;
  private readonly memoryWaiters: (() => void)[] = [];

  constructor(options: AccumulatorOptions) {
    this.options = options;
  }

  get bytesBuffered(): number {
    return this.bufferedBytes;
  }

  queue(topic: string, partition: number): PartitionQueue {
    const key = `${partition}\u0000${topic}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new PartitionQueue(topic, partition);
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** True when appending `bytes` now would exceed bufferBytesMax (the caller must wait). */
  isFull(bytes: number): boolean {
    // a single record larger than the whole buffer is still let through when nothing is buffered
    return this.bufferedBytes > 0 && this.bufferedBytes + bytes > this.options.bufferBytesMax;
  }

  /** Resolves once some memory is released. */
  waitForMemory(): Promise<void> {
    return new Promise((resolve) => this.memoryWaiters.push(resolve));
  }

  /**
   * Appends a record; returns true when this append closed a batch (it reached batchBytes), which
   * is the sticky partitioner's cue to move on and the sender's cue to drain.
   */
  append(topic: string, partition: number, record: PendingRecord, nowMs: number): boolean {
    const queue = this.queue(topic, partition);
    let batch = queue.batches.length > 0 ? queue.batches[queue.batches.length - 1] : null;
    let closedOne = false;
    if (batch === null || batch.closed || (batch.records.length > 0 && batch.bytes + record.bytes > this.options.batchBytes)) {
      if (batch && !batch.closed) {
        batch.closed = true;
        closedOne = true;
      }
      batch = new ProducerBatch(topic, partition, nowMs);
      batch.bytes = BATCH_OVERHEAD_BYTES;
      queue.batches.push(batch);
    }
    batch.records.push(record);
    batch.bytes += record.bytes;
    this.bufferedBytes += record.bytes;
    if (batch.bytes >= this.options.batchBytes) {
      batch.closed = true;
      closedOne = true;
    }
    this.nonEmpty.add(queue);
    return closedOne;
  }

  /** Takes the next batch of `queue` for sending (closing it), or null if none. */
  takeBatch(queue: PartitionQueue): ProducerBatch | null {
    const batch = queue.batches.shift() ?? null;
    if (batch) batch.closed = true;
    if (queue.batches.length === 0) this.nonEmpty.delete(queue);
    return batch;
  }

  /** Puts a batch back at the head of its queue for a retry. */
  requeue(queue: PartitionQueue, batch: ProducerBatch): void {
    queue.batches.unshift(batch);
    this.nonEmpty.add(queue);
  }

  /** Releases the memory of a batch that completed (sent or failed for good). */
  release(batch: ProducerBatch): void {
    let bytes = 0;
    for (const record of batch.records) bytes += record.bytes;
    this.bufferedBytes -= bytes;
    const waiters = this.memoryWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  /** Does any queue hold a batch that is ready now (closed, or lingered long enough)? */
  isEmpty(): boolean {
    return this.nonEmpty.size === 0;
  }

  /** Fails every buffered record (on close without flush, or a fatal producer error). */
  failAll(error: Error): void {
    for (const queue of this.nonEmpty) {
      for (const batch of queue.batches.splice(0)) {
        for (const record of batch.records) failRecord(record, error);
        this.release(batch);
      }
    }
    this.nonEmpty.clear();
  }
}
