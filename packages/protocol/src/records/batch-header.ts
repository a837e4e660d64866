/**
 * The fixed 61-byte header of a record batch (magic 2), read without decoding its records:
 * the broker's hot path (append validation, offset assignment, fetch limits, index building)
 * needs only these fields. Layout from Kafka's "Record Batch" format:
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32
 *
 * `batchLength` counts the bytes after itself; the CRC (CRC32C) covers attributes to the end.
 */
import { crc32c } from '../checksum/crc32c.ts';
import { ProtocolDecodeError } from '../primitives/errors.ts';

export const BATCH_OFFSET_BASE_OFFSET = 0;
export const BATCH_OFFSET_LENGTH = 8;
export const BATCH_OFFSET_PARTITION_LEADER_EPOCH = 12;
export const BATCH_OFFSET_MAGIC = 16;
export const BATCH_OFFSET_CRC = 17;
export const BATCH_OFFSET_ATTRIBUTES = 21;
export const BATCH_OFFSET_LAST_OFFSET_DELTA = 23;
export const BATCH_OFFSET_BASE_TIMESTAMP = 27;
export const BATCH_OFFSET_MAX_TIMESTAMP = 35;
export const BATCH_OFFSET_PRODUCER_ID = 43;
export const BATCH_OFFSET_PRODUCER_EPOCH = 51;
export const BATCH_OFFSET_BASE_SEQUENCE = 53;
export const BATCH_OFFSET_RECORD_COUNT = 57;
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes that precede what batchLength counts. */
export const BATCH_LOG_OVERHEAD_BYTES = 12;
/** The smallest header common to every magic (offset, length, and the magic byte at 16). */
export const BATCH_MAGIC_PROBE_BYTES = 17;

export const ATTRIBUTE_COMPRESSION_MASK = 0x07;
export const ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTRIBUTE_TRANSACTIONAL = 0x10;
export const ATTRIBUTE_CONTROL = 0x20;
export const ATTRIBUTE_DELETE_HORIZON = 0x40;

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionType = 0 | 1 | 2 | 3 | 4;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface RecordBatchHeader {
  /** Offset of the batch within the buffer it was read from. */
  position: number;
  baseOffset: number;
  /** Bytes after the length field: the whole batch is `batchLength + 12` bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

function readInt64Number(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * 0x1_0000_0000 + buffer.readUInt32BE(at + 4);
}

/**
 * Reads the header of the magic 2 batch at `position`. Throws ProtocolDecodeError when fewer than
 * 61 bytes are there, the magic is not 2, or batchLength is too small or runs past `end`.
 */
export function readBatchHeader(buffer: Buffer, position = 0, end = buffer.length): RecordBatchHeader {
  if (end - position < BATCH_HEADER_BYTES) {
    throw new ProtocolDecodeError('truncated', `record batch header needs 61 bytes, ${end - position} left`, position);
  }
  const magic = buffer.readInt8(position + BATCH_OFFSET_MAGIC);
  if (magic !== 2) throw new ProtocolDecodeError('value', `record batch magic ${magic} is not 2`, position);
  const batchLength = buffer.readInt32BE(position + BATCH_OFFSET_LENGTH);
  if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) {
    throw new ProtocolDecodeError('length', `record batch length ${batchLength} is below the header size`, position);
  }
  if (batchLength > end - position - BATCH_LOG_OVERHEAD_BYTES) {
    throw new ProtocolDecodeError('truncated', `record batch of ${batchLength} bytes runs past the input`, position);
  }
  return {
    position,
    baseOffset: readInt64Number(buffer, position + BATCH_OFFSET_BASE_OFFSET),
    batchLength,
    partitionLeaderEpoch: buffer.readInt32BE(position + BATCH_OFFSET_PARTITION_LEADER_EPOCH),
    magic,
    crc: buffer.readUInt32BE(position + BATCH_OFFSET_CRC),
    attributes: buffer.readInt16BE(position + BATCH_OFFSET_ATTRIBUTES),
    lastOffsetDelta: buffer.readInt32BE(position + BATCH_OFFSET_LAST_OFFSET_DELTA),
    baseTimestamp: readInt64Number(buffer, position + BATCH_OFFSET_BASE_TIMESTAMP),
    maxTimestamp: readInt64Number(buffer, position + BATCH_OFFSET_MAX_TIMESTAMP),
    producerId: buffer.readBigInt64BE(position + BATCH_OFFSET_PRODUCER_ID),
    producerEpoch: buffer.readInt16BE(position + BATCH_OFFSET_PRODUCER_EPOCH),
    baseSequence: buffer.readInt32BE(position + BATCH_OFFSET_BASE_SEQUENCE),
    recordCount: buffer.readInt32BE(position + BATCH_OFFSET_RECORD_COUNT),
  };
}

/** Total bytes of the batch whose header is given (including offset and length fields). */
export function batchSizeBytes(header: RecordBatchHeader): number {
  return header.batchLength + BATCH_LOG_OVERHEAD_BYTES;
}

/** CRC32C over attributes..end, as stored in the header's crc field. */
export function computeBatchCrc(buffer: Buffer, position: number, batchLength: number): number {
  return crc32c(buffer, position + BATCH_OFFSET_ATTRIBUTES, position + BATCH_LOG_OVERHEAD_BYTES + batchLength);
}

export function isBatchCrcValid(buffer: Buffer, header: RecordBatchHeader): boolean {
  return computeBatchCrc(buffer, header.position, header.batchLength) === header.crc;
}

/** Rewrites the base offset in place; the CRC does not cover it, so the batch stays valid. */
export function setBatchBaseOffset(buffer: Buffer, position: number, baseOffset: number): void {
  const high = Math.floor(baseOffset / 0x1_0000_0000);
  buffer.writeInt32BE(high, position + BATCH_OFFSET_BASE_OFFSET);
  buffer.writeUInt32BE(baseOffset - high * 0x1_0000_0000, position + BATCH_OFFSET_BASE_OFFSET + 4);
}

/** Rewrites the partition leader epoch in place (also outside the CRC). */
export function setBatchPartitionLeaderEpoch(buffer: Buffer, position: number, epoch: number): void {
  buffer.writeInt32BE(epoch, position + BATCH_OFFSET_PARTITION_LEADER_EPOCH);
}

export function batchCompression(attributes: number): CompressionType {
  return (attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & ATTRIBUTE_CONTROL) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0;
}

export function lastOffsetOf(header: RecordBatchHeader): number {
  return header.baseOffset + header.lastOffsetDelta;
}
