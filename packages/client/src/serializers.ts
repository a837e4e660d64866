/**
 * Serializers turn user values into record bytes and back. The seed tutorial's
 * `value_serializer=lambda v: json.dumps(v).encode()` becomes `serializers: { value: json }`.
 */
export type Serializer<T> = (value: T, topic: string) => Buffer | null;
export type Deserializer<T> = (bytes: Buffer | null, topic: string) => T;

export interface Serializers<K, V> {
  key?: Serializer<K>;
  value?: Serializer<V>;
}

export interface Deserializers<K, V> {
  key?: Deserializer<K>;
  value?: Deserializer<V>;
}

function toBuffer(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new TypeError(`cannot send a ${typeof value} without a serializer (use serializers.json or a custom one)`);
}

export const serializers = {
  /** Buffers, Uint8Arrays and strings as they are; the default when none is given. */
  raw: ((value: unknown) => toBuffer(value)) as Serializer<unknown>,
  string: ((value: string | null) => (value === null ? null : Buffer.from(value, 'utf8'))) as Serializer<string | null>,
  json: ((value: unknown) => (value === undefined ? null : Buffer.from(JSON.stringify(value), 'utf8'))) as Serializer<unknown>,
} as const;

export const deserializers = {
  /** The record bytes as a Buffer (zero-copy view of the fetch response); the default. */
  raw: ((bytes: Buffer | null) => bytes) as Deserializer<Buffer | null>,
  string: ((bytes: Buffer | null) => (bytes === null ? null : bytes.toString('utf8'))) as Deserializer<string | null>,
  json: ((bytes: Buffer | null) => (bytes === null ? null : JSON.parse(bytes.toString('utf8')))) as Deserializer<unknown>,
} as const;

export function serializeWith<T>(serializer: Serializer<T> | undefined, value: T, topic: string): Buffer | null {
  return serializer ? serializer(value, topic) : toBuffer(value);
}
