/**
 * Test support (imported only by tests): fast-check arbitraries for any generated message at any
 * version, built from the generated schema description, so that tests cover every field of
 * every version without hand-written fixtures. Fields absent from the version hold their
 * defaults (what a decoder fills in), so an encode/decode round trip must be the identity.
 */
import fc from 'fast-check';
import { ZERO_UUID } from '../primitives/uuid.ts';
import type { FieldSchema, MessageSchema, VersionTuple } from './generated/schemas.ts';

/** Array lengths shrink with nesting depth so deep messages stay small. */
const ARRAY_LENGTH_MAX_BY_DEPTH = [3, 2, 2, 1];
const STRING_LENGTH_MAX = 12;
const BYTES_LENGTH_MAX = 16;

function inTuple(range: VersionTuple | null | undefined, version: number): boolean {
  return range !== null && range !== undefined && version >= range[0] && version <= range[1];
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inTuple(schema.flexibleVersions, version);
}

type Presence = 'absent' | 'plain' | 'tagged';

export function fieldPresence(schema: MessageSchema, field: FieldSchema, version: number): Presence {
  if (!inTuple(field.versions, version)) return 'absent';
  if (inTuple(field.taggedVersions, version)) return isFlexible(schema, version) ? 'tagged' : 'absent';
  return 'plain';
}

/** The value a decoder fills in for a field the version does not carry. */
export function defaultValue(schema: MessageSchema, field: FieldSchema): unknown {
  if ('default' in field && field.default !== undefined) return field.default;
  const type = field.type;
  if (type.startsWith('[]')) return [];
  if (type.startsWith('struct:')) return defaultStruct(schema, type.slice('struct:'.length));
  switch (type) {
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    default:
      throw new Error(`${schema.name}.${field.name}: no default for ${type}`);
  }
}

export function defaultStruct(schema: MessageSchema, typeName: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of schema.structs[typeName]) out[field.name] = defaultValue(schema, field);
  return out;
}

const utf8String = fc.oneof(
  fc.string({ maxLength: STRING_LENGTH_MAX }),
  fc.string({ maxLength: STRING_LENGTH_MAX / 2, unit: 'grapheme' }),
);
const bytes = fc.uint8Array({ maxLength: BYTES_LENGTH_MAX }).map((a) => Buffer.from(a));
const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a).toString('base64url'));

function primitiveArbitrary(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'string':
      return utf8String;
    case 'bytes':
    case 'records':
      return bytes;
    case 'uuid':
      return uuid;
    default:
      throw new Error(`unknown primitive ${type}`);
  }
}

/** Sorted, distinct tags above any Kafka defines, with small payloads. */
const unknownTaggedFields = fc
  .uniqueArray(fc.integer({ min: 1000, max: 1010 }), { maxLength: 2 })
  .chain((tags) =>
    fc.tuple(...tags.sort((a, b) => a - b).map((tag) => bytes.map((data) => ({ tag, data })))),
  );

export function messageArbitrary(schema: MessageSchema, version: number): fc.Arbitrary<Record<string, unknown>> {
  return structArbitrary(schema, schema.name, version, 0);
}

function structArbitrary(
  schema: MessageSchema,
  typeName: string,
  version: number,
  depth: number,
): fc.Arbitrary<Record<string, unknown>> {
  const fields = schema.structs[typeName];
  if (!fields) throw new Error(`${schema.name}: no struct ${typeName}`);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of fields) {
    const presence = fieldPresence(schema, field, version);
    if (presence === 'absent') {
      model[field.name] = fc.constant(null).map(() => defaultValue(schema, field));
      continue;
    }
    let value = typeArbitrary(schema, field.type, version, depth);
    if (inTuple(field.nullableVersions, version)) value = fc.option(value, { nil: null, freq: 4 });
    if (presence === 'tagged') {
      // tagged fields are mostly left at their default, which is never sent
      value = fc.oneof(fc.constant(null).map(() => defaultValue(schema, field)), value);
    }
    model[field.name] = value;
  }
  const struct = fc.record(model);
  if (!isFlexible(schema, version)) return struct;
  return fc.tuple(struct, fc.option(unknownTaggedFields, { nil: undefined, freq: 3 })).map(([value, unknown]) =>
    unknown !== undefined && unknown.length > 0 ? { ...value, unknownTaggedFields: unknown } : value,
  );
}

function typeArbitrary(schema: MessageSchema, type: string, version: number, depth: number): fc.Arbitrary<unknown> {
  if (type.startsWith('[]')) {
    const element = typeArbitrary(schema, type.slice(2), version, depth + 1);
    const lengthMax = ARRAY_LENGTH_MAX_BY_DEPTH[Math.min(depth, ARRAY_LENGTH_MAX_BY_DEPTH.length - 1)];
    return fc.array(element, { maxLength: lengthMax });
  }
  if (type.startsWith('struct:')) return structArbitrary(schema, type.slice('struct:'.length), version, depth);
  return primitiveArbitrary(type);
}
