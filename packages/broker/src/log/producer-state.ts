/**
 * Producer state for idempotence and transactions, as Kafka's ProducerStateManager keeps it:
 * per producer id the epoch, the metadata of its last 5 batches (to answer retries with the
 * original offsets), the coordinator epoch of its last marker and the first offset of its open
 * transaction. Open transactions give the first unstable offset (LSO).
 *
 * Snapshots (`<offset>.snapshot`) use Kafka's layout, version 1:
 *   version int16 | crc uint32 (CRC32C of the bytes after it) | count int32 | count × entry
 *   entry: producerId int64 | epoch int16 | lastSequence int32 | lastOffset int64 |
 *          offsetDelta int32 | timestamp int64 | coordinatorEpoch int32 | currentTxnFirstOffset int64
 * Only the last batch of each producer is kept in a snapshot (as in Kafka), so after a restart
 * the duplicate window is one batch deep until new batches arrive.
 */
import { crc32c } from '@kafkaesque/protocol';
import type { ProducerStateEntry } from './api.ts';
import { LogErrorCode } from './errors.ts';
import type { BatchSummary } from './segment.ts';
import { isControl, isTransactional } from './segment.ts';

/** Kafka keeps the last 5 batches per producer (max.in.flight.requests with idempotence). */
export const PRODUCER_BATCHES_MAX = 5;
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_FILE_SUFFIX = '.snapshot';
const SNAPSHOT_HEADER_BYTES = 2 + 4 + 4;
const SNAPSHOT_ENTRY_BYTES = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
const INT32_MAX = 2 ** 31 - 1;

export interface BatchMetadata {
  firstSequence: number;
  lastSequence: number;
  firstOffset: number;
  lastOffset: number;
  timestamp: number;
}

export interface ProducerEntry {
  producerId: bigint;
  producerEpoch: number;
  batches: BatchMetadata[];
  coordinatorEpoch: number;
  currentTxnFirstOffset: number;
  lastTimestamp: number;
}

/** A transaction marker read from a control batch. */
export interface TxnMarker {
  commit: boolean;
  coordinatorEpoch: number;
}

export interface CompletedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  aborted: boolean;
}

export type ProducerCheck =
  | { kind: 'ok' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number }
  | { kind: 'error'; errorCode: number; message: string };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at Int32.MAX. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

function inSequence(lastSequence: number, nextSequence: number): boolean {
  return nextSequence === lastSequence + 1 || (nextSequence === 0 && lastSequence === INT32_MAX);
}

function lastSequenceOf(batch: BatchSummary): number {
  return incrementSequence(batch.baseSequence, batch.lastOffset - batch.baseOffset);
}

function cloneEntry(entry: ProducerEntry): ProducerEntry {
  return { ...entry, batches: entry.batches.map((batch) => ({ ...batch })) };
}

function emptyEntry(producerId: bigint): ProducerEntry {
  return { producerId, producerEpoch: -1, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastTimestamp: -1 };
}

export class ProducerStateManager {
  #producers = new Map<bigint, ProducerEntry>();
  /** Open transactions by first offset (few at a time: the minimum is found by a scan). */
  #ongoing = new Map<number, bigint>();
  /** Offsets below this are reflected in the state. */
  mapEndOffset = 0;

  get size(): number {
    return this.#producers.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.#producers.get(producerId);
  }

