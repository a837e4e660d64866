/**
 * One log segment: `<base>.log` (batches as on the wire), `<base>.index`, `<base>.timeindex`,
 * `<base>.txnindex`. The active segment keeps its file open and its indexes in memory (written to
 * disk on flush, roll and close); inactive segments open their file and load their indexes on
 * demand, through LRU pools that bound memory and descriptors.
 */
import * as path from 'node:path';
import {
  ATTRIBUTE_CONTROL,
  ATTRIBUTE_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  computeBatchCrc,
  decodeRecords,
  readBatchHeader,
  type RecordBatchHeader,
} from '@kafkaesque/protocol';
import type { LogFile, LogFs } from './fs.ts';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex, TIME_INDEX_ENTRY_BYTES, TimeIndex } from './indexes.ts';
import type { LruPool, Releasable } from './lru.ts';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
export const TXN_INDEX_FILE_SUFFIX = '.txnindex';
export const DELETED_FILE_SUFFIX = '.deleted';
export const CLEANED_FILE_SUFFIX = '.cleaned';
export const SWAP_FILE_SUFFIX = '.swap';
/** Reads while scanning batch headers are this large (bounded memory per scan). */
const SCAN_CHUNK_BYTES = 64 * 1024;
/** Recovery reads this much at a time; a larger batch is read on its own. */
const RECOVERY_CHUNK_BYTES = 1024 * 1024;
/** Kafka's aborted-transaction index entry: version int16, pid, first, last, lastStable int64. */
export const TXN_INDEX_ENTRY_BYTES = 34;
const INT32_MAX = 2 ** 31 - 1;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

/** A batch's summary, from its header; all the log needs for indexes and producer state. */
export interface BatchSummary {
  /** Position in the segment file (or buffer). */
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  attributes: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function summarize(header: RecordBatchHeader, position = header.position): BatchSummary {
  return {
    position,
    sizeBytes: header.batchLength + BATCH_LOG_OVERHEAD_BYTES,
    baseOffset: header.baseOffset,
    lastOffset: header.baseOffset + header.lastOffsetDelta,
    maxTimestamp: header.maxTimestamp,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    attributes: header.attributes,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    recordCount: header.recordCount,
  };
}

export function isControl(batch: BatchSummary): boolean {
  return (batch.attributes & ATTRIBUTE_CONTROL) !== 0;
}

export function isTransactional(batch: BatchSummary): boolean {
  return (batch.attributes & ATTRIBUTE_TRANSACTIONAL) !== 0;
}

export interface AbortedTxnEntry {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export function encodeAbortedTxns(entries: readonly AbortedTxnEntry[]): Buffer {
  const bytes = Buffer.alloc(entries.length * TXN_INDEX_ENTRY_BYTES);
  entries.forEach((entry, index) => {
    const at = index * TXN_INDEX_ENTRY_BYTES;
    bytes.writeInt16BE(0, at);
    bytes.writeBigInt64BE(entry.producerId, at + 2);
    bytes.writeBigInt64BE(BigInt(entry.firstOffset), at + 10);
    bytes.writeBigInt64BE(BigInt(entry.lastOffset), at + 18);
    bytes.writeBigInt64BE(BigInt(entry.lastStableOffset), at + 26);
  });
  return bytes;
}

export function decodeAbortedTxns(bytes: Buffer): AbortedTxnEntry[] {
  const entries: AbortedTxnEntry[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_BYTES <= bytes.length; at += TXN_INDEX_ENTRY_BYTES) {
    if (bytes.readInt16BE(at) !== 0) break;
    entries.push({
      producerId: bytes.readBigInt64BE(at + 2),
      firstOffset: Number(bytes.readBigInt64BE(at + 10)),
      lastOffset: Number(bytes.readBigInt64BE(at + 18)),
      lastStableOffset: Number(bytes.readBigInt64BE(at + 26)),
    });
  }
  return entries;
}

export interface SegmentContext {
  fs: LogFs;
  dir: string;
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  indexPool: LruPool;
  filePool: LruPool;
}

/** Outcome of scanning a segment's bytes during recovery. */
export interface RecoveryOutcome {
  validBytes: number;
  truncatedBytes: number;
  /** Why the scan stopped before the end, when it did. */
  corruption?: string;
}

export class LogSegment {
  readonly baseOffset: number;
  readonly #context: SegmentContext;
  /** Bytes of whole, valid batches. */
  sizeBytes: number;
  /** Offset after the last batch (for inactive segments loaded from disk: lazily computed). */
  #nextOffset: number | undefined;
  /** Bytes up to which the .log file is fsynced. */
  flushedSizeBytes: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  #maxTimestampKnown: boolean;
  /** First batch's max timestamp, the base of segment.ms rolling (Kafka's rollingBasedTimestamp). */
  rollingBaseTimestamp = -1;
  readonly createdMs: number;
  #bytesSinceLastIndexEntry = 0;
  #offsetIndex: OffsetIndex | undefined;
  #timeIndex: TimeIndex | undefined;
  #abortedTxns: AbortedTxnEntry[] = [];
  #abortedTxnsPersisted = 0;
  /** After a truncation the index files hold stale entries: the next write trims them. */
  #trimIndexesOnPersist = false;
  #file: LogFile | undefined;
  #fileUsers = 0;
  /** Loads / rebuilds in progress: the LRU pool must not unload the indexes under them. */
  #indexUsers = 0;
  #active = false;
  #deleted = false;
  readonly #indexHandle: Releasable;
  readonly #fileHandle: Releasable;

