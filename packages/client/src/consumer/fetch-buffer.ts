/**
 * Fetched record data waiting to be consumed. A Fetch response's records stay as the raw bytes
 * the broker sent; batches are decoded only when the consumer reaches them (lazy decoding), and
 * a chunk whose partition was seeked, paused or revoked since the fetch is dropped unread.
 *
 * read_committed: records of aborted transactions are skipped using the response's aborted
 * transaction list (producer id + first offset), as Kafka's consumers do; control batches
 * (commit/abort markers) are never shown to the user.
 */
import { KafkaClientError } from '../errors.ts';
import {
  decodeControlRecordKey,
  decodeRecords,
  iterateBatchHeaders,
  isControlBatch,
  isTransactionalBatch,
  isBatchCrcValid,
  type DecodedRecord,
  type RecordBatchHeader,
} from '@kafkaesque/protocol';

export interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to hand to the user; null until resolved (committed offset or reset policy). */
  position: number | null;
  /** Next offset to fetch: ahead of `position` while fetched data waits to be consumed. */
  fetchPosition: number | null;
  /** Next offset after the last record handed to (and processed by) the user. */
  consumed: number | null;
  paused: boolean;
  /** Bumped on seek/reset/revoke: chunks fetched under an older epoch are dropped. */
  epoch: number;
  fetching: boolean;
  /** Bytes fetched but not yet consumed for this partition. */
  bufferedBytes: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Where to go when the position is unknown or out of range. */
  resetTo: 'earliest' | 'latest' | 'none' | null;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: number;
}

export class FetchedChunk {
  readonly state: PartitionState;
  readonly epoch: number;
  readonly bytes: Buffer;
  readonly byteLength: number;
  private readonly headers: Iterator<RecordBatchHeader, unknown>;
  private records: DecodedRecord[] = [];
  private recordIndex = 0;
  private readonly aborted: AbortedTransaction[];
  private readonly abortedProducers = new Set<bigint>();
  private readonly readCommitted: boolean;
  private readonly checkCrcs: boolean;
  private currentHeader: RecordBatchHeader | null = null;
  done = false;

  constructor(state: PartitionState, bytes: Buffer, aborted: AbortedTransaction[] | null, readCommitted: boolean, checkCrcs = true) {
    this.checkCrcs = checkCrcs;
    this.state = state;
    this.epoch = state.epoch;
    this.bytes = bytes;
    this.byteLength = bytes.length;
    this.headers = iterateBatchHeaders(bytes, 0, bytes.length);
    this.aborted = aborted ? [...aborted].sort((a, b) => a.firstOffset - b.firstOffset) : [];
    this.readCommitted = readCommitted;
  }

  get isStale(): boolean {
    return this.epoch !== this.state.epoch;
  }

  /** The next record at or after the partition's position, or null when the chunk is used up. */
  next(): DecodedRecord | null {
    for (;;) {
      while (this.recordIndex < this.records.length) {
        const record = this.records[this.recordIndex++];
        if (record.offset >= (this.state.position ?? 0)) return record;
      }
      if (!this.nextBatch()) {
        this.done = true;
        return null;
      }
    }
  }

  /** The offset after the last batch read (lets the position skip control and aborted batches). */
  get lastBatchEndOffset(): number {
    return this.currentHeader ? this.currentHeader.baseOffset + this.currentHeader.lastOffsetDelta + 1 : -1;
  }

  private nextBatch(): boolean {
    for (;;) {
      const step = this.headers.next();
      if (step.done) return false;
      const header = step.value;
      this.currentHeader = header;
      if (this.checkCrcs && !isBatchCrcValid(this.bytes, header)) {
        throw new KafkaClientError(`record batch at offset ${header.baseOffset} of ${this.state.topic}-${this.state.partition} fails its CRC check`, {
          code: 2,
          errorName: 'CORRUPT_MESSAGE',
          retriable: false,
          request: { apiName: 'Fetch', apiKey: 1, apiVersion: -1, topic: this.state.topic, partition: this.state.partition },
        });
      }
      const lastOffset = header.baseOffset + header.lastOffsetDelta;
      if (lastOffset < (this.state.position ?? 0)) continue;
      if (this.readCommitted && isTransactionalBatch(header.attributes)) {
        while (this.aborted.length > 0 && this.aborted[0].firstOffset <= lastOffset) {
          this.abortedProducers.add(this.aborted.shift()!.producerId);
        }
        if (isControlBatch(header.attributes)) {
          const records = decodeRecords(this.bytes, header);
          const type = records.length > 0 ? decodeControlRecordKey(records[0].key).type : -1;
          if (type === 0) this.abortedProducers.delete(header.producerId);
          this.skipTo(lastOffset + 1);
          continue;
        }
        if (this.abortedProducers.has(header.producerId)) {
          this.skipTo(lastOffset + 1);
          continue;
        }
      }
      if (isControlBatch(header.attributes)) {
        this.skipTo(lastOffset + 1);
        continue;
      }
      try {
        this.records = decodeRecords(this.bytes, header);
      } catch (error) {
        throw new KafkaClientError(`cannot decode the record batch at offset ${header.baseOffset} of ${this.state.topic}-${this.state.partition}: ${(error as Error).message}`, {
          code: 2,
          errorName: 'CORRUPT_MESSAGE',
          retriable: false,
          cause: error,
          request: { apiName: 'Fetch', apiKey: 1, apiVersion: -1, topic: this.state.topic, partition: this.state.partition },
        });
      }
      this.recordIndex = 0;
      return true;
    }
  }

  private skipTo(offset: number): void {
    if ((this.state.position ?? 0) < offset) this.state.position = offset;
  }
}
