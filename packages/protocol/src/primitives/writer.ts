/**
 * Writes Kafka's primitive types into one growing buffer. Encoders build a whole message in one
 * Writer and take the bytes with `finish()`, so a response is one socket write.
 */
import { ProtocolEncodeError } from './errors.ts';
import type { TaggedField } from './reader.ts';
import { uuidToBytes, type Uuid } from './uuid.ts';

const INITIAL_CAPACITY_BYTES = 256;

export class Writer {
  private buffer: Buffer;
  offset = 0;

  constructor(initialCapacityBytes = INITIAL_CAPACITY_BYTES) {
    this.buffer = Buffer.allocUnsafe(Math.max(16, initialCapacityBytes));
  }

  /** Makes room for `byteCount` more bytes and returns the offset to write them at. */
  reserve(byteCount: number): number {
    const at = this.offset;
    const needed = at + byteCount;
    if (needed > this.buffer.length) {
      let capacity = this.buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.allocUnsafe(capacity);
      this.buffer.copy(grown, 0, 0, at);
      this.buffer = grown;
    }
    this.offset = needed;
    return at;
  }

  /** The bytes written so far, as a view (valid until the next write). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  int8(value: number): this {
    const at = this.reserve(1);
    this.buffer.writeInt8(value, at);
    return this;
  }

  uint8(value: number): this {
    const at = this.reserve(1);
    this.buffer[at] = value;
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  int16(value: number): this {
    const at = this.reserve(2);
    this.buffer.writeInt16BE(value, at);
    return this;
  }

  uint16(value: number): this {
    const at = this.reserve(2);
    this.buffer.writeUInt16BE(value, at);
    return this;
  }

  int32(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeInt32BE(value, at);
    return this;
  }

  uint32(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeUInt32BE(value, at);
    return this;
  }

  int64(value: bigint): this {
    const at = this.reserve(8);
    this.buffer.writeBigInt64BE(value, at);
    return this;
  }

  /** An int64 from a safe JS integer. */
  int64Number(value: number): this {
    const at = this.reserve(8);
    const high = Math.floor(value / 0x1_0000_0000);
    this.buffer.writeInt32BE(high, at);
    this.buffer.writeUInt32BE(value - high * 0x1_0000_0000, at + 4);
    return this;
  }

  float64(value: number): this {
    const at = this.reserve(8);
    this.buffer.writeDoubleBE(value, at);
    return this;
  }

  uuid(value: Uuid): this {
    return this.raw(uuidToBytes(value));
  }

  /** Overwrites an int32 at an earlier position (length prefixes, CRCs). */
  patchInt32(position: number, value: number): this {
    this.buffer.writeInt32BE(value, position);
    return this;
  }

  patchUint32(position: number, value: number): this {
    this.buffer.writeUInt32BE(value, position);
    return this;
  }

  uvarint(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new ProtocolEncodeError(`unsigned varint out of range: ${value}`);
    }
    let remaining = value >>> 0;
    while (remaining >= 0x80) {
      this.uint8((remaining & 0x7f) | 0x80);
      remaining >>>= 7;
    }
    return this.uint8(remaining);
  }

  varint(value: number): this {
    return this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  varlong(value: bigint): this {
    let raw = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    while (raw >= 0x80n) {
      this.uint8(Number(raw & 0x7fn) | 0x80);
      raw >>= 7n;
    }
    return this.uint8(Number(raw));
  }

  /** A varlong from a safe JS integer, without BigInt (record hot paths). */
  varlongNumber(value: number): this {
    // zig-zag doubles the magnitude: beyond 2^52 a double cannot hold it exactly
    if (value > 0xf_ffff_ffff_ffff || value < -0xf_ffff_ffff_ffff) return this.varlong(BigInt(value));
    let raw = value >= 0 ? value * 2 : -value * 2 - 1;
    while (raw >= 0x80) {
      this.uint8((raw % 0x80) | 0x80);
      raw = Math.floor(raw / 0x80);
    }
    return this.uint8(raw);
  }

  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
    return this;
  }

  private utf8(value: string, byteLength: number): this {
    const at = this.reserve(byteLength);
    this.buffer.write(value, at, byteLength, 'utf8');
    return this;
  }

  string(value: string): this {
    const byteLength = Buffer.byteLength(value, 'utf8');
    if (byteLength > 0x7fff) throw new ProtocolEncodeError(`string of ${byteLength} bytes exceeds int16 length`);
    return this.int16(byteLength).utf8(value, byteLength);
  }

  nullableString(value: string | null): this {
    return value === null ? this.int16(-1) : this.string(value);
  }

  compactString(value: string): this {
    const byteLength = Buffer.byteLength(value, 'utf8');
    return this.uvarint(byteLength + 1).utf8(value, byteLength);
  }

  compactNullableString(value: string | null): this {
    return value === null ? this.uvarint(0) : this.compactString(value);
  }

  bytes(value: Uint8Array): this {
    return this.int32(value.length).raw(value);
  }

  nullableBytes(value: Uint8Array | null): this {
    return value === null ? this.int32(-1) : this.bytes(value);
  }

  compactBytes(value: Uint8Array): this {
    return this.uvarint(value.length + 1).raw(value);
  }

  compactNullableBytes(value: Uint8Array | null): this {
    return value === null ? this.uvarint(0) : this.compactBytes(value);
  }

  array<T>(items: readonly T[], writeElement: (writer: Writer, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) writeElement(this, item);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, writeElement: (writer: Writer, item: T) => void): this {
    return items === null ? this.int32(-1) : this.array(items, writeElement);
  }

  compactArray<T>(items: readonly T[], writeElement: (writer: Writer, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) writeElement(this, item);
    return this;
  }

  compactNullableArray<T>(items: readonly T[] | null, writeElement: (writer: Writer, item: T) => void): this {
    return items === null ? this.uvarint(0) : this.compactArray(items, writeElement);
  }

  /**
   * A tagged-field section: `fields` must be sorted by tag (the generator emits them in order,
   * and unknown fields kept from decoding are merged in by the caller).
   */
  taggedFields(fields: readonly TaggedField[]): this {
    this.uvarint(fields.length);
    for (const field of fields) {
      this.uvarint(field.tag).uvarint(field.data.length).raw(field.data);
    }
    return this;
  }

  /** Writes a tagged field whose body is produced by `writeBody`, with its size prefix. */
  taggedField(tag: number, writeBody: (writer: Writer) => void): this {
    const body = new Writer(64);
    writeBody(body);
    const bytes = body.finish();
    return this.uvarint(tag).uvarint(bytes.length).raw(bytes);
  }
}