  constructor(context: SegmentContext, baseOffset: number, sizeBytes: number, createdMs: number, nextOffset?: number) {
    this.#context = context;
    this.baseOffset = baseOffset;
    this.sizeBytes = sizeBytes;
    this.flushedSizeBytes = sizeBytes;
    this.createdMs = createdMs;
    this.#nextOffset = nextOffset;
    this.#maxTimestampKnown = sizeBytes === 0;
    this.#indexHandle = { release: () => this.#unloadIndexes() };
    this.#fileHandle = { release: () => this.#closeIdleFile() };
  }

  /** The active segment's indexes are always in memory (appends extend them): never pooled. */
  get active(): boolean {
    return this.#active;
  }

  set active(value: boolean) {
    this.#active = value;
    if (value) this.#context.indexPool.forget(this.#indexHandle);
  }

  path(suffix: string): string {
    return path.join(this.#context.dir, segmentFileName(this.baseOffset, suffix));
  }

  get logPath(): string {
    return this.path(LOG_FILE_SUFFIX);
  }

  /** Creates the files of a new, empty segment (removing stale ones). */
  static async create(context: SegmentContext, baseOffset: number, nowMs: number): Promise<LogSegment> {
    const segment = new LogSegment(context, baseOffset, 0, nowMs, baseOffset);
    for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX]) {
      await context.fs.unlink(segment.path(suffix));
    }
    segment.#offsetIndex = new OffsetIndex(baseOffset, context.segmentIndexBytes);
    segment.#timeIndex = new TimeIndex(baseOffset, context.segmentIndexBytes);
    segment.active = true;
    segment.#file = await context.fs.open(segment.logPath, 'write');
    context.filePool.touch(segment.#fileHandle);
    await segment.#preallocateIndexes();
    return segment;
  }

  /** Opens an existing segment file (indexes are loaded lazily). */
  static async open(context: SegmentContext, baseOffset: number, nowMs: number): Promise<LogSegment> {
    const probe = new LogSegment(context, baseOffset, 0, nowMs);
    const file = await context.fs.open(probe.logPath, 'write');
    const size = await file.sizeBytes();
    const segment = new LogSegment(context, baseOffset, size, nowMs);
    segment.#file = file;
    context.filePool.touch(segment.#fileHandle);
    const txnBytes = await context.fs.readFile(segment.path(TXN_INDEX_FILE_SUFFIX));
    if (txnBytes) {
      segment.#abortedTxns = decodeAbortedTxns(txnBytes);
      segment.#abortedTxnsPersisted = segment.#abortedTxns.length;
    }
    return segment;
  }

  // -------------------------------------------------------------------------------------------
  // files and indexes

  async #preallocateIndexes(): Promise<void> {
    const bytes = this.#context.segmentIndexBytes;
    for (const [suffix, entryBytes] of [[INDEX_FILE_SUFFIX, OFFSET_INDEX_ENTRY_BYTES], [TIME_INDEX_FILE_SUFFIX, TIME_INDEX_ENTRY_BYTES]] as const) {
      const file = await this.#context.fs.open(this.path(suffix), 'write');
      try {
        await file.truncate(bytes - (bytes % entryBytes));
      } finally {
        await file.close();
      }
    }
  }

