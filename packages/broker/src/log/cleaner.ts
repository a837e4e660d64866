/**
 * Log compaction (cleanup.policy=compact / compact,delete), after Kafka's LogCleaner:
 *
 * 1. The cleanable range ends at the first "uncleanable" offset: the active segment, the last
 *    stable offset (open transactions and the high watermark), and segments younger than
 *    min.compaction.lag.ms. It starts at the cleaner checkpoint (the "dirty" section).
 * 2. An offset map (key → latest offset) is built over the dirty section, bounded in keys.
 * 3. Every segment below the end is rewritten, in groups that fit segment.bytes: a record is kept
 *    when no later record has its key (records without a key go, as in Kafka); records of
 *    aborted transactions are dropped. Offsets never change: batches keep their base offset,
 *    lastOffsetDelta, producer fields and compression.
 * 4. Tombstones and transaction markers follow KIP-534 (Kafka ≥ 3.1): the first pass that keeps
 *    a batch holding a tombstone — or a marker whose transaction has no batch left in the pass —
 *    rewrites it with a delete horizon (attribute bit 0x40, base timestamp = now +
 *    delete.retention.ms; record timestamps unchanged); a later pass after the horizon drops the
 *    tombstones / the marker. A marker stays while a batch of its transaction is still met.
 * 5. A batch left without records is dropped, except (as Kafka's BatchRetention.RETAIN_EMPTY)
 *    the last data batch of an active producer (its sequence and epoch rebuild producer state; a
 *    marker when the producer's last entry is one) and the last batch of the pass (it keeps the
 *    end offset): those stay as an empty batch (header only, uncompressed, same offsets).
 * 6. The group's result is written as `<base>.log.cleaned`, renamed to `.swap`, the old
 *    segments to `.deleted`, and the swap to `.log` — recovery completes an interrupted swap.
 */
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_DELETE_HORIZON,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  decodeRecords,
  encodeRecordBatch,
  readBatchHeader,
  type CompressionType,
  type RecordBatchHeader,
} from '@kafkaesque/protocol';
import type { PartitionLogImpl } from './partition-log.ts';
import type { TxnMarker } from './producer-state.ts';
import { readTxnMarker } from './validate.ts';
import { isControl, isTransactional, type AbortedTxnEntry, type BatchSummary, type LogSegment } from './segment.ts';

/** Bound on distinct keys per cleaning pass (Kafka bounds its offset map by bytes). */
export const OFFSET_MAP_KEYS_MAX = 1_000_000;
/** Reads during cleaning are at most this large (whole batches; a larger batch is read alone). */
const CLEAN_READ_CHUNK_BYTES = 1024 * 1024;
const INT32_MAX = 2 ** 31 - 1;

export interface CleanOptions {
  /** Clean even below min.cleanable.dirty.ratio (tests, forced compaction). */
  force?: boolean;
}

export interface CleanResult {
  cleanedSegments: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
  /** First offset not cleaned (the new cleaner checkpoint). */
  cleanedUpTo: number;
}

interface BatchWithBytes {
  summary: BatchSummary;
  header: RecordBatchHeader;
  bytes: Buffer;
}

/** Calls `visit` with every batch of `segment` and its bytes, reading in bounded chunks. */
async function forEachBatch(segment: LogSegment, visit: (batch: BatchWithBytes) => void | Promise<void>): Promise<void> {
  const summaries: BatchSummary[] = [];
  await segment.scanBatches(0, (batch) => {
    summaries.push(batch);
    return true;
  });
  let index = 0;
  while (index < summaries.length) {
    const start = summaries[index].position;
    let end = index;
    while (end + 1 < summaries.length && summaries[end + 1].position + summaries[end + 1].sizeBytes - start <= CLEAN_READ_CHUNK_BYTES) end++;
    const chunkEnd = summaries[end].position + summaries[end].sizeBytes;
    const chunk = await segment.readBytes(start, chunkEnd - start);
    for (let at = index; at <= end; at++) {
      const summary = summaries[at];
      const bytes = chunk.subarray(summary.position - start, summary.position - start + summary.sizeBytes);
      await visit({ summary, header: readBatchHeader(bytes, 0), bytes });
    }
    index = end + 1;
  }
}

