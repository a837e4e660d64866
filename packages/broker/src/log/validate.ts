/**
 * Validation of the record batches of an append, before anything is written (DESIGN.md
 * convention 3: CRC and offsets are checked before appending and again on recovery). Walks the
 * batches by their headers; uncompressed records are walked too (cheap varint hops) to check
 * their count and offset deltas; compressed ones are decoded only when the topic is compacted
 * (every record needs a key there).
 */
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_CONTROL,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  ATTRIBUTE_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_CRC,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  BATCH_OFFSET_MAX_TIMESTAMP,
  computeBatchCrc,
  decodeControlRecordKey,
  decodeControlRecordValue,
  decodeRecords,
  readBatchHeader,
  type RecordBatchHeader,
} from '@kafkaesque/protocol';
import type { LogConfig } from './api.ts';
import { isCompacted } from './config.ts';
import { LogErrorCode } from './errors.ts';
import type { TxnMarker } from './producer-state.ts';
import { summarize, type BatchSummary } from './segment.ts';

export interface ValidationFailure {
  ok: false;
  errorCode: number;
  errorMessage: string;
  batchIndex?: number;
}

export interface ValidatedBatches {
  ok: true;
  headers: RecordBatchHeader[];
  recordCount: number;
}

function fail(errorCode: number, errorMessage: string, batchIndex?: number): ValidationFailure {
  return { ok: false, errorCode, errorMessage, batchIndex };
}

/**
 * Splits `records` into batch headers, checking framing, magic, size bound and CRC.
 * `sizeMaxBytes`: max.message.bytes for leaders, segment.bytes for followers.
 */
