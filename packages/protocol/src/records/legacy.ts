/**
 * Legacy message sets, magic 0 and 1 (Kafka before 0.11), still sent by old Produce versions (v0-2)
 * and expected by old Fetch versions (v0-3). A message set is a sequence of
 *
 *   offset int64 | messageSize int32 | crc uint32 | magic int8 | attributes int8 |
 *   [timestamp int64, magic 1 only] | key bytes | value bytes
 *
 * with a CRC32 over magic..value. A compressed message is a "wrapper" whose value is a whole
 * compressed message set; in magic 1 the inner offsets are relative (0..n-1) and the wrapper
 * carries the absolute offset of the last inner message, in magic 0 they are absolute. Wrappers
 * never nest. Decoding flattens wrappers into their inner messages with absolute offsets.
 */
import { crc32 } from '../checksum/crc32.ts';
import { compress, decompress } from '../compression/codecs.ts';
import { DECOMPRESSED_BYTES_MAX_DEFAULT } from '../compression/errors.ts';
import { lz4Compress } from '../compression/lz4.ts';
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.ts';
import type { CompressionType } from './batch-header.ts';
import type { TimestampType } from './record-batch.ts';

export type LegacyMagic = 0 | 1;

/** Magic 0 messages carry no timestamp; Kafka reports -1 (RecordBatch.NO_TIMESTAMP). */
export const NO_TIMESTAMP = -1;
const ENTRY_OVERHEAD_BYTES = 12; // offset int64 + messageSize int32
const MESSAGE_CRC_BYTES = 4;
const MESSAGE_V0_MIN_BYTES = 14; // crc, magic, attributes, key length, value length
const MESSAGE_V1_MIN_BYTES = 22; // ... plus timestamp
const ATTRIBUTE_COMPRESSION_MASK = 0x07;
const ATTRIBUTE_LOG_APPEND_TIME = 0x08;

export interface LegacyMessage {
  offset: number;
  magic: LegacyMagic;
  /** Attributes of the message as stored (for inner messages: the inner message's own). */
  attributes: number;
  /** Codec of the wrapper the message came from (0 when it was not compressed). */
  compression: CompressionType;
  timestamp: number;
  timestampType: TimestampType;
  key: Buffer | null;
  value: Buffer | null;
}

export interface LegacyMessageSpec {
  key?: Uint8Array | string | null;
  value?: Uint8Array | string | null;
  timestamp?: number;
  /** Defaults to baseOffset + index. */
  offset?: number;
}

export interface LegacyMessageSetSpec {
  magic: LegacyMagic;
  compression?: CompressionType;
  baseOffset?: number;
  timestampType?: TimestampType;
  /** Wrapper timestamp for log-append time (defaults to the largest message timestamp). */
  logAppendTime?: number;
  messages: readonly LegacyMessageSpec[];
}

export interface LegacyDecodeOptions {
  verifyCrc?: boolean;
  decompressedBytesMax?: number;
}

export interface DecodedLegacyMessageSet {
  messages: LegacyMessage[];
  /** Where the last complete entry ends. */
  endPosition: number;
  /** Bytes of a trailing incomplete entry (a Fetch response may be cut there). */
  partialBytes: number;
}

// ---------------------------------------------------------------------------------------------
// encoding

