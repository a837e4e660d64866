/**
 * Record batches, magic 2 (Kafka's "Record Batch" format): encode from plain objects, decode to
 * plain objects. The 61-byte header is described in batch-header.ts; the records after it are
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value | headerCount varint |
 *   { headerKeyLength varint | headerKey | headerValueLength varint | headerValue }*
 *
 * (lengths of -1 mean null), compressed as a whole when the batch's compression bits say so.
 * The per-record paths use plain numbers: timestamps and offsets are safe integers in practice
 * (a varlong that is not is rejected), and bigint arithmetic would cost several times more.
 */
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.ts';
import { compress, decompress } from '../compression/codecs.ts';
import { DECOMPRESSED_BYTES_MAX_DEFAULT } from '../compression/errors.ts';
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_CONTROL,
  ATTRIBUTE_DELETE_HORIZON,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  ATTRIBUTE_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_CRC,
  BATCH_OFFSET_RECORD_COUNT,
  computeBatchCrc,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  readBatchHeader,
  type CompressionType,
  type RecordBatchHeader,
} from './batch-header.ts';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** What the encoder needs for one record. */
export interface RecordSpec {
  key?: Uint8Array | string | null;
  value?: Uint8Array | string | null;
  headers?: readonly { key: string; value: Uint8Array | string | null }[];
  /** Absolute timestamp in ms; defaults to the batch's base timestamp. */
  timestamp?: number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

export type TimestampType = 'create' | 'log-append';

export interface RecordBatchSpec {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  timestampType?: TimestampType;
  transactional?: boolean;
  control?: boolean;
  /** Sets the delete-horizon bit: baseTimestamp is then the compaction delete horizon. */
  deleteHorizon?: boolean;
  /** Defaults to the first record's timestamp (or Date.now() when no record has one). */
  baseTimestamp?: number;
  /** Defaults to the largest record timestamp. */
  maxTimestamp?: number;
  /** Defaults to the last record's offset delta (compacted batches may keep a larger one). */
  lastOffsetDelta?: number;
  producerId?: bigint | number;
  producerEpoch?: number;
  baseSequence?: number;
  records: readonly RecordSpec[];
}

export interface DecodedRecord {
  offset: number;
  offsetDelta: number;
  timestamp: number;
  timestampDelta: number;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedRecordBatch extends RecordBatchHeader {
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  records: DecodedRecord[];
}

export interface DecodeRecordBatchOptions {
  /** Verify the CRC32C (default true). */
  verifyCrc?: boolean;
  /** Cap on the decompressed size of the records section (default 64 MiB). */
  decompressedBytesMax?: number;
}

const EMPTY_HEADERS: RecordHeader[] = [];

// ---------------------------------------------------------------------------------------------
// encoding

function uvarintBytes(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function varintBytes(value: number): number {
  return uvarintBytes(zigzag32(value));
}

function zigzag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function varlongBytes(value: number): number {
  let raw = zigzag64(value);
  let count = 1;
  while (raw >= 0x80) {
    raw = Math.floor(raw / 0x80);
    count++;
  }
  return count;
}

function writeUvarint(out: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[at++] = value;
  return at;
}

function writeVarlong(out: Buffer, at: number, value: number): number {
  let raw = zigzag64(value);
  if (raw < 0x80000000) return writeUvarint(out, at, raw);
  while (raw >= 0x80) {
    out[at++] = (raw % 0x80) | 0x80;
    raw = Math.floor(raw / 0x80);
  }
  out[at++] = raw;
  return at;
}

function toBytes(value: Uint8Array | string | null | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function checkSafeInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new ProtocolEncodeError(`${what} must be a safe integer, got ${value}`);
}

interface PreparedRecord {
  bodyBytes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headerKeys: Buffer[];
  headerValues: (Uint8Array | null)[];
}

function prepareRecord(record: RecordSpec, index: number, baseTimestamp: number): PreparedRecord {
  const timestampDelta = (record.timestamp ?? baseTimestamp) - baseTimestamp;
  const offsetDelta = record.offsetDelta ?? index;
  checkSafeInteger(timestampDelta, 'timestamp delta');
  if (!Number.isInteger(offsetDelta) || offsetDelta < 0 || offsetDelta > 0x7fffffff) {
    throw new ProtocolEncodeError(`offset delta must be a non-negative int32, got ${offsetDelta}`);
  }
  const key = toBytes(record.key);
  const value = toBytes(record.value);
  const headers = record.headers ?? [];
  const headerKeys: Buffer[] = new Array(headers.length);
  const headerValues: (Uint8Array | null)[] = new Array(headers.length);
  let bodyBytes =
    1 +
    varlongBytes(timestampDelta) +
    varintBytes(offsetDelta) +
    (key === null ? 1 : varintBytes(key.length) + key.length) +
    (value === null ? 1 : varintBytes(value.length) + value.length) +
    varintBytes(headers.length);
  for (let h = 0; h < headers.length; h++) {
    const headerKey = Buffer.from(headers[h].key, 'utf8');
    const headerValue = toBytes(headers[h].value);
    headerKeys[h] = headerKey;
    headerValues[h] = headerValue;
    bodyBytes +=
      varintBytes(headerKey.length) +
      headerKey.length +
      (headerValue === null ? 1 : varintBytes(headerValue.length) + headerValue.length);
  }
  return { bodyBytes, timestampDelta, offsetDelta, key, value, headerKeys, headerValues };
}

function writeNullableBytes(out: Buffer, at: number, bytes: Uint8Array | null): number {
  if (bytes === null) {
    out[at] = 1; // zig-zag of -1
    return at + 1;
  }
  at = writeUvarint(out, at, zigzag32(bytes.length));
  out.set(bytes, at);
  return at + bytes.length;
}

function writeRecord(out: Buffer, at: number, record: PreparedRecord): number {
  at = writeUvarint(out, at, zigzag32(record.bodyBytes));
  out[at++] = 0; // record attributes: unused
  at = writeVarlong(out, at, record.timestampDelta);
  at = writeUvarint(out, at, zigzag32(record.offsetDelta));
  at = writeNullableBytes(out, at, record.key);
  at = writeNullableBytes(out, at, record.value);
  const headerCount = record.headerKeys.length;
  at = writeUvarint(out, at, zigzag32(headerCount));
  for (let h = 0; h < headerCount; h++) {
    at = writeNullableBytes(out, at, record.headerKeys[h]);
    at = writeNullableBytes(out, at, record.headerValues[h]);
  }
  return at;
}

/** The records section of a batch, uncompressed. */
function encodeRecordsSection(prepared: PreparedRecord[]): Buffer {
  let total = 0;
  for (const record of prepared) total += varintBytes(record.bodyBytes) + record.bodyBytes;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const record of prepared) at = writeRecord(out, at, record);
  return out;
}

function batchAttributes(spec: RecordBatchSpec): number {
  const codec = spec.compression ?? 0;
  if (!Number.isInteger(codec) || codec < 0 || codec > 4) throw new ProtocolEncodeError(`unknown compression ${codec}`);
  return (
    codec |
    (spec.timestampType === 'log-append' ? ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND : 0) |
    (spec.transactional ? ATTRIBUTE_TRANSACTIONAL : 0) |
    (spec.control ? ATTRIBUTE_CONTROL : 0) |
    (spec.deleteHorizon ? ATTRIBUTE_DELETE_HORIZON : 0)
  );
}

function writeInt64Number(out: Buffer, at: number, value: number): void {
  const high = Math.floor(value / 0x1_0000_0000);
  out.writeInt32BE(high, at);
  out.writeUInt32BE(value - high * 0x1_0000_0000, at + 4);
}

function firstRecordTimestamp(records: readonly RecordSpec[]): number | undefined {
  for (const record of records) if (record.timestamp !== undefined) return record.timestamp;
  return undefined;
}

/** Encodes a magic 2 record batch, CRC included. */
export function encodeRecordBatch(spec: RecordBatchSpec): Buffer {
  const records = spec.records;
  const baseTimestamp = spec.baseTimestamp ?? firstRecordTimestamp(records) ?? Date.now();
  checkSafeInteger(baseTimestamp, 'base timestamp');
  const prepared = new Array<PreparedRecord>(records.length);
  let maxTimestamp = records.length === 0 ? baseTimestamp : -Infinity;
  for (let i = 0; i < records.length; i++) {
    prepared[i] = prepareRecord(records[i], i, baseTimestamp);
    const timestamp = baseTimestamp + prepared[i].timestampDelta;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
  }
  if (spec.maxTimestamp !== undefined) maxTimestamp = spec.maxTimestamp;
  const attributes = batchAttributes(spec);
  const codec = (attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType;
  const lastOffsetDelta =
    spec.lastOffsetDelta ?? (records.length === 0 ? 0 : prepared[prepared.length - 1].offsetDelta);

  if (codec === 0 || records.length === 0) {
    // an empty batch has no records section even when compressed, as Kafka writes the empty
    // batches that compaction keeps to preserve producer state
    // uncompressed: write the records straight after the header, no intermediate buffer
    let recordsBytes = 0;
    for (const record of prepared) recordsBytes += varintBytes(record.bodyBytes) + record.bodyBytes;
    const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + recordsBytes);
    let at = BATCH_HEADER_BYTES;
    for (const record of prepared) at = writeRecord(out, at, record);
    writeHeader(out, spec, attributes, lastOffsetDelta, baseTimestamp, maxTimestamp, records.length);
    return out;
  }
  const section = compress(codec, encodeRecordsSection(prepared));
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + section.length);
  section.copy(out, BATCH_HEADER_BYTES);
  writeHeader(out, spec, attributes, lastOffsetDelta, baseTimestamp, maxTimestamp, records.length);
  return out;
}

function writeHeader(
  out: Buffer,
  spec: RecordBatchSpec,
  attributes: number,
  lastOffsetDelta: number,
  baseTimestamp: number,
  maxTimestamp: number,
  recordCount: number,
): void {
  checkSafeInteger(maxTimestamp, 'max timestamp');
  const baseOffset = spec.baseOffset ?? 0;
  checkSafeInteger(baseOffset, 'base offset');
  writeInt64Number(out, 0, baseOffset);
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD_BYTES, 8);
  out.writeInt32BE(spec.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, 12);
  out[16] = 2;
  out.writeInt16BE(attributes, BATCH_OFFSET_ATTRIBUTES);
  out.writeInt32BE(lastOffsetDelta, 23);
  writeInt64Number(out, 27, baseTimestamp);
  writeInt64Number(out, 35, maxTimestamp);
  out.writeBigInt64BE(BigInt(spec.producerId ?? -1), 43);
  out.writeInt16BE(spec.producerEpoch ?? NO_PRODUCER_EPOCH, 51);
  out.writeInt32BE(spec.baseSequence ?? NO_SEQUENCE, 53);
  out.writeInt32BE(recordCount, BATCH_OFFSET_RECORD_COUNT);
  out.writeUInt32BE(computeBatchCrc(out, 0, out.length - BATCH_LOG_OVERHEAD_BYTES), BATCH_OFFSET_CRC);
}

