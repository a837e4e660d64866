/**
 * Which partition of `__consumer_offsets` (or `__transaction_state`) holds a group's (or a
 * transactional id's) state: Kafka's `Utils.abs(key.hashCode()) % partitionCount`, with Java's
 * String.hashCode over UTF-16 code units, so a group lands on the same partition as in Kafka.
 */

/** Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index++) {
    hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  }
  return hash;
}

/** Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0 (not to itself). */
export function kafkaAbs(value: number): number {
  return value === -0x8000_0000 ? 0 : Math.abs(value);
}

export function partitionForKey(key: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount <= 0) {
    throw new RangeError(`partition count must be a positive integer, got ${partitionCount}`);
  }
  return kafkaAbs(javaStringHashCode(key)) % partitionCount;
}

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