  async #withFile<T>(use: (file: LogFile) => Promise<T>): Promise<T> {
    if (this.#deleted && !this.#file) throw new Error(`segment ${this.logPath} was deleted`);
    this.#fileUsers++;
    try {
      if (!this.#file) this.#file = await this.#context.fs.open(this.logPath, 'write');
      this.#context.filePool.touch(this.#fileHandle);
      return await use(this.#file);
    } finally {
      this.#fileUsers--;
    }
  }

  /** LRU release: even the active segment's file may close when idle (reopened on next use). */
  #closeIdleFile(): boolean {
    if (this.#fileUsers > 0 || !this.#file) return !this.#file;
    const file = this.#file;
    this.#file = undefined;
    file.close().catch(() => {});
    return true;
  }

  #unloadIndexes(): boolean {
    if (this.active || this.#indexUsers > 0) return false;
    const offsetIndex = this.#offsetIndex;
    const timeIndex = this.#timeIndex;
    if (offsetIndex && offsetIndex.persistedEntries !== offsetIndex.entries) return false;
    if (timeIndex && timeIndex.persistedEntries !== timeIndex.entries) return false;
    this.#offsetIndex = undefined;
    this.#timeIndex = undefined;
    return true;
  }

  /** Loads the indexes from disk when not in memory; rebuilds them when damaged or missing. */
  async #indexes(): Promise<{ offsetIndex: OffsetIndex; timeIndex: TimeIndex }> {
    this.#indexUsers++;
    try {
      return await this.#loadIndexes();
    } finally {
      this.#indexUsers--;
    }
  }

  async #loadIndexes(): Promise<{ offsetIndex: OffsetIndex; timeIndex: TimeIndex }> {
    if (!this.#offsetIndex || !this.#timeIndex) {
      const offsetIndex = new OffsetIndex(this.baseOffset, this.#context.segmentIndexBytes);
      const timeIndex = new TimeIndex(this.baseOffset, this.#context.segmentIndexBytes);
      const offsetBytes = await this.#context.fs.readFile(this.path(INDEX_FILE_SUFFIX));
      const timeBytes = await this.#context.fs.readFile(this.path(TIME_INDEX_FILE_SUFFIX));
      const nextOffset = this.#nextOffset ?? Number.MAX_SAFE_INTEGER;
      const offsetClean = offsetBytes !== undefined && offsetIndex.load(offsetBytes, this.sizeBytes);
      const timeClean = timeBytes !== undefined && timeIndex.load(timeBytes, nextOffset);
      this.#offsetIndex = offsetIndex;
      this.#timeIndex = timeIndex;
      if ((!offsetClean || !timeClean) && this.sizeBytes > 0) await this.rebuildIndexes();
    }
    // Callers keep these objects even if the pool unloads the fields later (reads only).
    const loaded = { offsetIndex: this.#offsetIndex!, timeIndex: this.#timeIndex! };
    if (!this.active) this.#context.indexPool.touch(this.#indexHandle);
    return loaded;
  }

  /** Rebuilds both indexes (and max timestamp) from the batches, then writes them. */
  async rebuildIndexes(): Promise<void> {
    this.#indexUsers++;
    try {
      await this.#rebuildIndexes();
    } finally {
      this.#indexUsers--;
    }
  }

  async #rebuildIndexes(): Promise<void> {
    const offsetIndex = new OffsetIndex(this.baseOffset, this.#context.segmentIndexBytes);
    const timeIndex = new TimeIndex(this.baseOffset, this.#context.segmentIndexBytes);
    this.#offsetIndex = offsetIndex;
    this.#timeIndex = timeIndex;
    this.#resetTimestamps();
    this.#bytesSinceLastIndexEntry = 0;
    let last: BatchSummary | undefined;
    await this.scanBatches(0, (batch) => {
      this.#indexBatch(batch);
      last = batch;
      return true;
    });
    this.#nextOffset = last ? last.lastOffset + 1 : this.#nextOffset ?? this.baseOffset;
    if (!this.active) {
      timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      await this.persistIndexes(true);
    }
  }

  #resetTimestamps(): void {
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.rollingBaseTimestamp = -1;
    this.#maxTimestampKnown = true;
  }

  /** Index entry per index.interval.bytes, per batch, keyed by the batch's last offset (Kafka). */
  #indexBatch(batch: BatchSummary): void {
    if (this.rollingBaseTimestamp < 0 && batch.position === 0) this.rollingBaseTimestamp = batch.maxTimestamp;
    if (batch.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = batch.maxTimestamp;
      this.offsetOfMaxTimestamp = batch.lastOffset;
    }
    if (this.#bytesSinceLastIndexEntry > this.#context.indexIntervalBytes) {
      this.#offsetIndex!.append(batch.lastOffset, batch.position);
      this.#timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.#bytesSinceLastIndexEntry = 0;
    }
    this.#bytesSinceLastIndexEntry += batch.sizeBytes;
  }

  /** Writes index entries not yet on disk; `trim` cuts the preallocated tail (roll / close). */
  async persistIndexes(trim: boolean): Promise<void> {
    const offsetIndex = this.#offsetIndex;
    const timeIndex = this.#timeIndex;
    trim ||= this.#trimIndexesOnPersist;
    this.#trimIndexesOnPersist = false;
    if (offsetIndex) await this.#persistIndex(INDEX_FILE_SUFFIX, offsetIndex, OFFSET_INDEX_ENTRY_BYTES, trim);
    if (timeIndex) await this.#persistIndex(TIME_INDEX_FILE_SUFFIX, timeIndex, TIME_INDEX_ENTRY_BYTES, trim);
    if (this.#abortedTxnsPersisted !== this.#abortedTxns.length) await this.#writeTxnIndex();
  }

  async #persistIndex(suffix: string, index: OffsetIndex | TimeIndex, entryBytes: number, trim: boolean): Promise<void> {
    const from = index.persistedEntries;
    const to = index.entries;
    if (from === to && !trim) return;
    const file = await this.#context.fs.open(this.path(suffix), 'write');
    try {
      if (to > from) await writeFully(file, index.encode(from, to), from * entryBytes);
      if (trim) await file.truncate(to * entryBytes);
      await file.sync();
    } finally {
      await file.close();
    }
    index.persistedEntries = to;
  }

  async #writeTxnIndex(): Promise<void> {
    if (this.#abortedTxns.length === 0) {
      // Kafka creates .txnindex only once a transaction aborts in the segment.
      await this.#context.fs.unlink(this.path(TXN_INDEX_FILE_SUFFIX));
      this.#abortedTxnsPersisted = 0;
      return;
    }
    const file = await this.#context.fs.open(this.path(TXN_INDEX_FILE_SUFFIX), 'write');
    try {
      const bytes = encodeAbortedTxns(this.#abortedTxns);
      await file.truncate(0);
      if (bytes.length > 0) await writeFully(file, bytes, 0);
      await file.sync();
    } finally {
      await file.close();
    }
    this.#abortedTxnsPersisted = this.#abortedTxns.length;
  }

  // -------------------------------------------------------------------------------------------
  // state

  /** Offset after the last batch; computed from the index tail and a scan when unknown. */
  async nextOffset(): Promise<number> {
    if (this.#nextOffset !== undefined) return this.#nextOffset;
    const { offsetIndex } = await this.#indexes();
    const start = offsetIndex.lastEntry()?.position ?? 0;
    let next = this.baseOffset;
    await this.scanBatches(start, (batch) => {
      next = batch.lastOffset + 1;
      return true;
    });
    this.#nextOffset = Math.max(next, offsetIndex.lastEntry() ? offsetIndex.lastEntry()!.offset + 1 : next);
    return this.#nextOffset;
  }

  get knownNextOffset(): number | undefined {
    return this.#nextOffset;
  }

  set knownNextOffset(offset: number | undefined) {
    this.#nextOffset = offset;
  }

  /** Largest timestamp in the segment, from the time index when not known. */
  async largestTimestamp(): Promise<number> {
    if (!this.#maxTimestampKnown) {
      const { timeIndex } = await this.#indexes();
      const last = timeIndex.lastEntry();
      if (last && last.timestamp > this.maxTimestamp) {
        this.maxTimestamp = last.timestamp;
        this.offsetOfMaxTimestamp = last.offset;
      }
      this.#maxTimestampKnown = true;
    }
    return this.maxTimestamp;
  }

  get abortedTxns(): readonly AbortedTxnEntry[] {
    return this.#abortedTxns;
  }

  addAbortedTxn(entry: AbortedTxnEntry): void {
    this.#abortedTxns.push(entry);
  }

  /**
   * Whether the next append of `bytes` ending at `lastOffset` must go to a new segment;
   * synchronous while the indexes are in memory (always, for the active segment).
   */
  needsRoll(bytes: number, lastOffset: number, segmentBytes: number): boolean | Promise<boolean> {
    if (this.sizeBytes === 0) return false;
    if (this.sizeBytes + bytes > segmentBytes) return true;
    if (lastOffset - this.baseOffset > INT32_MAX) return true;
    if (this.#offsetIndex && this.#timeIndex) return this.#offsetIndex.isFull || this.#timeIndex.isFull;
    return this.#indexes().then(({ offsetIndex, timeIndex }) => offsetIndex.isFull || timeIndex.isFull);
  }

  // -------------------------------------------------------------------------------------------
  // append and read

  /** Writes `bytes` (whole batches summarised by `batches`) at the end of the .log file. */
  /**
   * Writes `bytes` at the end and commits them (size, indexes). `verify`, when given, runs while
   * the write is in flight (the CPU check overlaps the disk write); if it reports a problem the
   * bytes are cut off again and never become part of the segment — nothing reads past
   * `sizeBytes`, and recovery would cut a CRC-invalid tail anyway.
   */
  async append<Problem>(bytes: Buffer, batches: readonly BatchSummary[], verify?: () => Problem | undefined): Promise<Problem | undefined> {
    if (!this.#offsetIndex || !this.#timeIndex) await this.#indexes();
    const position = this.sizeBytes;
    const writing = this.#file && !this.#deleted ? this.#writeOpen(this.#file, bytes, position) : this.#withFile((file) => writeFully(file, bytes, position));
    let problem: Problem | undefined;
    try {
      problem = verify?.();
    } finally {
      await writing;
    }
    if (problem !== undefined) {
      await this.#withFile((file) => file.truncate(position));
      return problem;
    }
    this.sizeBytes = position + bytes.length;
    for (const batch of batches) this.#indexBatch({ ...batch, position: position + batch.position });
    const last = batches[batches.length - 1];
    if (last) this.#nextOffset = last.lastOffset + 1;
    return undefined;
  }

  /**
   * The append's write on the open file with no wrapper turns: the write is issued right now
   * (before the caller's CRC check starts), a short write continues through writeFully.
   */
  #writeOpen(file: LogFile, bytes: Buffer, position: number): Promise<void> {
    this.#fileUsers++;
    this.#context.filePool.touch(this.#fileHandle);
    return file
      .write(bytes, 0, bytes.length, position)
      .then((count) => (count === bytes.length ? undefined : count > 0 ? writeFully(file, bytes.subarray(count), position + count) : Promise.reject(Object.assign(new Error('write made no progress'), { code: 'EIO' }))))
      .finally(() => {
        this.#fileUsers--;
      });
  }

  async readBytes(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    const read = await this.#withFile((file) => readFully(file, buffer, position));
    return read === length ? buffer : buffer.subarray(0, read);
  }

  /**
   * Calls `visit` with each batch from `startPosition` until it returns false or the valid bytes
   * end. Reads SCAN_CHUNK_BYTES at a time; only headers are looked at.
   */
  async scanBatches(startPosition: number, visit: (batch: BatchSummary) => boolean): Promise<void> {
    let position = startPosition;
    const chunk = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
    while (position + BATCH_HEADER_BYTES <= this.sizeBytes) {
      const length = Math.min(SCAN_CHUNK_BYTES, this.sizeBytes - position);
      const read = await this.#withFile((file) => readFully(file, chunk, position, length));
      let at = 0;
      while (at + BATCH_HEADER_BYTES <= read) {
        const summary = summarizeAt(chunk, at, position + at);
        if (!summary || summary.position + summary.sizeBytes > this.sizeBytes) return;
        if (!visit(summary)) return;
        at += summary.sizeBytes;
      }
      if (at === 0) return;
      position += at;
    }
  }

  /** Position of the first batch whose last offset ≥ `offset`, with its summary. */
  async translateOffset(offset: number, startPosition?: number): Promise<BatchSummary | undefined> {
    const { offsetIndex } = await this.#indexes();
    const start = Math.max(startPosition ?? 0, offsetIndex.lookup(offset).position);
    let found: BatchSummary | undefined;
    await this.scanBatches(start, (batch) => {
      if (batch.lastOffset >= offset) {
        found = batch;
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * Whole batches from the one holding `offset`: while they end below `maxOffset` and fit in
   * `maxBytes` (the first one regardless when `minOneBatch`).
   */
  async read(offset: number, maxBytes: number, maxOffset: number, minOneBatch: boolean): Promise<{ records: Buffer; firstBatchOffset: number } | undefined> {
    const first = await this.translateOffset(offset);
    if (!first) return undefined;
    const none = { records: Buffer.alloc(0), firstBatchOffset: -1 };
    if (first.lastOffset >= maxOffset) return none;
    if (first.sizeBytes > maxBytes && !minOneBatch) return none;
    // One read of up to maxBytes (at least the first batch), cut after the last whole batch
    // below maxOffset: no second pass over the headers.
    const length = Math.min(this.sizeBytes - first.position, Math.max(maxBytes, first.sizeBytes));
    const bytes = await this.readBytes(first.position, length);
    let end = 0;
    while (end + BATCH_HEADER_BYTES <= bytes.length) {
      const size = bytes.readInt32BE(end + BATCH_OFFSET_LENGTH) + BATCH_LOG_OVERHEAD_BYTES;
      if (end + size > bytes.length) break;
      const lastOffset = bytes.readInt32BE(end) * 0x1_0000_0000 + bytes.readUInt32BE(end + 4) + bytes.readInt32BE(end + 23);
      if (lastOffset >= maxOffset) break;
      end += size;
    }
    if (end === 0) return none;
    return { records: end === bytes.length ? bytes : bytes.subarray(0, end), firstBatchOffset: first.baseOffset };
  }

  /**
   * First record with timestamp ≥ `timestamp` and offset ≥ `startingOffset` (ListOffsets):
   * the time index narrows the scan, the batch is decoded for the exact record.
   */
  async findOffsetByTimestamp(timestamp: number, startingOffset: number): Promise<{ timestamp: number; offset: number; leaderEpoch: number } | undefined> {
    const { offsetIndex, timeIndex } = await this.#indexes();
    const fromOffset = Math.max(timeIndex.lookup(timestamp).offset, startingOffset);
    const start = offsetIndex.lookup(fromOffset).position;
    let match: BatchSummary | undefined;
    await this.scanBatches(start, (batch) => {
      if (batch.lastOffset >= startingOffset && batch.maxTimestamp >= timestamp) {
        match = batch;
        return false;
      }
      return true;
    });
    if (!match) return undefined;
    const batchBytes = await this.readBytes(match.position, match.sizeBytes);
    const header = readBatchHeader(batchBytes, 0);
    for (const record of decodeRecords(batchBytes, header)) {
      if (record.timestamp >= timestamp && record.offset >= startingOffset) {
        return { timestamp: record.timestamp, offset: record.offset, leaderEpoch: match.partitionLeaderEpoch };
      }
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // recovery, truncation, lifecycle

  /**
   * Validates every batch (length, magic, CRC, offsets increasing and within the segment),
   * rebuilds the indexes and truncates the file after the last valid batch. `visit` sees each
   * valid batch (producer state and leader epochs are rebuilt from them).
   */
  async recover(maxBatchBytes: number, visit: (batch: BatchSummary, bytes: Buffer, at: number) => void): Promise<RecoveryOutcome> {
    this.#indexUsers++;
    try {
      return await this.#recover(maxBatchBytes, visit);
    } finally {
      this.#indexUsers--;
    }
  }

  async #recover(maxBatchBytes: number, visit: (batch: BatchSummary, bytes: Buffer, at: number) => void): Promise<RecoveryOutcome> {
    const fileSize = await this.#withFile((file) => file.sizeBytes());
    this.sizeBytes = fileSize;
    this.#offsetIndex = new OffsetIndex(this.baseOffset, this.#context.segmentIndexBytes);
    this.#timeIndex = new TimeIndex(this.baseOffset, this.#context.segmentIndexBytes);
    this.#resetTimestamps();
    this.#bytesSinceLastIndexEntry = 0;
    const keptAborted = this.#abortedTxns;
    this.#abortedTxns = [];
    this.#abortedTxnsPersisted = -1;
    let position = 0;
    let validEnd = 0;
    let expectedOffset = this.baseOffset;
    let corruption: string | undefined;
    let chunk = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK_BYTES, Math.max(fileSize, BATCH_HEADER_BYTES)));
    outer: while (position < fileSize) {
      const length = Math.min(chunk.length, fileSize - position);
      const read = await this.#withFile((file) => readFully(file, chunk, position, length));
      let at = 0;
      while (at < read) {
        if (read - at < BATCH_LOG_OVERHEAD_BYTES + 5) {
          if (position + read >= fileSize) {
            corruption = `torn batch header at position ${position + at}`;
            break outer;
          }
          break;
        }
        const batchLength = chunk.readInt32BE(at + BATCH_OFFSET_LENGTH);
        const sizeBytes = batchLength + BATCH_LOG_OVERHEAD_BYTES;
        if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES || sizeBytes > maxBatchBytes) {
          corruption = `invalid batch length ${batchLength} at position ${position + at}`;
          break outer;
        }
        if (position + at + sizeBytes > fileSize) {
          corruption = `torn batch at position ${position + at} (${sizeBytes} bytes, ${fileSize - position - at} on disk)`;
          break outer;
        }
        if (at + sizeBytes > read) {
          if (at > 0) break;
          // A batch larger than the chunk: grow the chunk to hold it and read again.
          chunk = Buffer.allocUnsafe(sizeBytes);
          continue outer;
        }
        if (chunk[at + BATCH_OFFSET_MAGIC] !== 2) {
          corruption = `batch magic ${chunk[at + BATCH_OFFSET_MAGIC]} at position ${position + at}`;
          break outer;
        }
        const header = readBatchHeader(chunk, at, at + sizeBytes);
        if (computeBatchCrc(chunk, at, batchLength) !== header.crc) {
          corruption = `CRC mismatch at position ${position + at}`;
          break outer;
        }
        const summary = summarize(header, position + at);
        if (summary.baseOffset < expectedOffset || summary.lastOffset < summary.baseOffset || summary.lastOffset - this.baseOffset > INT32_MAX) {
          corruption = `offsets ${summary.baseOffset}..${summary.lastOffset} out of order at position ${position + at}`;
          break outer;
        }
        this.#indexBatch(summary);
        visit(summary, chunk, at);
        expectedOffset = summary.lastOffset + 1;
        at += sizeBytes;
        validEnd = position + at;
      }
      position += at;
    }
    const truncatedBytes = fileSize - validEnd;
    if (truncatedBytes > 0) await this.#withFile((file) => file.truncate(validEnd));
    this.sizeBytes = validEnd;
    this.flushedSizeBytes = Math.min(this.flushedSizeBytes, validEnd);
    this.#nextOffset = expectedOffset;
    this.#abortedTxns = keptAborted.filter((entry) => entry.lastOffset < expectedOffset);
    this.#abortedTxnsPersisted = -1;
    return { validBytes: validEnd, truncatedBytes, corruption };
  }

  /**
   * Removes batches whose last offset ≥ `offset` (whole batches). Returns the base offset of the
   * first batch removed, or undefined when nothing was.
   */
  async truncateTo(offset: number): Promise<number | undefined> {
    this.#indexUsers++;
    try {
      return await this.#truncateTo(offset);
    } finally {
      this.#indexUsers--;
    }
  }

  async #truncateTo(offset: number): Promise<number | undefined> {
    const first = await this.translateOffset(offset);
    if (!first) return undefined;
    const { offsetIndex, timeIndex } = await this.#indexes();
    offsetIndex.truncateToOffset(first.baseOffset);
    timeIndex.truncateToOffset(first.baseOffset);
    await this.#withFile((file) => file.truncate(first.position));
    this.sizeBytes = first.position;
    this.flushedSizeBytes = Math.min(this.flushedSizeBytes, first.position);
    this.#nextOffset = first.baseOffset;
    this.#abortedTxns = this.#abortedTxns.filter((entry) => entry.lastOffset < first.baseOffset);
    this.#abortedTxnsPersisted = -1;
    // Recompute the in-memory timestamps and index cadence from what remains.
    await this.rebuildIndexes();
    if (this.active) {
      // Rewrite the (shorter) index files on the next flush, cutting the stale tail.
      this.#offsetIndex!.persistedEntries = 0;
      this.#timeIndex!.persistedEntries = 0;
      this.#trimIndexesOnPersist = true;
    }
    return first.baseOffset;
  }

  /** fsync the .log file (and write the index tails). */
  async flush(): Promise<void> {
    const size = this.sizeBytes;
    if (this.flushedSizeBytes < size || this.sizeBytes === 0) {
      await this.#withFile((file) => file.sync());
    }
    await this.persistIndexes(!this.active);
    this.flushedSizeBytes = Math.max(this.flushedSizeBytes, size);
  }

  /** The segment stops being active: final time index entry, trimmed indexes, fsync. */
  async onBecomeInactive(): Promise<void> {
    const { timeIndex } = await this.#indexes();
    if (this.maxTimestamp >= 0) timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    this.active = false;
    await this.flush();
    await this.persistIndexes(true);
    this.#context.indexPool.touch(this.#indexHandle);
    this.#context.filePool.touch(this.#fileHandle);
  }

  async close(): Promise<void> {
    if (this.#offsetIndex && this.#timeIndex) {
      if (this.active && this.maxTimestamp >= 0) this.#timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      await this.persistIndexes(true);
    }
    this.#context.indexPool.forget(this.#indexHandle);
    this.#context.filePool.forget(this.#fileHandle);
    const file = this.#file;
    this.#file = undefined;
    if (file) await file.close();
  }

  /** Closes without writing anything (the dir went offline). */
  async closeQuietly(): Promise<void> {
    this.#context.indexPool.forget(this.#indexHandle);
    this.#context.filePool.forget(this.#fileHandle);
    const file = this.#file;
    this.#file = undefined;
    await file?.close().catch(() => {});
  }

  /** Renames the segment's files to `*.deleted`; returns the new paths (unlinked later). */
  async markDeleted(): Promise<string[]> {
    this.#deleted = true;
    this.active = false;
    this.#context.indexPool.forget(this.#indexHandle);
    this.#context.filePool.forget(this.#fileHandle);
    const renamed: string[] = [];
    for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX]) {
      const from = this.path(suffix);
      if (!(await this.#context.fs.exists(from))) continue;
      await this.#context.fs.rename(from, from + DELETED_FILE_SUFFIX);
      renamed.push(from + DELETED_FILE_SUFFIX);
    }
    return renamed;
  }

  /** Closes the file once readers are done (after the delete delay). */
  async closeAfterDelete(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.close().catch(() => {});
  }
}

/**
 * Summary of the batch header at `at` without requiring the whole batch in `buffer` (scans read
 * in chunks). Returns undefined when the bytes there are not a magic 2 batch header.
 */
function summarizeAt(buffer: Buffer, at: number, filePosition: number): BatchSummary | undefined {
  const batchLength = buffer.readInt32BE(at + BATCH_OFFSET_LENGTH);
  if (buffer[at + BATCH_OFFSET_MAGIC] !== 2 || batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) return undefined;
  const baseOffset = buffer.readInt32BE(at) * 0x1_0000_0000 + buffer.readUInt32BE(at + 4);
  return {
    position: filePosition,
    sizeBytes: batchLength + BATCH_LOG_OVERHEAD_BYTES,
    baseOffset,
    lastOffset: baseOffset + buffer.readInt32BE(at + 23),
    maxTimestamp: buffer.readInt32BE(at + 35) * 0x1_0000_0000 + buffer.readUInt32BE(at + 39),
    partitionLeaderEpoch: buffer.readInt32BE(at + 12),
    attributes: buffer.readInt16BE(at + 21),
    producerId: buffer.readBigInt64BE(at + 43),
    producerEpoch: buffer.readInt16BE(at + 51),
    baseSequence: buffer.readInt32BE(at + 53),
    recordCount: buffer.readInt32BE(at + 57),
  };
}

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully(file: LogFile, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const count = await file.write(bytes, written, bytes.length - written, position + written);
    if (count <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    written += count;
  }
}

/** Buffers per writev call: POSIX guarantees at least 1024 (IOV_MAX on Linux). */
export const WRITEV_BUFFERS_MAX = 1024;

/**
 * Writes `buffers` back to back from `position` with as few system calls as the kernel allows
 * (one writev per WRITEV_BUFFERS_MAX buffers), continuing after a short write.
 */
export async function writevFully(file: LogFile, buffers: readonly Buffer[], position: number): Promise<void> {
  let at = position;
  for (let first = 0; first < buffers.length; first += WRITEV_BUFFERS_MAX) {
    let pending = buffers.slice(first, first + WRITEV_BUFFERS_MAX).filter((buffer) => buffer.length > 0);
    while (pending.length > 0) {
      let count = await file.writev(pending, at);
      if (count <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      at += count;
      // Drop what was written: whole buffers, then the written head of a partly written one.
      let skip = 0;
      while (skip < pending.length && count >= pending[skip].length) count -= pending[skip++].length;
      pending = pending.slice(skip);
      if (count > 0) pending[0] = pending[0].subarray(count);
    }
  }
}

/** Reads up to `length` bytes at `position` into buffer[0..]; returns bytes read (short at EOF). */
export async function readFully(file: LogFile, buffer: Buffer, position: number, length = buffer.length): Promise<number> {
  let total = 0;
  while (total < length) {
    const count = await file.read(buffer, total, length - total, position + total);
    if (count <= 0) break;
    total += count;
  }
  return total;
}