// ---------------------------------------------------------------------------------------------
// decoding

/** A cursor over a records section; every read is bounds-checked against `end`. */
class RecordCursor {
  readonly bytes: Buffer;
  at: number;
  /** Narrowed to one record's end while that record is read. */
  end: number;
  constructor(bytes: Buffer, at: number, end: number) {
    this.bytes = bytes;
    this.at = at;
    this.end = end;
  }

  fail(kind: 'truncated' | 'varint' | 'length' | 'value', message: string): never {
    throw new ProtocolDecodeError(kind, message, this.at);
  }

  /** Zig-zag varint (32-bit). */
  varint(): number {
    const bytes = this.bytes;
    let at = this.at;
    const end = this.end;
    if (at >= end) this.fail('truncated', 'record data ends inside a varint');
    let byte = bytes[at++];
    let raw = byte & 0x7f;
    if (byte & 0x80) {
      let shift = 7;
      do {
        if (at >= end) this.fail('truncated', 'record data ends inside a varint');
        if (shift > 28) this.fail('varint', 'varint is longer than 5 bytes');
        byte = bytes[at++];
        raw |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
    }
    this.at = at;
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zig-zag varlong as a safe integer. */
  varlong(): number {
    const bytes = this.bytes;
    let at = this.at;
    const end = this.end;
    let raw = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= end) this.fail('truncated', 'record data ends inside a varlong');
      const byte = bytes[at++];
      raw += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (raw > Number.MAX_SAFE_INTEGER) this.fail('value', 'varlong does not fit a safe integer');
        this.at = at;
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      multiplier *= 128;
    }
    return this.fail('varint', 'varlong is longer than 10 bytes');
  }

  nullableBytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) {
      if (length === -1) return null;
      this.fail('length', `invalid length ${length}`);
    }
    const at = this.at;
    if (length > this.end - at) this.fail('length', `length ${length} exceeds the ${this.end - at} bytes left`);
    this.at = at + length;
    return this.bytes.subarray(at, at + length);
  }

  headerKey(): string {
    const length = this.varint();
    const at = this.at;
    if (length < 0 || length > this.end - at) this.fail('length', `invalid header key length ${length}`);
    this.at = at + length;
    return length === 0 ? '' : this.bytes.toString('utf8', at, at + length);
  }
}

function readRecord(cursor: RecordCursor, baseOffset: number, baseTimestamp: number, logAppendTime: number): DecodedRecord {
  const bodyBytes = cursor.varint();
  const start = cursor.at;
  if (bodyBytes < 0 || bodyBytes > cursor.end - start) {
    cursor.fail('length', `record length ${bodyBytes} exceeds the ${cursor.end - start} bytes left`);
  }
  const bodyEnd = start + bodyBytes;
  const sectionEnd = cursor.end;
  const body = cursor;
  body.end = bodyEnd;
  if (bodyBytes < 1) body.fail('truncated', 'record has no attributes byte');
  const attributes = cursor.bytes[body.at++];
  const timestampDelta = body.varlong();
  const offsetDelta = body.varint();
  const key = body.nullableBytes();
  const value = body.nullableBytes();
  const headerCount = body.varint();
  let headers = EMPTY_HEADERS;
  if (headerCount !== 0) {
    // every header takes at least two bytes: reject a count the record cannot hold
    if (headerCount < 0 || headerCount * 2 > bodyEnd - body.at) body.fail('length', `invalid header count ${headerCount}`);
    headers = new Array<RecordHeader>(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const headerKey = body.headerKey();
      headers[h] = { key: headerKey, value: body.nullableBytes() };
    }
  }
  if (body.at !== bodyEnd) body.fail('length', `record has ${bodyEnd - body.at} trailing bytes`);
  cursor.end = sectionEnd;
  return {
    offset: baseOffset + offsetDelta,
    offsetDelta,
    timestamp: logAppendTime >= 0 ? logAppendTime : baseTimestamp + timestampDelta,
    timestampDelta,
    attributes,
    key,
    value,
    headers,
  };
}