function isAborted(aborted: readonly AbortedTxnEntry[], batch: BatchSummary): boolean {
  if (batch.producerId < 0n || !isTransactional(batch) || isControl(batch)) return false;
  return aborted.some((txn) => txn.producerId === batch.producerId && batch.baseOffset >= txn.firstOffset && batch.baseOffset <= txn.lastOffset);
}

function keyOf(key: Buffer | null): string | undefined {
  return key === null ? undefined : key.toString('latin1');
}

/** First offset compaction must not touch. */
async function firstUncleanableOffset(log: PartitionLogImpl, nowMs: number): Promise<number> {
  const segments = log.inactiveSegments();
  let end = log.activeBaseOffset;
  end = Math.min(end, log.lastStableOffset);
  const lagMs = log.config.minCompactionLagMs;
  if (lagMs > 0) {
    for (const segment of segments) {
      if ((await segment.largestTimestamp()) > nowMs - lagMs) {
        end = Math.min(end, segment.baseOffset);
        break;
      }
    }
  }
  return end;
}

/** Cleans `log` if it is dirty enough (or forced). Returns undefined when nothing was done. */
export async function cleanLog(log: PartitionLogImpl, nowMs: number, options: CleanOptions = {}): Promise<CleanResult | undefined> {
  if (!log.isCompacted() || log.isOffline) return undefined;
  const config = log.config;
  const end = await firstUncleanableOffset(log, nowMs);
  const firstDirty = Math.max(log.cleanerCheckpoint, log.logStartOffset);
  if (end <= firstDirty) return undefined;
  const all = log.inactiveSegments();
  const segments: LogSegment[] = [];
  for (let index = 0; index < all.length; index++) {
    const nextBase = index + 1 < all.length ? all[index + 1].baseOffset : log.activeBaseOffset;
    if (nextBase <= end) segments.push(all[index]);
  }
  if (segments.length === 0) return undefined;
  const cleanEnd = segments.length < all.length ? all[segments.length].baseOffset : log.activeBaseOffset;
  if (cleanEnd <= firstDirty) return undefined;
  const totalBytes = segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  const dirtyBytes = segments.filter((segment, index) => (index + 1 < segments.length ? segments[index + 1].baseOffset : cleanEnd) > firstDirty).reduce((sum, segment) => sum + segment.sizeBytes, 0);
  const oldestDirty = segments.find((segment) => segment.baseOffset >= firstDirty || segment === segments[segments.length - 1]);
  const overdue = oldestDirty !== undefined && config.maxCompactionLagMs < Number.MAX_SAFE_INTEGER && nowMs - (await oldestDirty.largestTimestamp()) > config.maxCompactionLagMs;
  if (!options.force && !overdue && dirtyBytes / Math.max(1, totalBytes) < config.minCleanableDirtyRatio) return undefined;

  const aborted = segments.flatMap((segment) => segment.abortedTxns).concat(log.activeAbortedTxns());

  // 2. The offset map over the dirty section.
  const offsetMap = new Map<string, number>();
  let mapEnd = cleanEnd;
  /** Last offset of the batches the map covers; records past it are kept (Kafka's latestOffset). */
  let mapLatestOffset = -1;
  outer: for (const segment of segments) {
    let full = false;
    await forEachBatch(segment, ({ summary, header, bytes }) => {
      if (full || summary.lastOffset < firstDirty || isControl(summary) || isAborted(aborted, summary)) return;
      const records = decodeRecords(bytes, header);
      const newKeys = records.filter((record) => record.key !== null && !offsetMap.has(keyOf(record.key)!)).length;
      if (offsetMap.size + newKeys > OFFSET_MAP_KEYS_MAX) {
        // The map is full: this pass cleans up to here (Kafka does the same).
        full = true;
        mapEnd = summary.baseOffset;
        return;
      }
      for (const record of records) {
        const key = keyOf(record.key);
        if (key !== undefined && record.offset >= firstDirty) offsetMap.set(key, record.offset);
      }
      mapLatestOffset = Math.max(mapLatestOffset, summary.lastOffset);
    });
    if (full) break outer;
  }

  // 3. Rewrite the segments below mapEnd in groups.
  const cleanable = segments.filter((segment, index) => (index + 1 < segments.length ? segments[index + 1].baseOffset : cleanEnd) <= mapEnd);
  if (cleanable.length === 0) return undefined;
  const result: CleanResult = { cleanedSegments: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0, cleanedUpTo: firstDirty };
  const pass: CleaningPass = {
    nowMs,
    deleteRetentionMs: config.deleteRetentionMs,
    offsetMap,
    mapLatestOffset,
    aborted,
    lastRecords: log.lastRecordsOfActiveProducers(),
    upperBoundOffset: cleanEnd,
    abortedTxnsMet: new Set(),
    committedTxnsMet: new Set(),
    abortsWithData: new Set(),
  };

  for (const group of groupSegments(cleanable, config.segmentBytes)) {
    const outputs: Buffer[] = [];
    let outputBytes = 0;

    for (const segment of group) {
      result.bytesBefore += segment.sizeBytes;
      await forEachBatch(segment, ({ summary, header, bytes }) => {
        const kept = filterBatch(pass, summary, header, bytes);
        result.recordsRemoved += kept.removed;
        if (kept.bytes) {
          outputs.push(kept.bytes);
          outputBytes += kept.bytes.length;
        }
      });
    }
    await log.installCleanedSegments(group, outputs, (entry) => pass.abortsWithData.has(`${entry.producerId}:${entry.lastOffset}`));
    result.bytesAfter += outputBytes;
    result.cleanedSegments += group.length;
  }
  const lastCleaned = cleanable[cleanable.length - 1];
  const lastIndex = segments.indexOf(lastCleaned);
  result.cleanedUpTo = lastIndex + 1 < segments.length ? segments[lastIndex + 1].baseOffset : cleanEnd;
  log.cleanerCheckpoint = Math.max(log.cleanerCheckpoint, result.cleanedUpTo);
  return result;
}