function toBytes(value: Uint8Array | string | null | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function writeInt64Number(out: Buffer, at: number, value: number): void {
  const high = Math.floor(value / 0x1_0000_0000);
  out.writeInt32BE(high, at);
  out.writeUInt32BE(value - high * 0x1_0000_0000, at + 4);
}

/** One entry (offset, size, message) with its CRC. */
function encodeEntry(
  offset: number,
  magic: LegacyMagic,
  attributes: number,
  timestamp: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
): Buffer {
  const messageBytes =
    (magic === 1 ? MESSAGE_V1_MIN_BYTES : MESSAGE_V0_MIN_BYTES) + (key?.length ?? 0) + (value?.length ?? 0);
  const out = Buffer.allocUnsafe(ENTRY_OVERHEAD_BYTES + messageBytes);
  writeInt64Number(out, 0, offset);
  out.writeInt32BE(messageBytes, 8);
  let at = ENTRY_OVERHEAD_BYTES + MESSAGE_CRC_BYTES;
  out[at++] = magic;
  out[at++] = attributes;
  if (magic === 1) {
    writeInt64Number(out, at, timestamp);
    at += 8;
  }
  for (const field of [key, value]) {
    if (field === null) {
      out.writeInt32BE(-1, at);
      at += 4;
    } else {
      out.writeInt32BE(field.length, at);
      out.set(field, at + 4);
      at += 4 + field.length;
    }
  }
  out.writeUInt32BE(crc32(out, ENTRY_OVERHEAD_BYTES + MESSAGE_CRC_BYTES), ENTRY_OVERHEAD_BYTES);
  return out;
}

function checkLegacyCodec(magic: LegacyMagic, codec: number): void {
  if (!Number.isInteger(codec) || codec < 0 || codec > 3) {
    throw new ProtocolEncodeError(`compression ${codec} is not available in magic ${magic} message sets`);
  }
}

/** Encodes a message set; compressed sets become one wrapper message holding all messages. */
export function encodeLegacyMessageSet(spec: LegacyMessageSetSpec): Buffer {
  const { magic } = spec;
  if (magic !== 0 && magic !== 1) throw new ProtocolEncodeError(`legacy magic must be 0 or 1, got ${magic}`);
  const codec = spec.compression ?? 0;
  checkLegacyCodec(magic, codec);
  const baseOffset = spec.baseOffset ?? 0;
  const logAppend = magic === 1 && spec.timestampType === 'log-append';
  const timestampAttribute = logAppend ? ATTRIBUTE_LOG_APPEND_TIME : 0;
  const offsets = spec.messages.map((message, i) => message.offset ?? baseOffset + i);
  const timestampOf = (message: LegacyMessageSpec) => (magic === 0 ? NO_TIMESTAMP : (message.timestamp ?? NO_TIMESTAMP));
  if (codec === 0) {
    return Buffer.concat(
      spec.messages.map((message, i) =>
        encodeEntry(offsets[i], magic, timestampAttribute, timestampOf(message), toBytes(message.key), toBytes(message.value)),
      ),
    );
  }
  if (spec.messages.length === 0) return Buffer.alloc(0);
  // inner messages: relative offsets in magic 1, absolute in magic 0
  const firstOffset = offsets[0];
  const inner = Buffer.concat(
    spec.messages.map((message, i) =>
      encodeEntry(
        magic === 1 ? offsets[i] - firstOffset : offsets[i],
        magic,
        0,
        timestampOf(message),
        toBytes(message.key),
        toBytes(message.value),
      ),
    ),
  );
  const compressed =
    codec === 3 && magic === 0 ? lz4Compress(inner, { brokenHeaderChecksum: true }) : compress(codec as CompressionType, inner);
  let wrapperTimestamp = NO_TIMESTAMP;
  if (magic === 1) {
    wrapperTimestamp = spec.logAppendTime ?? Math.max(...spec.messages.map(timestampOf));
  }
  // both magics store the last inner offset on the wrapper (Kafka's log expects it there)
  const wrapperOffset = offsets[offsets.length - 1];
  return encodeEntry(wrapperOffset, magic, codec | timestampAttribute, wrapperTimestamp, null, compressed);
}

// ---------------------------------------------------------------------------------------------
// decoding

interface RawMessage {
  offset: number;
  magic: LegacyMagic;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function fail(kind: 'truncated' | 'length' | 'value' | 'crc', message: string, at: number): never {
  throw new ProtocolDecodeError(kind, message, at);
}

function readInt64Number(buffer: Buffer, at: number): number {
  const high = buffer.readInt32BE(at);
  if (high > 0x1fffff || high < -0x200000) fail('value', 'int64 does not fit a safe integer', at);
  return high * 0x1_0000_0000 + buffer.readUInt32BE(at + 4);
}

function readNullableBytes(buffer: Buffer, at: number, end: number): [Buffer | null, number] {
  if (at + 4 > end) fail('truncated', 'message ends inside a length', at);
  const length = buffer.readInt32BE(at);
  at += 4;
  if (length === -1) return [null, at];
  if (length < 0 || length > end - at) fail('length', `invalid bytes length ${length}`, at);
  return [buffer.subarray(at, at + length), at + length];
}

/** Reads the message occupying buffer[start, end). */
function readMessage(buffer: Buffer, offset: number, start: number, end: number, verifyCrc: boolean): RawMessage {
  if (end - start < MESSAGE_V0_MIN_BYTES) fail('length', `message of ${end - start} bytes is too short`, start);
  const magic = buffer[start + 4];
  if (magic !== 0 && magic !== 1) fail('value', `message magic ${magic} is not 0 or 1`, start);
  if (magic === 1 && end - start < MESSAGE_V1_MIN_BYTES) fail('length', 'magic 1 message too short', start);
  if (verifyCrc) {
    const stored = buffer.readUInt32BE(start);
    const actual = crc32(buffer, start + MESSAGE_CRC_BYTES, end);
    if (stored !== actual) fail('crc', `message CRC32 mismatch: stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}`, start);
  }
  const attributes = buffer[start + 5];
  let at = start + 6;
  let timestamp = NO_TIMESTAMP;
  if (magic === 1) {
    timestamp = readInt64Number(buffer, at);
    at += 8;
  }
  const [key, afterKey] = readNullableBytes(buffer, at, end);
  const [value, afterValue] = readNullableBytes(buffer, afterKey, end);
  if (afterValue !== end) fail('length', `message has ${end - afterValue} trailing bytes`, afterValue);
  return { offset, magic, attributes, timestamp, key, value };
}

/** Calls `visit` for each complete entry in buffer[start, end); returns [endPosition, partialBytes]. */
function readEntries(
  buffer: Buffer,
  start: number,
  end: number,
  verifyCrc: boolean,
  visit: (message: RawMessage) => void,
): [number, number] {
  let at = start;
  while (at < end) {
    const left = end - at;
    if (left < ENTRY_OVERHEAD_BYTES) return [at, left];
    const messageBytes = buffer.readInt32BE(at + 8);
    if (messageBytes < MESSAGE_V0_MIN_BYTES) fail('length', `message size ${messageBytes} is too small`, at);
    if (messageBytes > left - ENTRY_OVERHEAD_BYTES) return [at, left];
    const offset = readInt64Number(buffer, at);
    const messageStart = at + ENTRY_OVERHEAD_BYTES;
    visit(readMessage(buffer, offset, messageStart, messageStart + messageBytes, verifyCrc));
    at = messageStart + messageBytes;
  }
  return [at, 0];
}

function expandWrapper(wrapper: RawMessage, options: LegacyDecodeOptions, out: LegacyMessage[]): void {
  const codec = (wrapper.attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType;
  if (codec > 3) fail('value', `compression ${codec} is not valid in a magic ${wrapper.magic} message`, -1);
  if (wrapper.value === null) fail('value', 'compressed wrapper message has a null value', -1);
  const inner = decompress(codec, wrapper.value, options.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX_DEFAULT);
  const innerMessages: RawMessage[] = [];
  const [, partialBytes] = readEntries(inner, 0, inner.length, options.verifyCrc !== false, (message) => {
    if (message.attributes & ATTRIBUTE_COMPRESSION_MASK) fail('value', 'nested compressed message', -1);
    if (message.magic !== wrapper.magic) fail('value', 'inner message magic differs from its wrapper', -1);
    innerMessages.push(message);
  });
  if (partialBytes !== 0) fail('truncated', 'compressed message set ends inside a message', -1);
  if (innerMessages.length === 0) return;
  const logAppend = wrapper.magic === 1 && (wrapper.attributes & ATTRIBUTE_LOG_APPEND_TIME) !== 0;
  // magic 1: inner offsets are relative; the wrapper holds the absolute offset of the last one
  const shift = wrapper.magic === 1 ? wrapper.offset - innerMessages[innerMessages.length - 1].offset : 0;
  for (const message of innerMessages) {
    out.push({
      offset: message.offset + shift,
      magic: message.magic,
      attributes: message.attributes,
      compression: codec,
      timestamp: logAppend ? wrapper.timestamp : message.timestamp,
      timestampType: logAppend ? 'log-append' : 'create',
      key: message.key,
      value: message.value,
    });
  }
}

/**
 * Decodes a legacy message set, flattening compressed wrappers. A trailing partial entry is
 * reported, not an error; everything else malformed is a ProtocolDecodeError.
 */
export function decodeLegacyMessageSet(
  buffer: Buffer,
  options: LegacyDecodeOptions = {},
  position = 0,
  end = buffer.length,
): DecodedLegacyMessageSet {
  const messages: LegacyMessage[] = [];
  const [endPosition, partialBytes] = readEntries(buffer, position, end, options.verifyCrc !== false, (message) => {
    if (message.attributes & ATTRIBUTE_COMPRESSION_MASK) {
      expandWrapper(message, options, messages);
      return;
    }
    messages.push({
      offset: message.offset,
      magic: message.magic,
      attributes: message.attributes,
      compression: 0,
      timestamp: message.timestamp,
      timestampType: message.magic === 1 && message.attributes & ATTRIBUTE_LOG_APPEND_TIME ? 'log-append' : 'create',
      key: message.key,
      value: message.value,
    });
  });
  return { messages, endPosition, partialBytes };
}
