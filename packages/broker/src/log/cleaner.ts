/**
 * Log compaction (cleanup.policy=compact / compact,delete), after Kafka's LogCleaner:
 *
 * 1. The cleanable range ends at the first "uncleanable" offset: the active segment, the last
 *    stable offset (open transactions and the high watermark), and segments younger than
 *    min.compaction.lag.ms. It starts at the cleaner checkpoint (the "dirty" section).
 * 2. An offset map (key → latest offset) is built over the dirty section, bounded in keys.
 * 3. Every segment below the end is rewritten, in groups that fit segment.bytes: a record is kept
 *    when no later record has its key; records of aborted transactions are dropped; tombstones
 *    and transaction markers are kept until delete.retention.ms after they were first cleaned
 *    (markers also while their transaction still has data). Offsets never change: batches keep
 *    their base offset, lastOffsetDelta, producer fields and compression.
 * 4. The group's result is written as `<base>.log.cleaned`, renamed to `.swap`, the old
 *    segments to `.deleted`, and the swap to `.log` — recovery completes an interrupted swap.
 *
 * Gaps against Kafka: tombstone / marker lifetime is measured from the batch's max timestamp
 * in the clean section (Kafka ≥ 3.1 stamps a delete horizon into the batch); a batch emptied by
 * compaction is dropped even when it was its producer's last (Kafka keeps an empty batch so
 * producer state can be rebuilt — our producer snapshots carry that state instead).
 */
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  decodeRecords,
  encodeRecordBatch,
  readBatchHeader,
  type CompressionType,
  type RecordBatchHeader,
} from '@kafkaesque/protocol';
import type { PartitionLogImpl } from './partition-log.ts';
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
    });
    if (full) break outer;
  }

  // 3. Rewrite the segments below mapEnd in groups.
  const cleanable = segments.filter((segment, index) => (index + 1 < segments.length ? segments[index + 1].baseOffset : cleanEnd) <= mapEnd);
  if (cleanable.length === 0) return undefined;
  const deleteHorizonMs = nowMs - config.deleteRetentionMs;
  const previouslyClean = firstDirty;
  const result: CleanResult = { cleanedSegments: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0, cleanedUpTo: firstDirty };
  /** Transactions (by producer) whose data is still retained, so their marker must stay. */
  const txnHasData = new Map<bigint, boolean>();

  for (const group of groupSegments(cleanable, config.segmentBytes)) {
    const outputs: Buffer[] = [];
    let outputBytes = 0;
    for (const segment of group) {
      result.bytesBefore += segment.sizeBytes;
      await forEachBatch(segment, ({ summary, header, bytes }) => {
        const kept = filterBatch(summary, header, bytes, offsetMap, aborted, txnHasData, summary.lastOffset < previouslyClean && summary.maxTimestamp < deleteHorizonMs);
        result.recordsRemoved += kept.removed;
        if (kept.bytes) {
          outputs.push(kept.bytes);
          outputBytes += kept.bytes.length;
        }
      });
    }
    await log.installCleanedSegments(group, outputs);
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

/**
 * The retained part of one batch: the same bytes when every record stays, a re-encoded batch
 * (same base offset, lastOffsetDelta, producer fields, compression) when some go, nothing when
 * all go. `expired`: the batch is in the clean section and older than delete.retention.ms.
 */
function filterBatch(
  summary: BatchSummary,
  header: RecordBatchHeader,
  bytes: Buffer,
  offsetMap: Map<string, number>,
  aborted: readonly AbortedTxnEntry[],
  txnHasData: Map<bigint, boolean>,
  expired: boolean,
): { bytes?: Buffer; removed: number } {
  if (isControl(summary)) {
    const marker = summary.producerId >= 0n ? readTxnMarker(bytes, header) : undefined;
    const hasData = txnHasData.get(summary.producerId) ?? false;
    txnHasData.delete(summary.producerId);
    // A marker goes once its transaction has no data left and it outlived delete.retention.ms.
    if (marker && !hasData && expired) return { removed: summary.recordCount };
    return { bytes, removed: 0 };
  }
  if (isAborted(aborted, summary)) return { removed: summary.recordCount };
  const records = decodeRecords(bytes, header);
  const kept = records.filter((record) => {
    const key = keyOf(record.key);
    if (key === undefined) return true;
    const latest = offsetMap.get(key);
    if (latest !== undefined && record.offset < latest) return false;
    // A tombstone goes once it outlived delete.retention.ms in the clean section.
    if (record.value === null && expired) return false;
    return true;
  });
  if (isTransactional(summary) && kept.length > 0) txnHasData.set(summary.producerId, true);
  else if (isTransactional(summary) && !txnHasData.has(summary.producerId)) txnHasData.set(summary.producerId, false);
  if (kept.length === records.length) return { bytes, removed: 0 };
  if (kept.length === 0) return { removed: records.length };
  const rebuilt = encodeRecordBatch({
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    compression: (header.attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType,
    timestampType: header.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND ? 'log-append' : 'create',
    transactional: isTransactional(summary),
    baseTimestamp: header.baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    lastOffsetDelta: header.lastOffsetDelta,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    records: kept.map((record) => ({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: header.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND ? header.baseTimestamp + record.timestampDelta : record.timestamp,
      offsetDelta: record.offsetDelta,
    })),
  });
  return { bytes: rebuilt, removed: records.length - kept.length };
}
