/**
 * murmur2 exactly as Kafka's Java client computes it (`Utils.murmur2`): 32-bit signed arithmetic,
 * seed 0x9747b28c, little-endian 4-byte words, and Java's tail handling. The default partitioner
 * of the Java client (and of librdkafka's `murmur2_random`) maps a key to
 * `(murmur2(key) & 0x7fffffff) % partitionCount`; matching it keeps keyed records on the same
 * partition whichever client produced them.
 */
const SEED = 0x9747b28c;
const MIX = 0x5bd1e995;
const SHIFT = 24;

/** Signed 32-bit murmur2 of `bytes` (the value Java's Utils.murmur2 returns). */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length;
  let hash = SEED ^ length;
  const wordEnd = length - (length & 3);
  for (let i = 0; i < wordEnd; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, MIX);
    k ^= k >>> SHIFT;
    k = Math.imul(k, MIX);
    hash = Math.imul(hash, MIX) ^ k;
  }
  // Java's switch falls through: each trailing byte is mixed in, then one multiply
  const tail = length & 3;
  if (tail !== 0) {
    if (tail === 3) hash ^= bytes[wordEnd + 2] << 16;
    if (tail >= 2) hash ^= bytes[wordEnd + 1] << 8;
    hash ^= bytes[wordEnd];
    hash = Math.imul(hash, MIX);
  }
  hash ^= hash >>> 13;
  hash = Math.imul(hash, MIX);
  hash ^= hash >>> 15;
  return hash | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit rather than taking an absolute value. */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

/** The partition the Java client's default partitioner picks for a non-null key. */
export function javaDefaultPartition(keyBytes: Uint8Array | string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount <= 0) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  const bytes = typeof keyBytes === 'string' ? Buffer.from(keyBytes, 'utf8') : keyBytes;
  return toPositive(murmur2(bytes)) % partitionCount;
}
