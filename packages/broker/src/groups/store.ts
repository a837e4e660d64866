/**
 * Where the coordinator's records go: one partition of __consumer_offsets that this broker
 * leads. `createLogStore` writes through the partition log (so the records are replicated like
 * any topic's); `MemoryOffsetsStore` is the same contract in memory for unit tests.
 */
import { ControlRecordType, decodeControlRecordKey, decodeRecordBatches, encodeRecordBatch } from '@kafkaesque/protocol';
import type { AppendOrigin, AppendResult, PartitionLog } from '../log/api.ts';
import { GroupCoordinatorError, GroupError } from './error-codes.ts';
import type { RawRecord } from './records.ts';

/** A transactional append (TxnOffsetCommit): the batch carries the producer's id and epoch. */
export interface TransactionalAppend {
  producerId: bigint;
  producerEpoch: number;
}

/** One batch as loaded: its records, and for transactions the producer and the marker type. */
export interface LoadedBatch {
  records: readonly RawRecord[];
  /** Producer id of a transactional batch or marker, else -1n. */
  producerId: bigint;
  transactional: boolean;
  /** 'commit' / 'abort' for a transaction marker (control batch), else null. */
  marker: 'commit' | 'abort' | null;
}

export interface OffsetsPartitionStore {
  /** The partition of __consumer_offsets. */
  readonly partition: number;
  /** Leader epoch of this broker's leadership; a new epoch means a new store (reload). */
  readonly leaderEpoch: number;
  /**
   * Appends the records as one batch (atomically, in call order) and resolves once they are
   * committed (replicated per the topic's settings). Rejects with a GroupCoordinatorError whose
   * code is the error to answer with (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, …).
   */
  append(records: readonly RawRecord[], transaction?: TransactionalAppend): Promise<void>;
  /** Every batch from the log start to the end, oldest first, in chunks. */
  load(): AsyncIterable<readonly LoadedBatch[]>;
}

/** Kafka's mapping of append errors on the coordinator's topic to what the client sees. */
export function coordinatorAppendError(code: number, message: string): GroupCoordinatorError {
  switch (code) {
    case 3: // UNKNOWN_TOPIC_OR_PARTITION
    case 19: // NOT_ENOUGH_REPLICAS
    case 20: // NOT_ENOUGH_REPLICAS_AFTER_APPEND
    case 7: // REQUEST_TIMED_OUT
      return new GroupCoordinatorError(GroupError.COORDINATOR_NOT_AVAILABLE, message);
    case 6: // NOT_LEADER_OR_FOLLOWER
    case 56: // KAFKA_STORAGE_ERROR
      return new GroupCoordinatorError(GroupError.NOT_COORDINATOR, message);
    default:
      return new GroupCoordinatorError(GroupError.UNKNOWN_SERVER_ERROR, message);
  }
}

export interface LogStoreOptions {
  partition: number;
  log: PartitionLog;
  leaderEpoch: number;
  /**
   * Resolves once every offset below `endOffset` is committed (high watermark reached); the
   * replication layer provides it. Without it (a single replica) the store advances the high
   * watermark itself.
   */
  awaitCommitted?: (endOffset: number) => Promise<void>;
  /** Bytes read per chunk while loading (bounds memory during a load). */
  loadChunkBytes?: number;
  nowMs?: () => number;
  /**
   * How the batch is appended; default `log.appendAsLeader(origin 'internal')`. The broker passes
   * its replica manager's append so the write is ordered and replicated like any other.
   */
  appendBatch?: (batch: Buffer, origin: AppendOrigin) => Promise<AppendResult>;
}

const LOAD_CHUNK_BYTES_DEFAULT = 1024 * 1024;

