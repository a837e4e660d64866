/**
 * Conversion between legacy message sets (magic 0/1) and record batches (magic 2), as a broker
 * does it: up-conversion of what old producers send (Produce v0-2) so the log holds only magic 2,
 * and down-conversion for old consumers (Fetch v0-3) that cannot read magic 2.
 */
import { ProtocolEncodeError } from '../primitives/errors.ts';
import type { CompressionType } from './batch-header.ts';
import { decodeLegacyMessageSet, encodeLegacyMessageSet, type LegacyDecodeOptions, type LegacyMagic, type LegacyMessage } from './legacy.ts';
import { decodeRecordBatches } from './iterate.ts';
import { encodeRecordBatch, type DecodedRecordBatch } from './record-batch.ts';

export interface UpConvertOptions extends LegacyDecodeOptions {
  /** Codec of the resulting batch; defaults to the codec of the first compressed wrapper, else none. */
  compression?: CompressionType;
  /**
   * Renumber the messages baseOffset, baseOffset+1, ... (what a broker does on produce, where the
   * producer's offsets mean nothing); by default the stored offsets are kept.
   */
  baseOffset?: number;
}

function toBatch(messages: LegacyMessage[], compression: CompressionType): Buffer {
  const baseOffset = messages[0].offset;
  const logAppend = messages[0].timestampType === 'log-append';
  let maxTimestamp = -1;
  for (const message of messages) if (message.timestamp > maxTimestamp) maxTimestamp = message.timestamp;
  return encodeRecordBatch({
    baseOffset,
    compression,
    timestampType: logAppend ? 'log-append' : 'create',
    baseTimestamp: messages[0].timestamp,
    maxTimestamp,
    records: messages.map((message) => ({
      key: message.key,
      value: message.value,
      timestamp: message.timestamp,
      offsetDelta: message.offset - baseOffset,
    })),
  });
}

/**
 * Up-converts a legacy message set to magic 2 batches: one batch per run of messages with the
 * same timestamp type and non-decreasing offsets (normally the whole set), keeping offsets, keys,
 * values and timestamps (magic 0 has none: -1). A trailing partial entry is ignored.
 */
export function legacyMessageSetToBatches(buffer: Buffer, options: UpConvertOptions = {}): Buffer {
  const { messages } = decodeLegacyMessageSet(buffer, options);
  if (messages.length === 0) return Buffer.alloc(0);
  const renumberFrom = options.baseOffset;
  if (renumberFrom !== undefined) messages.forEach((message, i) => (message.offset = renumberFrom + i));
  const compression = options.compression ?? messages.find((message) => message.compression !== 0)?.compression ?? 0;
  const batches: Buffer[] = [];
  let runStart = 0;
  for (let i = 1; i <= messages.length; i++) {
    const breaks =
      i === messages.length ||
      messages[i].timestampType !== messages[runStart].timestampType ||
      messages[i].offset < messages[i - 1].offset ||
      messages[i].offset - messages[runStart].offset > 0x7fffffff;
    if (breaks) {
      batches.push(toBatch(messages.slice(runStart, i), compression));
      runStart = i;
    }
  }
  return batches.length === 1 ? batches[0] : Buffer.concat(batches);
}

export interface DownConvertOptions extends LegacyDecodeOptions {
  /** Replaces each batch's codec (zstd batches must be given one, magic 0/1 has no zstd). */
  compression?: CompressionType;
}

function batchToLegacy(batch: DecodedRecordBatch, magic: LegacyMagic, options: DownConvertOptions): Buffer {
  const compression = options.compression ?? batch.compression;
  if (compression === 4) throw new ProtocolEncodeError('zstd batches cannot be down-converted to magic 0/1');
  const logAppend = batch.timestampType === 'log-append';
  const messages = batch.records.map((record) => ({
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    offset: record.offset,
  }));
  if (compression !== 0) {
    return encodeLegacyMessageSet({
      magic,
      compression,
      timestampType: batch.timestampType,
      logAppendTime: logAppend ? batch.maxTimestamp : undefined,
      messages,
    });
  }
  return encodeLegacyMessageSet({ magic, timestampType: batch.timestampType, messages });
}

/**
 * Down-converts concatenated magic 2 batches to a legacy message set of `magic`, as Kafka does for
 * Fetch v0-3: control batches are dropped, record headers are lost, magic 0 loses timestamps,
 * compressed batches become one wrapper each. A trailing partial batch is dropped.
 */
export function batchesToLegacyMessageSet(buffer: Buffer, magic: LegacyMagic, options: DownConvertOptions = {}): Buffer {
  const { batches } = decodeRecordBatches(buffer, options);
  const parts: Buffer[] = [];
  for (const batch of batches) {
    if (batch.isControl || batch.records.length === 0) continue;
    parts.push(batchToLegacy(batch, magic, options));
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
