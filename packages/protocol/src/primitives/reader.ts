/**
 * Reads Kafka's primitive types from a byte buffer (big-endian; see the protocol guide's
 * "Protocol Primitive Types"). Every length is checked against the bytes left *before*
 * anything is allocated (CVE-2022-34917), and every failure is a ProtocolDecodeError.
 * Byte fields are returned as zero-copy views (`subarray`) of the input.
 */
import { ProtocolDecodeError } from './errors.ts';
import { uuidFromBytes, type Uuid } from './uuid.ts';

export interface TaggedField {
  tag: number;
  data: Buffer;
}

export class Reader {
  readonly buffer: Buffer;
  offset: number;
  /** One past the last byte this reader may consume. */
  readonly end: number;

  constructor(buffer: Uint8Array, offset = 0, end = buffer.length) {
    this.buffer = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless `byteCount` more bytes are available; returns the current offset. */
  ensure(byteCount: number, what = 'field'): number {
    if (byteCount > this.end - this.offset) {
      throw new ProtocolDecodeError(
        'truncated',
        `truncated input: ${what} needs ${byteCount} bytes, ${this.end - this.offset} left`,
        this.offset,
      );
    }
    return this.offset;
  }

  int8(): number {
    const at = this.ensure(1, 'int8');
    this.offset = at + 1;
    return this.buffer.readInt8(at);
  }

  uint8(): number {
    const at = this.ensure(1, 'uint8');
    this.offset = at + 1;
    return this.buffer[at];
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    const at = this.ensure(2, 'int16');
    this.offset = at + 2;
    return this.buffer.readInt16BE(at);
  }

  uint16(): number {
    const at = this.ensure(2, 'uint16');
    this.offset = at + 2;
    return this.buffer.readUInt16BE(at);
  }

  int32(): number {
    const at = this.ensure(4, 'int32');
    this.offset = at + 4;
    return this.buffer.readInt32BE(at);
  }

  uint32(): number {
    const at = this.ensure(4, 'uint32');
    this.offset = at + 4;
    return this.buffer.readUInt32BE(at);
  }

  int64(): bigint {
    const at = this.ensure(8, 'int64');
    this.offset = at + 8;
    return this.buffer.readBigInt64BE(at);
  }

  /** An int64 that must fit a JS number exactly (offsets, timestamps on hot paths). */
  int64Number(): number {
    const at = this.ensure(8, 'int64');
    this.offset = at + 8;
    const high = this.buffer.readInt32BE(at);
    const low = this.buffer.readUInt32BE(at + 4);
    if (high > 0x1fffff || high < -0x200000) {
      throw new ProtocolDecodeError('value', 'int64 value does not fit a safe integer', at);
    }
    return high * 0x1_0000_0000 + low;
  }

  float64(): number {
    const at = this.ensure(8, 'float64');
    this.offset = at + 8;
    return this.buffer.readDoubleBE(at);
  }

  uuid(): Uuid {
    const at = this.ensure(16, 'uuid');
    this.offset = at + 16;
    return uuidFromBytes(this.buffer.subarray(at, at + 16));
  }

  /** Unsigned LEB128 varint, at most 5 bytes (32 bits). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.uint8();
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new ProtocolDecodeError('varint', 'unsigned varint is longer than 5 bytes', this.offset);
  }

  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const raw = this.uvarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zig-zag signed varlong (64 bits), at most 10 bytes. */
  varlong(): bigint {
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.uint8();
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        raw = BigInt.asUintN(64, raw);
        return (raw >> 1n) ^ -(raw & 1n);
      }
    }
    throw new ProtocolDecodeError('varint', 'varlong is longer than 10 bytes', this.offset);
  }

  /** A varlong that must fit a JS number exactly; much faster than varlong() on record hot paths. */
  varlongNumber(): number {
    let raw = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.uint8();
      raw += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (raw > Number.MAX_SAFE_INTEGER) {
          // the zig-zag form of a safe integer near the limit can exceed 2^53: redo it exactly
          this.offset -= i + 1;
          const exact = this.varlong();
          if (exact > BigInt(Number.MAX_SAFE_INTEGER) || exact < BigInt(Number.MIN_SAFE_INTEGER)) {
            throw new ProtocolDecodeError('value', 'varlong value does not fit a safe integer', this.offset);
          }
          return Number(exact);
        }
        // zig-zag without 32-bit bit operators
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      multiplier *= 128;
    }
    throw new ProtocolDecodeError('varint', 'varlong is longer than 10 bytes', this.offset);
  }

  /** `byteCount` raw bytes as a zero-copy view. */
  raw(byteCount: number): Buffer {
    if (byteCount < 0) throw new ProtocolDecodeError('length', `negative length ${byteCount}`, this.offset);
    const at = this.ensure(byteCount, 'bytes');
    this.offset = at + byteCount;
    return this.buffer.subarray(at, at + byteCount);
  }

  skip(byteCount: number): void {
    this.raw(byteCount);
  }

  private checkedLength(length: number, nullable: boolean, what: string): number {
    if (length < 0) {
      if (nullable && length === -1) return -1;
      throw new ProtocolDecodeError('length', `invalid ${what} length ${length}`, this.offset);
    }
    if (length > this.end - this.offset) {
      throw new ProtocolDecodeError(
        'length',
        `${what} length ${length} exceeds the ${this.end - this.offset} bytes left`,
        this.offset,
      );
    }
    return length;
  }

  private utf8(length: number): string {
    const at = this.offset;
    this.offset = at + length;
    return this.buffer.toString('utf8', at, at + length);
  }

  string(): string {
    return this.utf8(this.checkedLength(this.int16(), false, 'string'));
  }

  nullableString(): string | null {
    const length = this.checkedLength(this.int16(), true, 'string');
    return length === -1 ? null : this.utf8(length);
  }

  compactString(): string {
    return this.utf8(this.checkedLength(this.uvarint() - 1, false, 'compact string'));
  }

  compactNullableString(): string | null {
    const length = this.checkedLength(this.uvarint() - 1, true, 'compact string');
    return length === -1 ? null : this.utf8(length);
  }

  bytes(): Buffer {
    return this.raw(this.checkedLength(this.int32(), false, 'bytes'));
  }

  nullableBytes(): Buffer | null {
    const length = this.checkedLength(this.int32(), true, 'bytes');
    return length === -1 ? null : this.raw(length);
  }

  compactBytes(): Buffer {
    return this.raw(this.checkedLength(this.uvarint() - 1, false, 'compact bytes'));
  }

  compactNullableBytes(): Buffer | null {
    const length = this.checkedLength(this.uvarint() - 1, true, 'compact bytes');
    return length === -1 ? null : this.raw(length);
  }

  /**
   * An element count for an array. Every element takes at least one byte on the wire... except
   * structs with no fields, which Kafka never defines; so a count larger than the bytes left is
   * rejected up front, as Kafka's own readers do.
   */
  arrayLength(): number {
    return this.checkedLength(this.int32(), false, 'array');
  }

  nullableArrayLength(): number {
    return this.checkedLength(this.int32(), true, 'array');
  }

  compactArrayLength(): number {
    return this.checkedLength(this.uvarint() - 1, false, 'compact array');
  }

  compactNullableArrayLength(): number {
    return this.checkedLength(this.uvarint() - 1, true, 'compact array');
  }

  array<T>(readElement: (reader: Reader) => T): T[] {
    const count = this.arrayLength();
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readElement(this);
    return items;
  }

  nullableArray<T>(readElement: (reader: Reader) => T): T[] | null {
    const count = this.nullableArrayLength();
    if (count === -1) return null;
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readElement(this);
    return items;
  }

  compactArray<T>(readElement: (reader: Reader) => T): T[] {
    const count = this.compactArrayLength();
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readElement(this);
    return items;
  }

  compactNullableArray<T>(readElement: (reader: Reader) => T): T[] | null {
    const count = this.compactNullableArrayLength();
    if (count === -1) return null;
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readElement(this);
    return items;
  }

  /**
   * A tagged-field section (flexible versions). `readKnown` is called for each tag with a reader
   * limited to that field's bytes and returns true if it consumed the tag; unknown tags are
   * returned raw so they can be preserved or ignored.
   */
  taggedFields(readKnown?: (tag: number, field: Reader) => boolean): readonly TaggedField[] {
    const count = this.uvarint();
    if (count > this.end - this.offset) {
      throw new ProtocolDecodeError('length', `tagged field count ${count} exceeds the bytes left`, this.offset);
    }
    let unknown: TaggedField[] | undefined;
    let previousTag = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= previousTag) {
        throw new ProtocolDecodeError('value', `tagged fields out of order: ${tag} after ${previousTag}`, this.offset);
      }
      previousTag = tag;
      const size = this.checkedLength(this.uvarint(), false, 'tagged field');
      const start = this.offset;
      const fieldReader = new Reader(this.buffer, start, start + size);
      if (readKnown?.(tag, fieldReader)) {
        if (fieldReader.offset !== fieldReader.end) {
          throw new ProtocolDecodeError('length', `tagged field ${tag} has ${fieldReader.remaining} trailing bytes`, start);
        }
      } else {
        (unknown ??= []).push({ tag, data: this.buffer.subarray(start, start + size) });
      }
      this.offset = start + size;
    }
    return unknown ?? EMPTY_TAGGED_FIELDS;
  }
}

const EMPTY_TAGGED_FIELDS: readonly TaggedField[] = Object.freeze([]);