  entries(): ProducerEntry[] {
    return [...this.#producers.values()];
  }

  describe(entry: ProducerEntry): ProducerStateEntry {
    const last = entry.batches[entry.batches.length - 1];
    return {
      producerId: entry.producerId,
      producerEpoch: entry.producerEpoch,
      lastSequence: last ? last.lastSequence : -1,
      lastTimestamp: entry.lastTimestamp,
      coordinatorEpoch: entry.coordinatorEpoch,
      currentTxnStartOffset: entry.currentTxnFirstOffset,
    };
  }

  get firstUnstableOffset(): number | undefined {
    let first: number | undefined;
    for (const firstOffset of this.#ongoing.keys()) if (first === undefined || firstOffset < first) first = firstOffset;
    return first;
  }

  /** Begins validating the batches of one append; nothing changes until `commit`. */
  begin(): ProducerAppend {
    return new ProducerAppend(this);
  }

  /** Applies an already-validated or replicated/recovered batch directly. */
  apply(batch: BatchSummary, marker: TxnMarker | undefined): CompletedTxn | undefined {
    const append = this.begin();
    const completed = append.apply(batch, marker);
    append.commit();
    return completed;
  }

  /** @internal used by ProducerAppend.commit */
  put(entry: ProducerEntry): void {
    const previous = this.#producers.get(entry.producerId);
    if (previous && previous.currentTxnFirstOffset >= 0 && previous.currentTxnFirstOffset !== entry.currentTxnFirstOffset) {
      this.#ongoing.delete(previous.currentTxnFirstOffset);
    }
    if (entry.currentTxnFirstOffset >= 0) this.#ongoing.set(entry.currentTxnFirstOffset, entry.producerId);
    this.#producers.set(entry.producerId, entry);
  }

  clear(): void {
    this.#producers.clear();
    this.#ongoing.clear();
    this.mapEndOffset = 0;
  }

  /** Drops producers whose only batches lie below `logStartOffset` (Kafka does after retention). */
  removeBefore(logStartOffset: number): void {
    for (const [producerId, entry] of this.#producers) {
      const last = entry.batches[entry.batches.length - 1];
      if (last && last.lastOffset < logStartOffset && entry.currentTxnFirstOffset < 0) this.#producers.delete(producerId);
    }
  }

  /** Drops producers idle for longer than `expirationMs` (producer.id.expiration.ms). */
  expire(nowMs: number, expirationMs: number): void {
    for (const [producerId, entry] of this.#producers) {
      if (entry.currentTxnFirstOffset < 0 && nowMs - entry.lastTimestamp >= expirationMs) this.#producers.delete(producerId);
    }
  }

  // -------------------------------------------------------------------------------------------
  // snapshots

  encodeSnapshot(): Buffer {
    const entries = [...this.#producers.values()];
    const bytes = Buffer.alloc(SNAPSHOT_HEADER_BYTES + entries.length * SNAPSHOT_ENTRY_BYTES);
    bytes.writeInt16BE(SNAPSHOT_VERSION, 0);
    bytes.writeInt32BE(entries.length, 6);
    let at = SNAPSHOT_HEADER_BYTES;
    for (const entry of entries) {
      const last = entry.batches[entry.batches.length - 1];
      bytes.writeBigInt64BE(entry.producerId, at);
      bytes.writeInt16BE(entry.producerEpoch, at + 8);
      bytes.writeInt32BE(last ? last.lastSequence : -1, at + 10);
      bytes.writeBigInt64BE(BigInt(last ? last.lastOffset : -1), at + 14);
      bytes.writeInt32BE(last ? last.lastOffset - last.firstOffset : 0, at + 22);
      bytes.writeBigInt64BE(BigInt(entry.lastTimestamp), at + 26);
      bytes.writeInt32BE(entry.coordinatorEpoch, at + 34);
      bytes.writeBigInt64BE(BigInt(entry.currentTxnFirstOffset), at + 38);
      at += SNAPSHOT_ENTRY_BYTES;
    }
    bytes.writeUInt32BE(crc32c(bytes, 6, bytes.length), 2);
    return bytes;
  }

  /** Replaces the state with a snapshot's; throws on a bad version, size or CRC. */
  loadSnapshot(bytes: Buffer, offset: number): void {
    if (bytes.length < SNAPSHOT_HEADER_BYTES) throw new Error(`producer snapshot of ${bytes.length} bytes is truncated`);
    const version = bytes.readInt16BE(0);
    if (version !== SNAPSHOT_VERSION) throw new Error(`producer snapshot version ${version} is not ${SNAPSHOT_VERSION}`);
    if (bytes.readUInt32BE(2) !== crc32c(bytes, 6, bytes.length)) throw new Error('producer snapshot CRC mismatch');
    const count = bytes.readInt32BE(6);
    if (count < 0 || SNAPSHOT_HEADER_BYTES + count * SNAPSHOT_ENTRY_BYTES !== bytes.length) {
      throw new Error(`producer snapshot count ${count} does not match its ${bytes.length} bytes`);
    }
    this.clear();
    let at = SNAPSHOT_HEADER_BYTES;
    for (let index = 0; index < count; index++, at += SNAPSHOT_ENTRY_BYTES) {
      const lastSequence = bytes.readInt32BE(at + 10);
      const lastOffset = Number(bytes.readBigInt64BE(at + 14));
      const offsetDelta = bytes.readInt32BE(at + 22);
      const timestamp = Number(bytes.readBigInt64BE(at + 26));
      const entry: ProducerEntry = {
        producerId: bytes.readBigInt64BE(at),
        producerEpoch: bytes.readInt16BE(at + 8),
        batches: [],
        coordinatorEpoch: bytes.readInt32BE(at + 34),
        currentTxnFirstOffset: Number(bytes.readBigInt64BE(at + 38)),
        lastTimestamp: timestamp,
      };
      if (lastOffset >= 0 && lastSequence >= 0) {
        entry.batches.push({
          firstSequence: decrementSequence(lastSequence, offsetDelta),
          lastSequence,
          firstOffset: lastOffset - offsetDelta,
          lastOffset,
          timestamp,
        });
      }
      this.put(entry);
    }
    this.mapEndOffset = offset;
  }
}

/**
 * The producer-state changes of one append, validated batch by batch against the state plus
 * the earlier batches of the same append, applied by `commit()` once the write succeeded.
 */
export class ProducerAppend {
  readonly #manager: ProducerStateManager;
  readonly #updated = new Map<bigint, ProducerEntry>();

  constructor(manager: ProducerStateManager) {
    this.#manager = manager;
  }

  #current(producerId: bigint): ProducerEntry | undefined {
    return this.#updated.get(producerId) ?? this.#manager.entry(producerId);
  }

  /** Idempotent retry? Only for client appends, only same epoch, only exact sequence ranges. */
  findDuplicate(batch: BatchSummary): { firstOffset: number; lastOffset: number; timestamp: number } | undefined {
    if (batch.producerId < 0n) return undefined;
    const entry = this.#current(batch.producerId);
    if (!entry || entry.producerEpoch !== batch.producerEpoch) return undefined;
    const lastSequence = lastSequenceOf(batch);
    const match = entry.batches.find((meta) => meta.firstSequence === batch.baseSequence && meta.lastSequence === lastSequence);
    return match ? { firstOffset: match.firstOffset, lastOffset: match.lastOffset, timestamp: match.timestamp } : undefined;
  }

  /**
   * Validates a client's data batch (before offsets are assigned): epoch, sequence, transaction
   * state — Kafka 3.x's ProducerAppendInfo rules. An unknown producer may start at any sequence
   * (its state may have been removed by retention), so UNKNOWN_PRODUCER_ID is not returned.
   */
  check(batch: BatchSummary, transactional: boolean): ProducerCheck {
    if (batch.producerId < 0n) return { kind: 'ok' };
    const entry = this.#current(batch.producerId);
    const currentEpoch = entry ? entry.producerEpoch : -1;
    if (batch.producerEpoch < currentEpoch) {
      return { kind: 'error', errorCode: LogErrorCode.INVALID_PRODUCER_EPOCH, message: `epoch ${batch.producerEpoch} of producer ${batch.producerId} is older than ${currentEpoch}` };
    }
    if (batch.baseSequence < 0) {
      return { kind: 'error', errorCode: LogErrorCode.INVALID_RECORD, message: `producer ${batch.producerId} sent sequence ${batch.baseSequence}` };
    }
    if (batch.producerEpoch !== currentEpoch) {
      if (batch.baseSequence !== 0 && currentEpoch !== -1) {
        return { kind: 'error', errorCode: LogErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `producer ${batch.producerId} started epoch ${batch.producerEpoch} at sequence ${batch.baseSequence}, expected 0` };
      }
    } else {
      const last = entry?.batches[entry.batches.length - 1];
      const lastSequence = last ? last.lastSequence : -1;
      if (last && !inSequence(lastSequence, batch.baseSequence)) {
        return { kind: 'error', errorCode: LogErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `producer ${batch.producerId} sent sequence ${batch.baseSequence} after ${lastSequence}` };
      }
    }
    if (!transactional && entry && entry.currentTxnFirstOffset >= 0) {
      return { kind: 'error', errorCode: LogErrorCode.INVALID_TXN_STATE, message: `producer ${batch.producerId} wrote a non-transactional batch inside a transaction` };
    }
    return { kind: 'ok' };
  }

  /** Validates a marker from the transaction coordinator. */
  checkMarker(batch: BatchSummary, marker: TxnMarker): ProducerCheck {
    const entry = this.#current(batch.producerId);
    if (entry && batch.producerEpoch < entry.producerEpoch) {
      return { kind: 'error', errorCode: LogErrorCode.INVALID_PRODUCER_EPOCH, message: `marker epoch ${batch.producerEpoch} is older than ${entry.producerEpoch}` };
    }
    if (entry && entry.coordinatorEpoch > marker.coordinatorEpoch) {
      return { kind: 'error', errorCode: LogErrorCode.TRANSACTION_COORDINATOR_FENCED, message: `coordinator epoch ${marker.coordinatorEpoch} is older than ${entry.coordinatorEpoch}` };
    }
    return { kind: 'ok' };
  }

  /** Records a batch (offsets assigned) in this append's view of the state. */
  apply(batch: BatchSummary, marker: TxnMarker | undefined): CompletedTxn | undefined {
    if (batch.producerId < 0n) return undefined;
    const current = this.#current(batch.producerId);
    const entry = current ? (this.#updated.has(batch.producerId) ? current : cloneEntry(current)) : emptyEntry(batch.producerId);
    this.#updated.set(batch.producerId, entry);
    if (batch.producerEpoch !== entry.producerEpoch) {
      if (batch.producerEpoch > entry.producerEpoch) entry.batches = [];
      entry.producerEpoch = batch.producerEpoch;
    }
    entry.lastTimestamp = batch.maxTimestamp;
    if (isControl(batch)) {
      const firstOffset = entry.currentTxnFirstOffset >= 0 ? entry.currentTxnFirstOffset : batch.baseOffset;
      entry.currentTxnFirstOffset = -1;
      if (marker) entry.coordinatorEpoch = marker.coordinatorEpoch;
      return { producerId: batch.producerId, firstOffset, lastOffset: batch.lastOffset, aborted: marker ? !marker.commit : false };
    }
    if (batch.baseSequence >= 0) {
      entry.batches.push({
        firstSequence: batch.baseSequence,
        lastSequence: lastSequenceOf(batch),
        firstOffset: batch.baseOffset,
        lastOffset: batch.lastOffset,
        timestamp: batch.maxTimestamp,
      });
      if (entry.batches.length > PRODUCER_BATCHES_MAX) entry.batches.shift();
    }
    if (isTransactional(batch) && entry.currentTxnFirstOffset < 0) entry.currentTxnFirstOffset = batch.baseOffset;
    return undefined;
  }

  commit(): void {
    for (const entry of this.#updated.values()) this.#manager.put(entry);
    this.#updated.clear();
  }
}
