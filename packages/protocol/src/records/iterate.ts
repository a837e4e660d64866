/**
 * Walking concatenated magic 2 batches (a log segment, a Produce or Fetch records field) by their
 * headers alone. A Fetch response may end in a partial batch (the broker cuts at maxBytes), so a
 * trailing fragment is not an error: it is reported in the scan result.
 */
import { ProtocolDecodeError } from '../primitives/errors.ts';
import {
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  readBatchHeader,
  type RecordBatchHeader,
} from './batch-header.ts';
import { decodeRecordBatch, type DecodeRecordBatchOptions, type DecodedRecordBatch } from './record-batch.ts';

export interface BatchScanEnd {
  /** Where the last complete batch ends. */
  endPosition: number;
  /** Bytes of a trailing incomplete batch (0 when the input ends on a batch boundary). */
  partialBytes: number;
}

/**
 * Yields the header of each complete batch in buffer[position, end) and returns where they end
 * and how many bytes of a trailing partial batch follow. Throws ProtocolDecodeError for a batch
 * that is malformed (not merely cut short) or whose magic is not 2.
 */
export function* iterateBatchHeaders(
  buffer: Buffer,
  position = 0,
  end = buffer.length,
): Generator<RecordBatchHeader, BatchScanEnd, undefined> {
  let at = position;
  while (at < end) {
    const left = end - at;
    if (left < BATCH_LOG_OVERHEAD_BYTES) return { endPosition: at, partialBytes: left };
    const batchLength = buffer.readInt32BE(at + BATCH_OFFSET_LENGTH);
    if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) {
      throw new ProtocolDecodeError('length', `record batch length ${batchLength} is below the header size`, at);
    }
    if (left > BATCH_OFFSET_MAGIC && buffer[at + BATCH_OFFSET_MAGIC] !== 2) {
      throw new ProtocolDecodeError('value', `record batch magic ${buffer.readInt8(at + BATCH_OFFSET_MAGIC)} is not 2`, at);
    }
    if (batchLength > left - BATCH_LOG_OVERHEAD_BYTES) return { endPosition: at, partialBytes: left };
    const header = readBatchHeader(buffer, at, end);
    yield header;
    at += BATCH_LOG_OVERHEAD_BYTES + batchLength;
  }
  return { endPosition: at, partialBytes: 0 };
}

export interface BatchScan extends BatchScanEnd {
  headers: RecordBatchHeader[];
}

/** All complete batch headers in buffer[position, end), plus the trailing partial batch size. */
export function scanBatchHeaders(buffer: Buffer, position = 0, end = buffer.length): BatchScan {
  const headers: RecordBatchHeader[] = [];
  const iterator = iterateBatchHeaders(buffer, position, end);
  for (;;) {
    const step = iterator.next();
    if (step.done) return { headers, ...step.value };
    headers.push(step.value);
  }
}

export interface DecodedBatches extends BatchScanEnd {
  batches: DecodedRecordBatch[];
}

/** Decodes every complete batch in buffer[position, end); a trailing partial batch is reported. */
export function decodeRecordBatches(
  buffer: Buffer,
  options: DecodeRecordBatchOptions = {},
  position = 0,
  end = buffer.length,
): DecodedBatches {
  const scan = scanBatchHeaders(buffer, position, end);
  const batches = scan.headers.map((header) => decodeRecordBatch(buffer, header.position, options));
  return { batches, endPosition: scan.endPosition, partialBytes: scan.partialBytes };
}