/**
 * Decodes the records of the batch whose header is given. `buffer` holds the batch; compressed
 * sections are decompressed (capped), uncompressed ones are read in place (zero copy).
 */
export function decodeRecords(
  buffer: Buffer,
  header: RecordBatchHeader,
  options: DecodeRecordBatchOptions = {},
): DecodedRecord[] {
  const codec = (header.attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType;
  // like Kafka, a batch that declares no records has none, whatever its attributes say
  if (header.recordCount === 0) return [];
  const sectionStart = header.position + BATCH_HEADER_BYTES;
  const sectionEnd = header.position + BATCH_LOG_OVERHEAD_BYTES + header.batchLength;
  let cursor: RecordCursor;
  if (codec === 0) {
    cursor = new RecordCursor(buffer, sectionStart, sectionEnd);
  } else {
    if (codec > 4) throw new ProtocolDecodeError('compression', `unknown compression codec ${codec}`, header.position);
    const section = decompress(
      codec,
      buffer.subarray(sectionStart, sectionEnd),
      options.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX_DEFAULT,
    );
    cursor = new RecordCursor(section, 0, section.length);
  }
  const count = header.recordCount;
  // a record takes at least 7 bytes; a count the section cannot hold is rejected before allocating
  if (count < 0 || count * 7 > cursor.end - cursor.at) {
    throw new ProtocolDecodeError('length', `record count ${count} does not fit the batch`, header.position);
  }
  const logAppendTime = header.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND ? header.maxTimestamp : -1;
  const records = new Array<DecodedRecord>(count);
  for (let i = 0; i < count; i++) records[i] = readRecord(cursor, header.baseOffset, header.baseTimestamp, logAppendTime);
  if (cursor.at !== cursor.end) {
    throw new ProtocolDecodeError('length', `${cursor.end - cursor.at} bytes after the last record`, cursor.at);
  }
  return records;
}

/** Decodes the magic 2 batch at `position` in `buffer`, checking its CRC unless told not to. */
export function decodeRecordBatch(
  buffer: Buffer,
  position = 0,
  options: DecodeRecordBatchOptions = {},
): DecodedRecordBatch {
  const header = readBatchHeader(buffer, position);
  if (options.verifyCrc !== false) {
    const actual = computeBatchCrc(buffer, position, header.batchLength);
    if (actual !== header.crc) {
      throw new ProtocolDecodeError(
        'crc',
        `record batch CRC32C mismatch: stored 0x${header.crc.toString(16)}, computed 0x${actual.toString(16)}`,
        position,
      );
    }
  }
  const attributes = header.attributes;
  const batch = header as DecodedRecordBatch;
  batch.compression = (attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType;
  batch.timestampType = attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND ? 'log-append' : 'create';
  batch.isTransactional = (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0;
  batch.isControl = (attributes & ATTRIBUTE_CONTROL) !== 0;
  batch.hasDeleteHorizon = (attributes & ATTRIBUTE_DELETE_HORIZON) !== 0;
  batch.records = decodeRecords(buffer, header, options);
  return batch;
}
