/**
 * Small helpers shared by the generated codecs: the parts of tagged-field handling and error
 * reporting that are the same for every message. Kept out of the generated files so those stay
 * straight-line field code.
 */
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.ts';
import { Reader, type TaggedField } from '../primitives/reader.ts';
import type { Writer } from '../primitives/writer.ts';

/** Shared empty byte array for bytes fields at their default (never written into). */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export function unsupportedDecodeVersion(messageName: string, version: number): ProtocolDecodeError {
  return new ProtocolDecodeError('version', `${messageName} has no version ${version}`);
}

export function unsupportedEncodeVersion(messageName: string, version: number): ProtocolEncodeError {
  return new ProtocolEncodeError(`${messageName} has no version ${version}`);
}

/** Kafka refuses to silently drop a non-ignorable field that the target version cannot carry. */
export function fieldNotInVersion(structName: string, fieldName: string, versions: string): ProtocolEncodeError {
  return new ProtocolEncodeError(
    `${structName}.${fieldName} is set to a non-default value but versions ${versions} do not carry it`,
  );
}

/** Reads the tagged-field count; each field takes at least two bytes (tag and size). */
export function readTagCount(reader: Reader): number {
  const count = reader.uvarint();
  if (count * 2 > reader.remaining) {
    throw new ProtocolDecodeError('length', `tagged field count ${count} exceeds the bytes left`, reader.offset);
  }
  return count;
}

/** Reads a tagged field's size and returns the offset one past its data. */
export function readTaggedFieldEnd(reader: Reader): number {
  const size = reader.uvarint();
  if (size > reader.remaining) {
    throw new ProtocolDecodeError('length', `tagged field size ${size} exceeds the bytes left`, reader.offset);
  }
  return reader.offset + size;
}

export function checkTagOrder(tag: number, previousTag: number, reader: Reader): void {
  if (tag <= previousTag) {
    throw new ProtocolDecodeError('value', `tagged fields out of order: ${tag} after ${previousTag}`, reader.offset);
  }
}

/** A reader confined to one tagged field's bytes, so a bad field cannot read past its size. */
export function taggedFieldReader(reader: Reader, end: number): Reader {
  return new Reader(reader.buffer, reader.offset, end);
}

export function checkTaggedFieldConsumed(field: Reader, tag: number): void {
  if (field.offset !== field.end) {
    throw new ProtocolDecodeError('length', `tagged field ${tag} has ${field.remaining} trailing bytes`, field.offset);
  }
}

/** The tagged-field section of a struct that defines no tags in this version: all are unknown. */
export function readUnknownTaggedFields(reader: Reader): TaggedField[] | undefined {
  // nearly every section is empty: a single zero byte
  const at = reader.offset;
  if (at < reader.end && reader.buffer[at] === 0) {
    reader.offset = at + 1;
    return undefined;
  }
  const count = readTagCount(reader);
  if (count === 0) return undefined;
  const unknown: TaggedField[] = [];
  let previousTag = -1;
  for (let i = 0; i < count; i++) {
    const tag = reader.uvarint();
    checkTagOrder(tag, previousTag, reader);
    previousTag = tag;
    const end = readTaggedFieldEnd(reader);
    unknown.push({ tag, data: reader.buffer.subarray(reader.offset, end) });
    reader.offset = end;
  }
  return unknown;
}

/** A nullable struct (non-tagged) is preceded by an int8: negative means null. */
export function readStructPresence(reader: Reader): boolean {
  return reader.int8() >= 0;
}

/** A nullable struct inside a tagged field is preceded by an unsigned varint: 0 means null. */
export function readTaggedStructPresence(reader: Reader): boolean {
  return reader.uvarint() > 0;
}

/** Writes only the unknown tagged fields kept from decoding (the struct has no known ones set). */
export function writeUnknownTaggedFields(writer: Writer, unknown: readonly TaggedField[] | undefined): void {
  if (unknown === undefined || unknown.length === 0) writer.uint8(0);
  else writer.taggedFields(sortedTaggedFields(unknown));
}

/** Writes known tagged fields (ascending) merged with unknown ones; a tag may not appear twice. */
export function writeTaggedFields(
  writer: Writer,
  known: TaggedField[] | undefined,
  unknown: readonly TaggedField[] | undefined,
): void {
  if (unknown === undefined || unknown.length === 0) {
    if (known === undefined) writer.uint8(0);
    else writer.taggedFields(known);
    return;
  }
  if (known === undefined) {
    writer.taggedFields(sortedTaggedFields(unknown));
    return;
  }
  const merged = sortedTaggedFields([...known, ...unknown]);
  writer.taggedFields(merged);
}

function sortedTaggedFields(fields: readonly TaggedField[]): readonly TaggedField[] {
  let sorted = true;
  for (let i = 1; i < fields.length; i++) {
    if (fields[i].tag === fields[i - 1].tag) throw new ProtocolEncodeError(`tagged field ${fields[i].tag} appears twice`);
    if (fields[i].tag < fields[i - 1].tag) sorted = false;
  }
  if (sorted) return fields;
  const copy = [...fields].sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < copy.length; i++) {
    if (copy[i].tag === copy[i - 1].tag) throw new ProtocolEncodeError(`tagged field ${copy[i].tag} appears twice`);
  }
  return copy;
}

/** A field typed nullable that the chosen version cannot carry as null. */
export function requireNonNull<T>(value: T | null, what: string): T {
  if (value === null) throw new ProtocolEncodeError(`${what} may not be null in this version`);
  return value;
}
