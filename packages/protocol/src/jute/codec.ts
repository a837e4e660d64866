/**
 * Jute, ZooKeeper's record serialization: big-endian int32/int64, booleans as one byte,
 * `ustring` and `buffer` as an int32 length (-1 = null) and the bytes, `vector<T>` as an int32
 * count (-1 = null) and the elements, records as their fields in declaration order.
 *
 * Every record codec here is built from a small schema (`juteRecord`) so encoders, decoders and
 * the property tests' value generators all come from one description of the layout.
 */
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.ts';
import type { Reader } from '../primitives/reader.ts';
import type { Writer } from '../primitives/writer.ts';

/** ZooKeeper's default jute.maxbuffer (0xfffff): the largest znode payload and frame it accepts. */
export const JUTE_MAX_BUFFER_BYTES = 0xfffff;

export type JuteKind = 'int' | 'long' | 'bool' | 'ustring' | 'buffer' | 'vector' | 'record';

export interface JuteCodec<T> {
  readonly kind: JuteKind;
  readonly name: string;
  encode(writer: Writer, value: T): void;
  decode(reader: Reader): T;
  /** For vectors: the element codec. */
  readonly element?: JuteCodec<unknown>;
  /** For records: the field codecs in wire order. */
  readonly fields?: ReadonlyArray<readonly [string, JuteCodec<unknown>]>;
}

export const juteInt: JuteCodec<number> = {
  kind: 'int',
  name: 'int',
  encode: (writer, value) => void writer.int32(value),
  decode: (reader) => reader.int32(),
};

export const juteLong: JuteCodec<bigint> = {
  kind: 'long',
  name: 'long',
  encode: (writer, value) => void writer.int64(value),
  decode: (reader) => reader.int64(),
};

export const juteBool: JuteCodec<boolean> = {
  kind: 'bool',
  name: 'boolean',
  encode: (writer, value) => void writer.int8(value ? 1 : 0),
  decode: (reader) => reader.int8() !== 0,
};

/** Reads an int32 length that must be -1 (null, when allowed) or fit in the bytes left. */
function readLength(reader: Reader, nullable: boolean, what: string): number {
  const at = reader.offset;
  const length = reader.int32();
  if (length === -1 && nullable) return -1;
  if (length < 0) throw new ProtocolDecodeError('length', `invalid ${what} length ${length}`, at);
  if (length > reader.remaining) {
    throw new ProtocolDecodeError('length', `${what} length ${length} exceeds the ${reader.remaining} bytes left`, at);
  }
  return length;
}

/** Writes a jute ustring (int32 length + UTF-8). */
export function writeJuteString(writer: Writer, value: string): void {
  const byteLength = Buffer.byteLength(value, 'utf8');
  const at = writer.reserve(4 + byteLength);
  writer.patchInt32(at, byteLength);
  const target = writer.finish();
  target.write(value, at + 4, byteLength, 'utf8');
}

/**
 * Reads a jute ustring. A null (-1) reads as the empty string: kazoo writes every empty string
 * as -1 (e.g. the id of an `auth` ACL), Java reads it as null, and ZooKeeper treats both alike
 * in every record we use.
 */
export function readJuteString(reader: Reader): string {
  const length = readLength(reader, true, 'ustring');
  return length === -1 ? '' : reader.raw(length).toString('utf8');
}

/** A ustring (paths, schemes, ids); null on the wire decodes as ''. */
export const juteString: JuteCodec<string> = {
  kind: 'ustring',
  name: 'ustring',
  encode: writeJuteString,
  decode: readJuteString,
};

export function writeJuteBuffer(writer: Writer, value: Uint8Array | null): void {
  if (value === null) {
    writer.int32(-1);
    return;
  }
  writer.int32(value.length).raw(value);
}

export function readJuteBuffer(reader: Reader): Buffer | null {
  const length = readLength(reader, true, 'buffer');
  return length === -1 ? null : reader.raw(length);
}

/** A jute buffer; null (length -1) is kept distinct from empty, as ZooKeeper does for znode data. */
export const juteBuffer: JuteCodec<Buffer | null> = {
  kind: 'buffer',
  name: 'buffer',
  encode: writeJuteBuffer,
  decode: readJuteBuffer,
};

/**
 * A jute vector. A null vector (-1) decodes as empty: ZooKeeper never sends one in the records
 * we use and treats both alike. A count larger than the bytes left is rejected up front (every
 * element takes at least one byte).
 */
export function juteVector<T>(element: JuteCodec<T>): JuteCodec<T[]> {
  return {
    kind: 'vector',
    name: `vector<${element.name}>`,
    element: element as JuteCodec<unknown>,
    encode(writer, values) {
      writer.int32(values.length);
      for (const value of values) element.encode(writer, value);
    },
    decode(reader) {
      const count = readLength(reader, true, 'vector');
      if (count === -1) return [];
      const values: T[] = new Array(count);
      for (let i = 0; i < count; i++) values[i] = element.decode(reader);
      return values;
    },
  };
}

export type JuteFields<T> = { [K in keyof T]-?: JuteCodec<T[K]> };

/** A record codec from its fields, in wire order (object key order). */
export function juteRecord<T extends object>(name: string, fields: JuteFields<T>): JuteCodec<T> {
  const entries = Object.entries(fields) as Array<[string, JuteCodec<unknown>]>;
  return {
    kind: 'record',
    name,
    fields: entries,
    encode(writer, value) {
      const source = value as Record<string, unknown>;
      for (const [key, codec] of entries) {
        const fieldValue = source[key];
        if (fieldValue === undefined) throw new ProtocolEncodeError(`${name}.${key} is missing`);
        codec.encode(writer, fieldValue);
      }
    },
    decode(reader) {
      const result: Record<string, unknown> = {};
      for (const [key, codec] of entries) result[key] = codec.decode(reader);
      return result as T;
    },
  };
}