/** Consecutive segments whose total size fits one segment and whose offsets fit int32. */
function groupSegments(segments: LogSegment[], segmentBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let current: LogSegment[] = [];
  let size = 0;
  for (const segment of segments) {
    const base = current[0]?.baseOffset ?? segment.baseOffset;
    const tooBig = current.length > 0 && (size + segment.sizeBytes > segmentBytes || (segment.knownNextOffset ?? segment.baseOffset) - base > INT32_MAX);
    if (tooBig) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(segment);
    size += segment.sizeBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** What one cleaning pass knows while it filters batches. */
interface CleaningPass {
  nowMs: number;
  deleteRetentionMs: number;
  offsetMap: Map<string, number>;
  mapLatestOffset: number;
  aborted: readonly AbortedTxnEntry[];
  /** Per active producer: its last data batch's last offset (or none) and epoch. */
  lastRecords: ReadonlyMap<bigint, LastProducerRecord>;
  /** The first offset the pass does not clean; the batch ending there is kept even if empty. */
  upperBoundOffset: number;
  /** Producers whose aborted / committed transaction had a batch met since its last marker. */
  abortedTxnsMet: Set<bigint>;
  committedTxnsMet: Set<bigint>;
  /**
   * `producerId:markerOffset` of the abort markers whose transaction still had a batch in this
   * pass: only their .txnindex entries are kept (Kafka drops an entry once its data is gone).
   */
  abortsWithData: Set<string>;
}

export interface LastProducerRecord {
  lastDataOffset: number | undefined;
  producerEpoch: number;
}

function deleteHorizonOf(header: RecordBatchHeader): number | undefined {
  return header.attributes & ATTRIBUTE_DELETE_HORIZON ? header.baseTimestamp : undefined;
}

/**
 * Whether the batch may go as far as transactions are concerned (Kafka's shouldDiscardBatch):
 * aborted data always; a marker once no batch of its transaction was met in this pass.
 */
function transactionAllowsDiscard(pass: CleaningPass, summary: BatchSummary, marker: TxnMarker | undefined): boolean {
  if (isControl(summary)) {
    if (!marker) return false;
    const met = marker.commit ? pass.committedTxnsMet : pass.abortedTxnsMet;
    const discardable = !met.has(summary.producerId);
    met.delete(summary.producerId);
    if (!discardable && !marker.commit) pass.abortsWithData.add(`${summary.producerId}:${summary.lastOffset}`);
    return discardable;
  }
  if (!isTransactional(summary) || summary.producerId < 0n) return false;
  if (isAborted(pass.aborted, summary)) {
    pass.abortedTxnsMet.add(summary.producerId);
    return true;
  }
  pass.committedTxnsMet.add(summary.producerId);
  return false;
}

/** The batch holds its active producer's last sequence (or last epoch, for a marker). */
function isLastOfProducer(pass: CleaningPass, summary: BatchSummary): boolean {
  if (summary.producerId < 0n) return false;
  const last = pass.lastRecords.get(summary.producerId);
  if (!last) return false;
  if (last.lastDataOffset !== undefined) return summary.lastOffset === last.lastDataOffset;
  return isControl(summary) && summary.producerEpoch === last.producerEpoch;
}

/**
 * The retained part of one batch (Kafka's checkBatchRetention / shouldRetainRecord): the same
 * bytes when every record stays and no delete horizon is to be set; a rebuilt batch (same base
 * offset, lastOffsetDelta, producer fields, compression) when some go or a horizon is set; an
 * empty batch when none stay but the batch must (see the file comment); nothing otherwise.
 */
function filterBatch(pass: CleaningPass, summary: BatchSummary, header: RecordBatchHeader, bytes: Buffer): { bytes?: Buffer; removed: number } {
  const control = isControl(summary);
  const marker = control && summary.producerId >= 0n ? readTxnMarker(bytes, header) : undefined;
  const canDiscard = transactionAllowsDiscard(pass, summary, marker);
  const horizonMs = deleteHorizonOf(header);
  const discardRecords = control ? canDiscard && horizonMs !== undefined && horizonMs <= pass.nowMs : canDiscard;
  const retainEmpty = isLastOfProducer(pass, summary) || summary.lastOffset + 1 === pass.upperBoundOffset;
  const records = decodeRecords(bytes, header);
  const kept = discardRecords ? [] : control ? records : records.filter((record) => {
    if (record.offset > pass.mapLatestOffset) return true;
    const key = keyOf(record.key);
    if (key === undefined) return false;
    const latest = pass.offsetMap.get(key);
    if (latest !== undefined && record.offset < latest) return false;
    return record.value !== null || horizonMs === undefined || pass.nowMs < horizonMs;
  });
  const removed = records.length - kept.length;
  if (kept.length === 0) {
    if (!retainEmpty) return { removed };
    return { bytes: emptyBatch(header, summary), removed };
  }
  const needsHorizon = horizonMs === undefined && (kept.some((record) => record.value === null && !control) || (canDiscard && control));
  if (removed === 0 && !needsHorizon) return { bytes, removed: 0 };
  const logAppendTime = (header.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const newHorizonMs = needsHorizon ? pass.nowMs + pass.deleteRetentionMs : horizonMs;
  const rebuilt = encodeRecordBatch({
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    compression: (header.attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType,
    timestampType: logAppendTime ? 'log-append' : 'create',
    transactional: isTransactional(summary),
    control,
    deleteHorizon: newHorizonMs !== undefined,
    // With a delete horizon the base timestamp carries it; record timestamps stay as they were.
    baseTimestamp: newHorizonMs ?? header.baseTimestamp,
    // As Kafka's rebuild: LogAppendTime keeps the batch's time, CreateTime the kept records' max.
    maxTimestamp: logAppendTime ? header.maxTimestamp : undefined,
    lastOffsetDelta: header.lastOffsetDelta,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    records: kept.map((record) => ({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: logAppendTime ? header.baseTimestamp + record.timestampDelta : record.timestamp,
      offsetDelta: record.offsetDelta,
    })),
  });
  return { bytes: rebuilt, removed };
}

/** Kafka's writeEmptyHeader: header only, uncompressed, base and max timestamp = the batch's max. */
function emptyBatch(header: RecordBatchHeader, summary: BatchSummary): Buffer {
  return encodeRecordBatch({
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    timestampType: header.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND ? 'log-append' : 'create',
    transactional: isTransactional(summary),
    control: isControl(summary),
    baseTimestamp: header.maxTimestamp,
    maxTimestamp: header.maxTimestamp,
    lastOffsetDelta: header.lastOffsetDelta,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    records: [],
  });
}