export function splitBatches(records: Buffer, sizeMaxBytes: number, tooLargeCode: number, verifyCrc = true): ValidatedBatches | ValidationFailure {
  const headers: RecordBatchHeader[] = [];
  let recordCount = 0;
  let at = 0;
  while (at < records.length) {
    const index = headers.length;
    const left = records.length - at;
    if (left < BATCH_LOG_OVERHEAD_BYTES + 5) return fail(LogErrorCode.CORRUPT_MESSAGE, `${left} trailing bytes are not a record batch`, index);
    const magic = records[at + BATCH_OFFSET_MAGIC];
    if (magic !== 2) return fail(LogErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${magic} is not supported (only magic 2)`, index);
    const batchLength = records.readInt32BE(at + BATCH_OFFSET_LENGTH);
    if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES || batchLength > left - BATCH_LOG_OVERHEAD_BYTES) {
      return fail(LogErrorCode.CORRUPT_MESSAGE, `record batch length ${batchLength} does not fit the ${left} bytes left`, index);
    }
    const sizeBytes = batchLength + BATCH_LOG_OVERHEAD_BYTES;
    if (sizeBytes > sizeMaxBytes) return fail(tooLargeCode, `record batch of ${sizeBytes} bytes exceeds ${sizeMaxBytes}`, index);
    const header = readBatchHeader(records, at, at + sizeBytes);
    if (verifyCrc && computeBatchCrc(records, at, batchLength) !== header.crc) return fail(LogErrorCode.CORRUPT_MESSAGE, `record batch CRC mismatch`, index);
    if (header.lastOffsetDelta < 0 || header.recordCount < 0) return fail(LogErrorCode.INVALID_RECORD, `negative lastOffsetDelta or record count`, index);
    headers.push(header);
    recordCount += header.recordCount;
    at += sizeBytes;
  }
  if (headers.length === 0) return fail(LogErrorCode.INVALID_RECORD, 'no record batch in the request');
  return { ok: true, headers, recordCount };
}

/** The first batch whose CRC32C does not match, as a failure (for checks deferred by splitBatches). */
export function findCrcMismatch(records: Buffer, headers: readonly RecordBatchHeader[]): ValidationFailure | undefined {
  for (let index = 0; index < headers.length; index++) {
    const header = headers[index];
    if (computeBatchCrc(records, header.position, header.batchLength) !== header.crc) return fail(LogErrorCode.CORRUPT_MESSAGE, 'record batch CRC mismatch', index);
  }
  return undefined;
}

// Varint walking over uncompressed records (module-level cursor keeps it allocation free).
let cursor = 0;

function readVarint(buffer: Buffer, end: number): number {
  let raw = 0;
  let shift = 0;
  for (;;) {
    if (cursor >= end || shift > 28) return Number.NaN;
    const byte = buffer[cursor++];
    raw |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return (raw >>> 1) ^ -(raw & 1);
}

function skipVarlong(end: number, buffer: Buffer): boolean {
  for (let count = 0; count < 10; count++) {
    if (cursor >= end) return false;
    if ((buffer[cursor++] & 0x80) === 0) return true;
  }
  return false;
}

/** Checks an uncompressed batch's records: count, offset deltas 0..n-1, sizes; keys if needed. */
function walkUncompressedRecords(records: Buffer, header: RecordBatchHeader, keysRequired: boolean): string | undefined {
  const end = header.position + BATCH_LOG_OVERHEAD_BYTES + header.batchLength;
  cursor = header.position + BATCH_HEADER_BYTES;
  for (let index = 0; index < header.recordCount; index++) {
    const length = readVarint(records, end);
    if (!(length >= 6) || cursor + length > end) return `record ${index} has a bad length`;
    const recordEnd = cursor + length;
    cursor++; // attributes
    if (!skipVarlong(recordEnd, records)) return `record ${index} has a bad timestamp delta`;
    const offsetDelta = readVarint(records, recordEnd);
    if (offsetDelta !== index) return `record ${index} has offset delta ${offsetDelta}`;
    const keyLength = readVarint(records, recordEnd);
    if (Number.isNaN(keyLength) || keyLength < -1 || cursor + keyLength > recordEnd) return `record ${index} has a bad key length`;
    if (keysRequired && keyLength < 0) return `compacted topic cannot accept a record without key`;
    cursor = recordEnd;
  }
  if (cursor !== end) return `${end - cursor} bytes after the last record`;
  return undefined;
}

export interface LeaderValidation {
  config: LogConfig;
  origin: 'client' | 'coordinator' | 'internal';
  nowMs: number;
}

/** Leader-side checks of one batch beyond framing and CRC (Kafka's LogValidator rules). */
export function validateLeaderBatch(records: Buffer, header: RecordBatchHeader, index: number, options: LeaderValidation): ValidationFailure | undefined {
  const { config, origin, nowMs } = options;
  const control = (header.attributes & ATTRIBUTE_CONTROL) !== 0;
  const transactional = (header.attributes & ATTRIBUTE_TRANSACTIONAL) !== 0;
  if (control && origin === 'client') return fail(LogErrorCode.INVALID_RECORD, 'clients may not write control batches', index);
  if (header.recordCount !== header.lastOffsetDelta + 1) {
    return fail(LogErrorCode.INVALID_RECORD, `record count ${header.recordCount} does not match last offset delta ${header.lastOffsetDelta}`, index);
  }
  if (header.recordCount === 0) return fail(LogErrorCode.INVALID_RECORD, 'empty record batch', index);
  if (transactional && header.producerId < 0n) return fail(LogErrorCode.INVALID_RECORD, 'transactional batch without producer id', index);
  if (config.messageTimestampType === 'CreateTime' && !control) {
    const earliest = nowMs - config.messageTimestampBeforeMaxMs;
    const latest = nowMs + config.messageTimestampAfterMaxMs;
    for (const timestamp of [header.baseTimestamp, header.maxTimestamp]) {
      if (timestamp >= 0 && (timestamp < earliest || timestamp > latest)) {
        return fail(LogErrorCode.INVALID_TIMESTAMP, `timestamp ${timestamp} is outside [${earliest}, ${latest}]`, index);
      }
    }
  }
  const keysRequired = isCompacted(config) && !control;
  if ((header.attributes & ATTRIBUTE_COMPRESSION_MASK) === 0) {
    const problem = walkUncompressedRecords(records, header, keysRequired);
    if (problem) return fail(LogErrorCode.INVALID_RECORD, problem, index);
  } else if (keysRequired) {
    try {
      const decoded = decodeRecords(records, header);
      if (decoded.some((record) => record.key === null)) return fail(LogErrorCode.INVALID_RECORD, 'compacted topic cannot accept a record without key', index);
    } catch (error) {
      return fail(LogErrorCode.CORRUPT_MESSAGE, `records do not decode: ${(error as Error).message}`, index);
    }
  }
  return undefined;
}

/** Reads the transaction marker of a control batch (undefined for other control records). */
export function readTxnMarker(records: Buffer, header: RecordBatchHeader): TxnMarker | undefined {
  const decoded = decodeRecords(records, header);
  const record = decoded[0];
  if (!record) return undefined;
  const key = decodeControlRecordKey(record.key);
  if (key.type !== 0 && key.type !== 1) return undefined;
  const value = decodeControlRecordValue(record.value);
  return { commit: key.type === 1, coordinatorEpoch: value.coordinatorEpoch };
}

/** Stamps LogAppendTime into a batch: attribute bit, max timestamp, new CRC (Kafka's in-place path). */
export function setLogAppendTime(records: Buffer, header: RecordBatchHeader, nowMs: number): void {
  const at = header.position;
  records.writeInt16BE(header.attributes | ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND, at + BATCH_OFFSET_ATTRIBUTES);
  const high = Math.floor(nowMs / 0x1_0000_0000);
  records.writeInt32BE(high, at + BATCH_OFFSET_MAX_TIMESTAMP);
  records.writeUInt32BE(nowMs - high * 0x1_0000_0000, at + BATCH_OFFSET_MAX_TIMESTAMP + 4);
  records.writeUInt32BE(computeBatchCrc(records, at, header.batchLength), at + BATCH_OFFSET_CRC);
  header.attributes |= ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND;
  header.maxTimestamp = nowMs;
}

export function summaries(headers: readonly RecordBatchHeader[]): BatchSummary[] {
  return headers.map((header) => summarize(header));
}