export function createLogStore(options: LogStoreOptions): OffsetsPartitionStore {
  const { log, leaderEpoch } = options;
  const loadChunkBytes = options.loadChunkBytes ?? LOAD_CHUNK_BYTES_DEFAULT;
  const nowMs = options.nowMs ?? Date.now;
  let tail: Promise<unknown> = Promise.resolve();

  async function appendNow(records: readonly RawRecord[], transaction: TransactionalAppend | undefined): Promise<void> {
    const batch = encodeRecordBatch({
      partitionLeaderEpoch: leaderEpoch,
      baseTimestamp: nowMs(),
      records: records.map((record) => ({ key: record.key, value: record.value })),
      ...(transaction ? { transactional: true, producerId: transaction.producerId, producerEpoch: transaction.producerEpoch } : {}),
    });
    // Our own records skip the producer checks a client's Produce gets (Kafka's coordinator origin).
    const origin: AppendOrigin = 'internal';
    let result: AppendResult;
    try {
      result = options.appendBatch ? await options.appendBatch(batch, origin) : await log.appendAsLeader(batch, { leaderEpoch, origin });
    } catch (error) {
      const code = (error as { code?: number }).code ?? -1;
      throw coordinatorAppendError(code, `append to __consumer_offsets-${options.partition} failed: ${(error as Error).message}`);
    }
    if (!result.ok) throw coordinatorAppendError(result.errorCode, result.errorMessage);
    const endOffset = result.lastOffset + 1;
    if (options.awaitCommitted) await options.awaitCommitted(endOffset);
    else if (log.highWatermark < endOffset) log.setHighWatermark(endOffset);
  }

  return {
    partition: options.partition,
    leaderEpoch,
    append(records, transaction) {
      const done = tail.then(() => appendNow(records, transaction));
      tail = done.catch(() => undefined);
      return done;
    },
    async *load() {
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const read = await log.read(offset, loadChunkBytes, { minOneBatch: true });
        if (read.records.length === 0) break;
        const decoded = decodeRecordBatches(read.records);
        const chunk: LoadedBatch[] = [];
        let nextOffset = offset;
        for (const batch of decoded.batches) {
          nextOffset = Math.max(nextOffset, batch.baseOffset + batch.lastOffsetDelta + 1);
          if (batch.baseOffset + batch.lastOffsetDelta < offset) continue;
          const loaded: LoadedBatch = { records: [], producerId: batch.producerId, transactional: batch.isTransactional, marker: null };
          if (batch.isControl) {
            const type = batch.records.length > 0 ? decodeControlRecordKey(batch.records[0].key).type : -1;
            loaded.marker = type === ControlRecordType.commit ? 'commit' : type === ControlRecordType.abort ? 'abort' : null;
          } else {
            loaded.records = batch.records.filter((record) => record.key !== null).map((record) => ({ key: record.key!, value: record.value }));
          }
          chunk.push(loaded);
        }
        if (nextOffset <= offset) break;
        offset = nextOffset;
        yield chunk;
      }
    },
  };
}

/** In-memory store with fault injection, for unit tests. */
export class MemoryOffsetsStore implements OffsetsPartitionStore {
  readonly partition: number;
  readonly leaderEpoch: number;
  /** Every record appended, in order (transactional ones included). */
  readonly records: RawRecord[] = [];
  readonly batches: LoadedBatch[] = [];
  /** When set, the next appends fail with this error code. */
  failWith: number | null = null;
  /** When set, appends wait for this promise (tests interleave events with a write in flight). */
  gate: Promise<void> | null = null;

  constructor(partition: number, leaderEpoch = 0, batches: LoadedBatch[] = []) {
    this.partition = partition;
    this.leaderEpoch = leaderEpoch;
    for (const batch of batches) this.#push(batch);
  }

  #push(batch: LoadedBatch): void {
    this.batches.push(batch);
    this.records.push(...batch.records);
  }

  async append(records: readonly RawRecord[], transaction?: TransactionalAppend): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failWith !== null) throw new GroupCoordinatorError(this.failWith, 'injected append failure');
    this.#push({ records: [...records], producerId: transaction?.producerId ?? -1n, transactional: transaction !== undefined, marker: null });
  }

  /** What the transaction coordinator's WriteTxnMarkers would append. */
  appendMarker(producerId: bigint, marker: 'commit' | 'abort'): void {
    this.#push({ records: [], producerId, transactional: true, marker });
  }

  async *load(): AsyncIterable<readonly LoadedBatch[]> {
    yield [...this.batches];
  }
}
