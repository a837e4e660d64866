/**
 * Byte-moving helpers shared by the LZ4 and snappy codecs. They use DataView 32-bit accesses,
 * which V8 compiles to single unaligned loads and stores: several times faster than byte loops.
 */

/**
 * copyMatch in 4-byte steps through `view` when the offset is at least 4 (each step then reads
 * only bytes already written, so an overlapping copy still repeats its pattern) and the
 * overshoot of up to 3 bytes stays below `limit`; it is overwritten by what follows.
 */
export function copyMatchWild(
  out: Uint8Array,
  view: DataView,
  op: number,
  offset: number,
  length: number,
  limit: number,
): number {
  if (offset >= 4 && length <= 64 && op + length + 4 <= limit) {
    const from = op - offset;
    let k = 0;
    do {
      view.setInt32(op + k, view.getInt32(from + k, true), true);
      k += 4;
    } while (k < length);
    return op + length;
  }
  return copyMatch(out, op, offset, length);
}

/**
 * Copies `length` bytes from `offset` back. An overlapping copy repeats a pattern of `offset`
 * bytes; it is done with native copies of doubling size rather than byte by byte.
 */
export function copyMatch(out: Uint8Array, op: number, offset: number, length: number): number {
  const from = op - offset;
  if (length <= 16) {
    for (let i = 0; i < length; i++) out[op + i] = out[from + i];
    return op + length;
  }
  if (offset >= length) {
    out.copyWithin(op, from, from + length);
    return op + length;
  }
  const end = op + length;
  let at = op;
  while (at < end) {
    // [from, at) is a whole number of periods, so copying it onward continues the pattern
    const chunk = Math.min(at - from, end - at);
    out.copyWithin(at, from, from + chunk);
    at += chunk;
  }
  return end;
}

/**
 * How many bytes match between input[candidate...] and input[ip...] (candidate < ip), up to
 * `end`: 4 bytes per step, and the first differing byte found from the XOR's lowest set bit.
 */
export function matchLengthFrom(input: Uint8Array, view: DataView, candidate: number, ip: number, end: number): number {
  let matched = 0;
  const wordLimit = end - ip - 4;
  while (matched <= wordLimit) {
    const difference = view.getInt32(candidate + matched, true) ^ view.getInt32(ip + matched, true);
    if (difference !== 0) return matched + ((31 - Math.clz32(difference & -difference)) >>> 3);
    matched += 4;
  }
  while (ip + matched < end && input[candidate + matched] === input[ip + matched]) matched++;
  return matched;
}

/** Compressors write into one shared scratch buffer kept up to this size between calls. */
const SCRATCH_RETAINED_BYTES_MAX = 8 * 1024 * 1024;
let scratch = Buffer.allocUnsafe(256 * 1024);

/**
 * A scratch buffer of at least `byteCount` bytes, valid until the next call. Compressors size
 * their output for the worst case; writing there and copying out the exact result keeps a small
 * compressed buffer from pinning a worst-case-sized allocation.
 */
export function compressionScratch(byteCount: number): Buffer {
  if (byteCount <= scratch.length) return scratch;
  const grown = Buffer.allocUnsafe(byteCount);
  if (byteCount <= SCRATCH_RETAINED_BYTES_MAX) scratch = grown;
  return grown;
}

/** An exact-size copy of scratch[0, length). */
export function copyOut(from: Buffer, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  from.copy(out, 0, 0, length);
  return out;
}
