/**
 * The sparse per-segment indexes, in Kafka's on-disk formats:
 *   .index      8-byte entries: int32 offset relative to the segment's base, int32 file position
 *   .timeindex 12-byte entries: int64 timestamp, int32 relative offset
 * Entries live in growable typed arrays while loaded; `persistedEntries` counts those already on
 * disk so a flush writes only the tail. An active segment's files are preallocated to
 * segment.index.bytes (sparse) and trimmed on roll / close, as Kafka does; a loader therefore
 * stops at the first entry that does not increase (the preallocated zeros).
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;
export const TIME_INDEX_ENTRY_BYTES = 12;
const INITIAL_CAPACITY_ENTRIES = 16;

function grown<T extends Int32Array | Float64Array>(array: T, needed: number, make: (size: number) => T): T {
  if (needed <= array.length) return array;
  const next = make(Math.max(needed, array.length * 2));
  next.set(array);
  return next;
}

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex {
  readonly baseOffset: number;
  readonly maxEntries: number;
  #relativeOffsets = new Int32Array(INITIAL_CAPACITY_ENTRIES);
  #positions = new Int32Array(INITIAL_CAPACITY_ENTRIES);
  #count = 0;
  /** Entries [0, persistedEntries) are on disk. */
  persistedEntries = 0;

  constructor(baseOffset: number, maxIndexBytes: number) {
    this.baseOffset = baseOffset;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / OFFSET_INDEX_ENTRY_BYTES));
  }

  get entries(): number {
    return this.#count;
  }

  get isFull(): boolean {
    return this.#count >= this.maxEntries;
  }

  get sizeBytes(): number {
    return this.#count * OFFSET_INDEX_ENTRY_BYTES;
  }

  entry(index: number): OffsetPosition {
    return { offset: this.baseOffset + this.#relativeOffsets[index], position: this.#positions[index] };
  }

  lastEntry(): OffsetPosition | undefined {
    return this.#count === 0 ? undefined : this.entry(this.#count - 1);
  }

  /** Adds an entry; offsets and positions must increase (a programmer error otherwise). */
  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    if (this.#count > 0) {
      const last = this.#count - 1;
      if (relative <= this.#relativeOffsets[last] || position <= this.#positions[last]) {
        throw new Error(`offset index of ${this.baseOffset}: entry (${offset}, ${position}) does not increase`);
      }
    }
    this.#relativeOffsets = grown(this.#relativeOffsets, this.#count + 1, (n) => new Int32Array(n));
    this.#positions = grown(this.#positions, this.#count + 1, (n) => new Int32Array(n));
    this.#relativeOffsets[this.#count] = relative;
    this.#positions[this.#count] = position;
    this.#count++;
  }

  /** The last entry whose offset ≤ `offset`, or (baseOffset, 0) when there is none. */
  lookup(offset: number): OffsetPosition {
    const relative = offset - this.baseOffset;
    let low = 0;
    let high = this.#count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.#relativeOffsets[middle] <= relative) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(found);
  }

  /** Removes entries with offset ≥ `offset`. */
  truncateToOffset(offset: number): void {
    const relative = offset - this.baseOffset;
    while (this.#count > 0 && this.#relativeOffsets[this.#count - 1] >= relative) this.#count--;
    this.persistedEntries = Math.min(this.persistedEntries, this.#count);
  }

  reset(): void {
    this.#count = 0;
    this.persistedEntries = 0;
  }

  /** Encodes entries [from, to) in the file format. */
  encode(from = 0, to = this.#count): Buffer {
    const bytes = Buffer.allocUnsafe((to - from) * OFFSET_INDEX_ENTRY_BYTES);
    for (let index = from; index < to; index++) {
      const at = (index - from) * OFFSET_INDEX_ENTRY_BYTES;
      bytes.writeInt32BE(this.#relativeOffsets[index], at);
      bytes.writeInt32BE(this.#positions[index], at + 4);
    }
    return bytes;
  }

  /**
   * Loads entries from file bytes, stopping at the first entry that does not increase or points
   * at or past `logSizeBytes` (stale entries after a crash); those are dropped.
   * Returns true when every whole entry was accepted.
   */
  load(bytes: Buffer, logSizeBytes: number): boolean {
    this.reset();
    const count = Math.floor(bytes.length / OFFSET_INDEX_ENTRY_BYTES);
    let clean = bytes.length % OFFSET_INDEX_ENTRY_BYTES === 0;
    for (let index = 0; index < count; index++) {
      const at = index * OFFSET_INDEX_ENTRY_BYTES;
      const relative = bytes.readInt32BE(at);
      const position = bytes.readInt32BE(at + 4);
      const last = this.#count - 1;
      const increases = this.#count === 0 ? relative >= 0 && position > 0 : relative > this.#relativeOffsets[last] && position > this.#positions[last];
      if (!increases || position >= logSizeBytes) {
        // Zero padding of a preallocated file is expected; anything else is damage.
        if (!(relative === 0 && position === 0)) clean = false;
        break;
      }
      this.append(this.baseOffset + relative, position);
    }
    this.persistedEntries = this.#count;
    return clean;
  }
}

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex {
  readonly baseOffset: number;
  readonly maxEntries: number;
  #timestamps = new Float64Array(INITIAL_CAPACITY_ENTRIES);
  #relativeOffsets = new Int32Array(INITIAL_CAPACITY_ENTRIES);
  #count = 0;
  persistedEntries = 0;

  constructor(baseOffset: number, maxIndexBytes: number) {
    this.baseOffset = baseOffset;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / TIME_INDEX_ENTRY_BYTES));
  }

  get entries(): number {
    return this.#count;
  }

  get isFull(): boolean {
    return this.#count >= this.maxEntries;
  }

  get sizeBytes(): number {
    return this.#count * TIME_INDEX_ENTRY_BYTES;
  }

  entry(index: number): TimestampOffset {
    return { timestamp: this.#timestamps[index], offset: this.baseOffset + this.#relativeOffsets[index] };
  }

  lastEntry(): TimestampOffset | undefined {
    return this.#count === 0 ? undefined : this.entry(this.#count - 1);
  }

  /** Appends when `timestamp` is larger than the last entry's (Kafka's maybeAppend). */
  maybeAppend(timestamp: number, offset: number): void {
    if (this.#count > 0) {
      const last = this.#count - 1;
      if (timestamp <= this.#timestamps[last]) return;
      if (offset - this.baseOffset < this.#relativeOffsets[last]) return;
    }
    if (this.isFull) return;
    this.#timestamps = grown(this.#timestamps, this.#count + 1, (n) => new Float64Array(n));
    this.#relativeOffsets = grown(this.#relativeOffsets, this.#count + 1, (n) => new Int32Array(n));
    this.#timestamps[this.#count] = timestamp;
    this.#relativeOffsets[this.#count] = offset - this.baseOffset;
    this.#count++;
  }

  /** The last entry with timestamp ≤ `timestamp`, or (-1, baseOffset) when none. */
  lookup(timestamp: number): TimestampOffset {
    let low = 0;
    let high = this.#count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.#timestamps[middle] <= timestamp) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(found);
  }

  /** Removes entries with offset ≥ `offset`. */
  truncateToOffset(offset: number): void {
    const relative = offset - this.baseOffset;
    while (this.#count > 0 && this.#relativeOffsets[this.#count - 1] >= relative) this.#count--;
    this.persistedEntries = Math.min(this.persistedEntries, this.#count);
  }

  reset(): void {
    this.#count = 0;
    this.persistedEntries = 0;
  }

  encode(from = 0, to = this.#count): Buffer {
    const bytes = Buffer.allocUnsafe((to - from) * TIME_INDEX_ENTRY_BYTES);
    for (let index = from; index < to; index++) {
      const at = (index - from) * TIME_INDEX_ENTRY_BYTES;
      bytes.writeBigInt64BE(BigInt(this.#timestamps[index]), at);
      bytes.writeInt32BE(this.#relativeOffsets[index], at + 8);
    }
    return bytes;
  }

  /** Loads entries, stopping at the first that does not increase or lies at/after `nextOffset`. */
  load(bytes: Buffer, nextOffset: number): boolean {
    this.reset();
    const count = Math.floor(bytes.length / TIME_INDEX_ENTRY_BYTES);
    let clean = bytes.length % TIME_INDEX_ENTRY_BYTES === 0;
    for (let index = 0; index < count; index++) {
      const at = index * TIME_INDEX_ENTRY_BYTES;
      const timestamp = Number(bytes.readBigInt64BE(at));
      const relative = bytes.readInt32BE(at + 8);
      const last = this.#count - 1;
      const increases = this.#count === 0 ? relative >= 0 : timestamp > this.#timestamps[last] && relative >= this.#relativeOffsets[last];
      if (!increases || this.baseOffset + relative >= nextOffset) {
        if (!(timestamp === 0 && relative === 0)) clean = false;
        break;
      }
      this.maybeAppend(timestamp, this.baseOffset + relative);
    }
    this.persistedEntries = this.#count;
    return clean;
  }
}
