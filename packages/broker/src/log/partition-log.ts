/**
 * The log of one partition: an ordered list of segments, the last one active. Mutations
 * (append, roll, truncate, retention, flush) run one at a time through a promise-chain lock;
 * reads run beside them on the segments' committed sizes. Any I/O error takes the log dir
 * offline (through the manager) and every later call throws KAFKA_STORAGE_ERROR: a failed write
 * is never half-acknowledged, and recovery truncates whatever partial bytes it left.
 */
import * as path from 'node:path';
import { ATTRIBUTE_CONTROL, readBatchHeader, setBatchBaseOffset, setBatchPartitionLeaderEpoch, type RecordBatchHeader } from '@kafkaesque/protocol';
import type {
  AbortedTransaction,
  AppendResult,
  EpochEndOffset,
  EpochEntry,
  LeaderAppendOptions,
  LogConfig,
  PartitionLog,
  ProducerStateEntry,
  ReadOptions,
  ReadResult,
  SegmentInfo,
  TimestampAndOffset,
} from './api.ts';
import { formatLeaderEpochCheckpoint, formatPartitionMetadata, readLeaderEpochCheckpoint, readPartitionMetadata, writeFileAtomic } from './checkpoint-files.ts';
import { isCompacted, resolveLogConfig } from './config.ts';
import { LogDirOfflineError, LogError, LogErrorCode } from './errors.ts';
import type { LogFs } from './fs.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { LruPool } from './lru.ts';
import { ProducerStateManager, SNAPSHOT_FILE_SUFFIX, type CompletedTxn, type TxnMarker } from './producer-state.ts';
import {
  writevFully,
  type AbortedTxnEntry,
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  LogSegment,
  SWAP_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  TXN_INDEX_FILE_SUFFIX,
  isControl,
  segmentFileName,
  summarize,
  type BatchSummary,
  type SegmentContext,
} from './segment.ts';
import { findCrcMismatch, readTxnMarker, setLogAppendTime, splitBatches, validateLeaderBatch, type ValidationFailure } from './validate.ts';

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
export const PARTITION_METADATA_FILE = 'partition.metadata';
/** Bound on a batch's size during recovery: larger lengths mean a corrupt header. */
const RECOVERY_BATCH_BYTES_MAX = 2 ** 31 - 1;
/** producer.id.expiration.ms default. */
export const PRODUCER_ID_EXPIRATION_MS = 24 * 60 * 60 * 1000;

/** What a log needs from its manager. */
export interface LogContext {
  fs: LogFs;
  clockMs: () => number;
  indexPool: LruPool;
  filePool: LruPool;
  /** Broker-wide defaults for the config. */
  defaultConfig: () => Partial<LogConfig>;
  /** Reports an I/O error; the manager takes the dir offline (and all its logs). */
  onIoError: (logDir: string, error: unknown) => void;
}

export interface LogLoadState {
  recoveryPoint?: number;
  logStartOffset?: number;
  highWatermark?: number;
  cleanShutdown: boolean;
}

interface PendingDelete {
  dueMs: number;
  paths: string[];
  segment: LogSegment;
}

function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

function isIoError(error: unknown): boolean {
  return !(error instanceof LogError);
}

export class PartitionLogImpl implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly logDir: string;
  #topicId: string | undefined;
  readonly #context: LogContext;
  #overrides: Partial<LogConfig>;
  #config: LogConfig;
  #segments: LogSegment[] = [];
  #logStartOffset = 0;
  #logEndOffset = 0;
  #highWatermark = 0;
  #recoveryPoint = 0;
  readonly #epochCache = new LeaderEpochCache();
  readonly #producers = new ProducerStateManager();
  #lock: Promise<unknown> = Promise.resolve();
  #unflushedMessages = 0;
  #lastFlushMs: number;
  #offline: LogDirOfflineError | undefined;
  #closed = false;
  #pendingDeletes: PendingDelete[] = [];
  #snapshotOffsets: number[] = [];
  /** Compaction progress: offsets below this are clean (cleaner-offset-checkpoint). */
  cleanerCheckpoint = 0;

  constructor(context: LogContext, logDir: string, topic: string, partition: number, overrides: Partial<LogConfig>) {
    this.#context = context;
    this.logDir = logDir;
    this.topic = topic;
    this.partition = partition;
    this.dir = path.join(logDir, partitionDirName(topic, partition));
    this.#overrides = { ...overrides };
    this.#config = resolveLogConfig(context.defaultConfig(), overrides);
    this.#lastFlushMs = context.clockMs();
  }

  // -------------------------------------------------------------------------------------------
  // properties

  get topicId(): string | undefined {
    return this.#topicId;
  }
  get config(): Readonly<LogConfig> {
    return this.#config;
  }
  get isOffline(): boolean {
    return this.#offline !== undefined;
  }
  get logStartOffset(): number {
    return this.#logStartOffset;
  }
  get logEndOffset(): number {
    return this.#logEndOffset;
  }
  get recoveryPoint(): number {
    return this.#recoveryPoint;
  }
  get highWatermark(): number {
    return this.#highWatermark;
  }
  get firstUnstableOffset(): number | undefined {
    return this.#producers.firstUnstableOffset;
  }
  get lastStableOffset(): number {
    const unstable = this.#producers.firstUnstableOffset;
    return unstable === undefined ? this.#highWatermark : Math.min(unstable, this.#highWatermark);
  }
  get latestEpoch(): number {
    return this.#epochCache.latestEpoch;
  }
  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.#segments) total += segment.sizeBytes;
    return total;
  }
  get #active(): LogSegment {
    return this.#segments[this.#segments.length - 1];
  }

  updateConfig(overrides: Partial<LogConfig>): void {
    const config = resolveLogConfig(this.#context.defaultConfig(), overrides);
    this.#overrides = { ...overrides };
    this.#config = config;
  }

  /** Re-resolves after the manager's defaults changed. */
  refreshConfig(): void {
    this.#config = resolveLogConfig(this.#context.defaultConfig(), this.#overrides);
  }

  setHighWatermark(offset: number): number {
    this.#highWatermark = Math.max(this.#logStartOffset, Math.min(offset, this.#logEndOffset));
    return this.#highWatermark;
  }

  // -------------------------------------------------------------------------------------------
  // plumbing

  #segmentContext(): SegmentContext {
    return {
      fs: this.#context.fs,
      dir: this.dir,
      indexIntervalBytes: this.#config.indexIntervalBytes,
      segmentIndexBytes: this.#config.segmentIndexBytes,
      indexPool: this.#context.indexPool,
      filePool: this.#context.filePool,
    };
  }

  #checkOnline(): void {
    if (this.#offline) throw this.#offline;
    if (this.#closed) throw new LogError(LogErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `log ${this.topic}-${this.partition} is closed`);
  }

  /** Marks this log offline (called by the manager for every log of a failed dir). */
  markOffline(error: LogDirOfflineError): void {
    if (this.#offline) return;
    this.#offline = error;
    for (const segment of this.#segments) void segment.closeQuietly();
  }

  #fail(error: unknown): never {
    if (!isIoError(error)) throw error;
    if (!this.#offline) this.#context.onIoError(this.logDir, error);
    throw this.#offline ?? new LogDirOfflineError(this.logDir, error);
  }

  /** Runs `work` exclusively; an I/O error inside takes the dir offline. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(async () => {
      this.#checkOnline();
      try {
        return await work();
      } catch (error) {
        this.#fail(error);
      }
    });
    this.#lock = run.catch(() => {});
    return run;
  }

  // -------------------------------------------------------------------------------------------
  // loading and recovery

  /** Opens (or creates) the log directory and recovers it. */
  static async load(context: LogContext, logDir: string, topic: string, partition: number, overrides: Partial<LogConfig>, state: LogLoadState, topicId?: string, initialOffset = 0): Promise<PartitionLogImpl> {
    const log = new PartitionLogImpl(context, logDir, topic, partition, overrides);
    await log.#load(state, topicId, initialOffset);
    return log;
  }

  async #load(state: LogLoadState, topicId: string | undefined, initialOffset: number): Promise<void> {
    const fs = this.#context.fs;
    await fs.mkdir(this.dir);
    const storedTopicId = await readPartitionMetadata(fs, path.join(this.dir, PARTITION_METADATA_FILE));
    if (topicId && storedTopicId && topicId !== storedTopicId) {
      throw new LogError(LogErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${this.dir} belongs to topic id ${storedTopicId}, not ${topicId}`);
    }
    this.#topicId = storedTopicId ?? topicId;
    if (topicId && !storedTopicId) await writeFileAtomic(fs, path.join(this.dir, PARTITION_METADATA_FILE), formatPartitionMetadata(topicId));

    const snapshots = await this.#removeLeftoversAndList();
    await this.#removeStraySnapshots(snapshots);
    this.#snapshotOffsets = [...snapshots.snapshots];
    const baseOffsets = snapshots.logs;
    const now = this.#context.clockMs();
    const context = this.#segmentContext();
    for (const baseOffset of baseOffsets) this.#segments.push(await LogSegment.open(context, baseOffset, now));
    for (const entry of await readLeaderEpochCheckpoint(fs, path.join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE))) {
      this.#epochCache.assign(entry.epoch, entry.startOffset);
    }
    this.#epochCache.dirty = false;

    if (this.#segments.length === 0) {
      const start = Math.max(state.logStartOffset ?? initialOffset, initialOffset);
      this.#segments.push(await LogSegment.create(context, start, now));
      this.#logStartOffset = start;
      this.#logEndOffset = start;
      this.#recoveryPoint = start;
      this.#producers.mapEndOffset = start;
      this.#epochCache.truncateFromEnd(start);
    } else {
      await this.#recover(state, snapshots.snapshots);
    }
    this.#active.active = true;
    this.#highWatermark = Math.max(this.#logStartOffset, Math.min(state.highWatermark ?? 0, this.#logEndOffset));
    this.cleanerCheckpoint = this.#logStartOffset;
    await this.#saveEpochCache();
  }

  /** Deletes .deleted / .cleaned / .tmp files, completes .swap files; lists segments and snapshots. */
  async #removeLeftoversAndList(): Promise<{ logs: number[]; snapshots: number[] }> {
    const fs = this.#context.fs;
    let names = await fs.readdir(this.dir);
    for (const name of names) {
      if (name.endsWith(DELETED_FILE_SUFFIX) || name.endsWith(CLEANED_FILE_SUFFIX) || name.endsWith('.tmp')) {
        await fs.unlink(path.join(this.dir, name));
      }
    }
    // A .swap is a finished compaction result whose installation was interrupted: the segments it
    // replaces are those with base offsets from the swap's base to its last offset. Complete it.
    names = await fs.readdir(this.dir);
    const swaps = names.filter((name) => name.endsWith(SWAP_FILE_SUFFIX));
    if (swaps.length > 0) {
      const swapRanges: [number, number][] = [];
      for (const name of swaps.filter((n) => n.endsWith(LOG_FILE_SUFFIX + SWAP_FILE_SUFFIX))) {
        const base = Number(name.slice(0, 20));
        swapRanges.push([base, await this.#lastOffsetInFile(path.join(this.dir, name), base)]);
      }
      for (const name of names) {
        if (!name.endsWith(LOG_FILE_SUFFIX)) continue;
        const base = Number(name.slice(0, 20));
        if (swapRanges.some(([from, to]) => base >= from && base <= to)) {
          for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX]) {
            await fs.unlink(path.join(this.dir, segmentFileName(base, suffix)));
          }
        }
      }
      for (const name of swaps) await fs.rename(path.join(this.dir, name), path.join(this.dir, name.slice(0, -SWAP_FILE_SUFFIX.length)));
      await fs.syncDir(this.dir);
      names = await fs.readdir(this.dir);
    }
    const logs: number[] = [];
    const snapshots: number[] = [];
    const logSet = new Set<number>();
    for (const name of names) {
      if (/^\d{20}\.log$/.test(name)) logSet.add(Number(name.slice(0, 20)));
    }
    for (const name of names) {
      const match = /^(\d{20})\.(log|index|timeindex|txnindex|snapshot)$/.exec(name);
      if (!match) continue;
      const base = Number(match[1]);
      if (match[2] === 'log') logs.push(base);
      else if (match[2] === 'snapshot') snapshots.push(base);
      else if (!logSet.has(base)) await fs.unlink(path.join(this.dir, name));
    }
    logs.sort((a, b) => a - b);
    snapshots.sort((a, b) => a - b);
    return { logs, snapshots };
  }

  async #lastOffsetInFile(file: string, base: number): Promise<number> {
    const bytes = await this.#context.fs.readFile(file);
    let last = base;
    if (!bytes) return last;
    let at = 0;
    while (at + 61 <= bytes.length) {
      const length = bytes.readInt32BE(at + 8);
      if (length < 49 || at + 12 + length > bytes.length) break;
      last = Number(bytes.readBigInt64BE(at)) + bytes.readInt32BE(at + 23);
      at += 12 + length;
    }
    return last;
  }

  async #recover(state: LogLoadState, snapshotOffsets: number[]): Promise<void> {
    const segments = this.#segments;
    const recoveryPoint = state.cleanShutdown ? Number.MAX_SAFE_INTEGER : state.recoveryPoint ?? 0;
    // Recover from the segment holding the recovery point.
    let firstToRecover = segments.length;
    for (let index = segments.length - 1; index >= 0; index--) {
      firstToRecover = index;
      if (segments[index].baseOffset <= recoveryPoint) break;
    }
    if (state.cleanShutdown) firstToRecover = segments.length;
    const recoverFrom = firstToRecover < segments.length ? segments[firstToRecover].baseOffset : Number.MAX_SAFE_INTEGER;

    // Producer state up to where recovery starts: latest snapshot at or below it, then replay.
    const logStart = Math.max(state.logStartOffset ?? 0, segments[0].baseOffset);
    this.#logStartOffset = logStart;
    await this.#loadProducerSnapshot(snapshotOffsets, recoverFrom);

    let corruptAt = -1;
    for (let index = firstToRecover; index < segments.length; index++) {
      const segment = segments[index];
      const outcome = await segment.recover(RECOVERY_BATCH_BYTES_MAX, (batch, bytes, at) => this.#replayBatch(batch, bytes, at, segment));
      if (outcome.corruption) {
        corruptAt = index;
        break;
      }
    }
    if (corruptAt >= 0) {
      // Everything after a corrupt or torn batch is unreliable: drop the later segments (Kafka).
      for (const segment of segments.splice(corruptAt + 1)) {
        const paths = await segment.markDeleted();
        await segment.closeAfterDelete();
        for (const file of paths) await this.#context.fs.unlink(file);
      }
    }
    const active = this.#active;
    this.#logEndOffset = await active.nextOffset();
    this.#producers.mapEndOffset = Math.max(this.#producers.mapEndOffset, this.#logEndOffset);
    this.#epochCache.truncateFromEnd(this.#logEndOffset);
    this.#epochCache.truncateFromStart(this.#logStartOffset);
    // Recovered bytes came from disk (or the page cache of a killed process): make them durable
    // before claiming them below the recovery point.
    if (firstToRecover < segments.length) {
      for (const segment of this.#segments.slice(firstToRecover)) {
        if (segment !== active) await segment.onBecomeInactive();
      }
      await active.flush();
      for (const segment of this.#segments.slice(0, -1)) segment.active = false;
    } else {
      for (const segment of this.#segments.slice(0, -1)) segment.active = false;
    }
    this.#recoveryPoint = this.#logEndOffset;
    await this.#deleteSnapshotsAbove(this.#logEndOffset);
  }

  /**
   * Loads the latest valid snapshot at or below `upTo` and replays the batches between it and
   * `upTo` (segments are read by headers; control batches are decoded for their markers).
   */
  async #loadProducerSnapshot(snapshotOffsets: number[], upTo: number): Promise<void> {
    this.#producers.clear();
    let from = this.#segments[0].baseOffset;
    for (const offset of [...snapshotOffsets].reverse()) {
      if (offset > upTo) continue;
      const bytes = await this.#context.fs.readFile(path.join(this.dir, segmentFileName(offset, SNAPSHOT_FILE_SUFFIX)));
      try {
        if (!bytes) continue;
        this.#producers.loadSnapshot(bytes, offset);
        from = offset;
        break;
      } catch {
        // A damaged snapshot is ignored; an older one (or a full replay) rebuilds the state.
        await this.#deleteSnapshot(offset);
      }
    }
    this.#producers.mapEndOffset = from;
    await this.#replayProducers(from, upTo);
  }

  /** Applies batches with offsets in [from, upTo) to producer state (and epoch cache). */
  async #replayProducers(from: number, upTo: number): Promise<void> {
    for (let index = 0; index < this.#segments.length; index++) {
      const segment = this.#segments[index];
      if (segment.baseOffset >= upTo) break;
      const next = index + 1 < this.#segments.length ? this.#segments[index + 1].baseOffset : await segment.nextOffset();
      if (next <= from) continue;
      const start = from > segment.baseOffset ? (await segment.translateOffset(from))?.position : 0;
      if (start === undefined) continue;
      const batches: BatchSummary[] = [];
      await segment.scanBatches(start, (batch) => {
        if (batch.baseOffset >= upTo) return false;
        if (batch.lastOffset >= from) batches.push(batch);
        return true;
      });
      for (const batch of batches) {
        if (batch.producerId < 0n) continue;
        let marker: TxnMarker | undefined;
        if (isControl(batch)) {
          const bytes = await segment.readBytes(batch.position, batch.sizeBytes);
          marker = readTxnMarker(bytes, readBatchHeader(bytes, 0));
        }
        this.#producers.apply(batch, marker);
      }
    }
    this.#producers.mapEndOffset = Math.max(this.#producers.mapEndOffset, upTo === Number.MAX_SAFE_INTEGER ? this.#producers.mapEndOffset : upTo);
  }

  /** Recovery visitor: producer state, epoch cache and aborted transactions from one batch. */
  #replayBatch(batch: BatchSummary, bytes: Buffer, at: number, segment: LogSegment): void {
    if (batch.partitionLeaderEpoch >= 0) this.#epochCache.assign(batch.partitionLeaderEpoch, batch.baseOffset);
    if (batch.producerId < 0n || batch.lastOffset < this.#producers.mapEndOffset) return;
    let marker: TxnMarker | undefined;
    if (isControl(batch)) marker = readTxnMarker(bytes, readBatchHeader(bytes, at));
    const completed = this.#producers.apply(batch, marker);
    if (completed) this.#recordCompletedTxn(completed, segment);
  }

  #recordCompletedTxn(completed: CompletedTxn, segment: LogSegment): void {
    if (!completed.aborted) return;
    segment.addAbortedTxn({
      producerId: completed.producerId,
      firstOffset: completed.firstOffset,
      lastOffset: completed.lastOffset,
      lastStableOffset: this.#producers.firstUnstableOffset ?? completed.lastOffset + 1,
    });
  }

  // -------------------------------------------------------------------------------------------
  // append

  async appendAsLeader(records: Buffer, options: LeaderAppendOptions): Promise<AppendResult> {
    // Validation is pure CPU work on the request's bytes: it runs before taking the lock, so it
    // overlaps the write of the previous append (several produce requests in flight).
    this.#checkOnline();
    const validated = this.#validateLeader(records, options);
    if (!validated.ok) return this.#failure(validated);
    return this.#exclusive(() => this.#appendLeader(records, options, validated));
  }

  appendAsFollower(records: Buffer): Promise<AppendResult> {
    return this.#exclusive(() => this.#appendFollower(records));
  }

  #failure(failure: ValidationFailure): AppendResult {
    return { ok: false, errorCode: failure.errorCode, errorMessage: failure.errorMessage, batchIndex: failure.batchIndex, logStartOffset: this.#logStartOffset };
  }

  /** Framing, CRC, sizes, record structure, control records: everything not needing log state. */
  #validateLeader(records: Buffer, options: LeaderAppendOptions): LeaderValidated | ValidationFailure {
    const config = this.#config;
    const origin = options.origin ?? 'client';
    const nowMs = options.nowMs ?? this.#context.clockMs();
    // The CRC check overlaps the disk write (see LogSegment.append) unless LogAppendTime must
    // rewrite the batch (and its CRC) first: then it is checked here, before anything else.
    const crcDeferred = config.messageTimestampType !== 'LogAppendTime';
    const split = splitBatches(records, config.maxMessageBytes, LogErrorCode.MESSAGE_TOO_LARGE, !crcDeferred);
    if (!split.ok) return split;
    if (records.length > config.segmentBytes) {
      return { ok: false, errorCode: LogErrorCode.RECORD_LIST_TOO_LARGE, errorMessage: `${records.length} bytes exceed segment.bytes ${config.segmentBytes}` };
    }
    const markers: (TxnMarker | undefined)[] = [];
    for (let index = 0; index < split.headers.length; index++) {
      const header = split.headers[index];
      const problem = validateLeaderBatch(records, header, index, { config, origin, nowMs });
      if (problem) return problem;
      let marker: TxnMarker | undefined;
      if ((header.attributes & ATTRIBUTE_CONTROL) !== 0) {
        try {
          marker = readTxnMarker(records, header);
        } catch (error) {
          return { ok: false, errorCode: LogErrorCode.INVALID_RECORD, errorMessage: `bad control record: ${(error as Error).message}`, batchIndex: index };
        }
      }
      markers.push(marker);
    }
    return { ok: true, headers: split.headers, recordCount: split.recordCount, markers, nowMs, crcDeferred };
  }

  async #appendLeader(records: Buffer, options: LeaderAppendOptions, validated: LeaderValidated): Promise<AppendResult> {
    const config = this.#config;
    const origin = options.origin ?? 'client';
    const nowMs = validated.nowMs;
    const { headers, markers } = validated;
    const split = validated;
    const producerAppend = this.#producers.begin();
    for (let index = 0; index < headers.length; index++) {
      const header = headers[index];
      const summary = summarize(header);
      const marker = markers[index];
      if (isControl(summary)) {
        if (marker) {
          const check = producerAppend.checkMarker(summary, marker);
          if (check.kind === 'error') return this.#failure({ ok: false, errorCode: check.errorCode, errorMessage: check.message, batchIndex: index });
        }
      } else if (origin === 'client' && summary.producerId >= 0n) {
        const duplicate = producerAppend.findDuplicate(summary);
        if (duplicate) {
          // As Kafka: a duplicate answers with the stored batch's max timestamp as its log append time.
          return { ok: true, duplicate: true, firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset, logAppendTimeMs: duplicate.timestamp, logStartOffset: this.#logStartOffset, recordCount: header.recordCount, batchCount: headers.length, sizeBytes: 0 };
        }
        const check = producerAppend.check(summary, (header.attributes & 0x10) !== 0);
        if (check.kind === 'error') return this.#failure({ ok: false, errorCode: check.errorCode, errorMessage: check.message, batchIndex: index });
      }
      // Later batches of this append see this one (sequence continuity within one request).
      producerAppend.apply({ ...summary, baseOffset: 0, lastOffset: header.lastOffsetDelta }, marker);
    }

    // Offsets, epoch, LogAppendTime: rewritten in place (base offset and epoch are outside the CRC).
    const logAppendTime = config.messageTimestampType === 'LogAppendTime';
    let nextOffset = this.#logEndOffset;
    const batches: BatchSummary[] = [];
    for (const header of headers) {
      setBatchBaseOffset(records, header.position, nextOffset);
      setBatchPartitionLeaderEpoch(records, header.position, options.leaderEpoch);
      header.baseOffset = nextOffset;
      header.partitionLeaderEpoch = options.leaderEpoch;
      if (logAppendTime && !isControl(summarize(header))) setLogAppendTime(records, header, nowMs);
      batches.push(summarize(header));
      nextOffset += header.lastOffsetDelta + 1;
    }
    const verify = validated.crcDeferred ? () => findCrcMismatch(records, headers) : undefined;
    const corrupt = await this.#write(records, batches, markers, nowMs, verify);
    if (corrupt) return this.#failure(corrupt);
    if (options.leaderEpoch >= 0 && options.leaderEpoch !== this.#epochCache.latestEpoch) {
      this.#epochCache.assign(options.leaderEpoch, batches[0].baseOffset);
      await this.#saveEpochCache();
    }
    if (this.#countUnflushed(split.recordCount)) await this.#flush();
    return {
      ok: true,
      duplicate: false,
      firstOffset: batches[0].baseOffset,
      lastOffset: batches[batches.length - 1].lastOffset,
      logAppendTimeMs: logAppendTime ? nowMs : -1,
      logStartOffset: this.#logStartOffset,
      recordCount: split.recordCount,
      batchCount: batches.length,
      sizeBytes: records.length,
    };
  }

  async #appendFollower(records: Buffer): Promise<AppendResult> {
    const config = this.#config;
    // As for leaders, the CRC32C check runs while the write is in flight (#write cuts the bytes
    // off again on a mismatch, before they count).
    const split = splitBatches(records, config.segmentBytes, LogErrorCode.RECORD_LIST_TOO_LARGE, false);
    if (!split.ok) return this.#failure(split);
    const batches: BatchSummary[] = [];
    const markers: (TxnMarker | undefined)[] = [];
    let expected = this.#logEndOffset;
    for (let index = 0; index < split.headers.length; index++) {
      const header = split.headers[index];
      const summary = summarize(header);
      if (summary.baseOffset < expected) {
        return this.#failure({ ok: false, errorCode: LogErrorCode.INVALID_RECORD, errorMessage: `batch at offset ${summary.baseOffset} is below the expected ${expected}`, batchIndex: index });
      }
      let marker: TxnMarker | undefined;
      if (isControl(summary) && summary.producerId >= 0n) {
        try {
          marker = readTxnMarker(records, header);
        } catch (error) {
          return this.#failure({ ok: false, errorCode: LogErrorCode.CORRUPT_MESSAGE, errorMessage: `bad control record: ${(error as Error).message}`, batchIndex: index });
        }
      }
      batches.push(summary);
      markers.push(marker);
      expected = summary.lastOffset + 1;
    }
    const corrupt = await this.#write(records, batches, markers, this.#context.clockMs(), () => findCrcMismatch(records, split.headers));
    if (corrupt) return this.#failure(corrupt);
    let epochChanged = false;
    for (const batch of batches) {
      if (batch.partitionLeaderEpoch >= 0 && batch.partitionLeaderEpoch !== this.#epochCache.latestEpoch) {
        this.#epochCache.assign(batch.partitionLeaderEpoch, batch.baseOffset);
        epochChanged = true;
      }
    }
    if (epochChanged) await this.#saveEpochCache();
    if (this.#countUnflushed(split.recordCount)) await this.#flush();
    return {
      ok: true,
      duplicate: false,
      firstOffset: batches[0].baseOffset,
      lastOffset: batches[batches.length - 1].lastOffset,
      logAppendTimeMs: -1,
      logStartOffset: this.#logStartOffset,
      recordCount: split.recordCount,
      batchCount: batches.length,
      sizeBytes: records.length,
    };
  }

  /** Rolls if needed, writes the batches with one write, updates producer state and LEO. */
  async #write(records: Buffer, batches: BatchSummary[], markers: (TxnMarker | undefined)[], nowMs: number, verify?: () => ValidationFailure | undefined): Promise<ValidationFailure | undefined> {
    const first = batches[0];
    const last = batches[batches.length - 1];
    // Synchronous unless an index must be loaded: no extra turn of the event loop per append.
    const roll = this.#shouldRoll(records.length, first, last, nowMs);
    if (roll === true || (roll !== false && (await roll))) await this.#roll(first.baseOffset, nowMs);
    const segment = this.#active;
    const problem = await segment.append(records, batches, verify);
    if (problem) return problem;
    const producerAppend = this.#producers.begin();
    const completed: CompletedTxn[] = [];
    batches.forEach((batch, index) => {
      const done = producerAppend.apply(batch, markers[index]);
      if (done) completed.push(done);
    });
    producerAppend.commit();
    for (const txn of completed) this.#recordCompletedTxn(txn, segment);
    this.#logEndOffset = last.lastOffset + 1;
    this.#producers.mapEndOffset = this.#logEndOffset;
    return undefined;
  }

  #shouldRoll(bytes: number, first: BatchSummary, last: BatchSummary, nowMs: number): boolean | Promise<boolean> {
    const active = this.#active;
    if (first.baseOffset < active.baseOffset) return false;
    if (active.sizeBytes === 0) {
      // An empty active segment whose base is not the next offset (follower gap) is replaced.
      return first.baseOffset !== active.baseOffset && first.baseOffset > active.baseOffset;
    }
    const full = active.needsRoll(bytes, last.lastOffset, this.#config.segmentBytes);
    if (full === true) return true;
    if (full !== false) return full.then((needed) => needed || this.#rollsByTime(active, first, last, nowMs));
    return this.#rollsByTime(active, first, last, nowMs);
  }

  /** segment.ms: whether the active segment has waited long enough to roll. */
  #rollsByTime(active: LogSegment, first: BatchSummary, last: BatchSummary, nowMs: number): boolean {
    // As Kafka (timeWaitedForRoll): the time waited is the incoming records' largest timestamp
    // minus the segment's first batch timestamp, and wall time since creation only before the
    // segment has a timestamp. Comparing old record timestamps with `now` would roll a segment
    // per batch (and a fetch, which reads one segment, would return one batch).
    const waitedMs = active.rollingBaseTimestamp >= 0
      ? Math.max(first.maxTimestamp, last.maxTimestamp) - active.rollingBaseTimestamp
      : nowMs - active.createdMs;
    return waitedMs > this.#config.segmentMs - this.#config.segmentJitterMs;
  }

  /** Counts appended messages; true when flush.messages says to flush now. */
  #countUnflushed(recordCount: number): boolean {
    this.#unflushedMessages += recordCount;
    return this.#unflushedMessages >= this.#config.flushMessages;
  }

  // -------------------------------------------------------------------------------------------
  // roll and flush

  roll(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#active.sizeBytes > 0) await this.#roll(this.#logEndOffset, this.#context.clockMs());
    });
  }

  /** Seals the active segment (fsync, trimmed indexes), snapshots producer state, starts a new one. */
  async #roll(newBaseOffset: number, nowMs: number): Promise<void> {
    const old = this.#active;
    if (old.sizeBytes === 0) {
      // Replace an empty active segment rather than leave it behind.
      this.#segments.pop();
      const paths = await old.markDeleted();
      await old.closeAfterDelete();
      for (const file of paths) await this.#context.fs.unlink(file);
    } else {
      await old.onBecomeInactive();
    }
    await this.#writeProducerSnapshot(this.#logEndOffset);
    this.#segments.push(await LogSegment.create(this.#segmentContext(), newBaseOffset, nowMs));
    // Every older segment is fsynced (each was on its roll): the recovery point moves up.
    this.#recoveryPoint = Math.max(this.#recoveryPoint, this.#logEndOffset);
    this.#unflushedMessages = 0;
    this.#lastFlushMs = nowMs;
    await this.#context.fs.syncDir(this.dir);
  }

  flush(): Promise<void> {
    return this.#exclusive(() => this.#flush());
  }

  async #flush(): Promise<void> {
    for (const segment of this.#segments) {
      if (segment.flushedSizeBytes < segment.sizeBytes || segment.active) await segment.flush();
    }
    this.#recoveryPoint = this.#logEndOffset;
    this.#unflushedMessages = 0;
    this.#lastFlushMs = this.#context.clockMs();
  }

  async #writeProducerSnapshot(offset: number): Promise<void> {
    const file = path.join(this.dir, segmentFileName(offset, SNAPSHOT_FILE_SUFFIX));
    await writeFileAtomic(this.#context.fs, file, this.#producers.encodeSnapshot());
    if (!this.#snapshotOffsets.includes(offset)) this.#snapshotOffsets = [...this.#snapshotOffsets, offset].sort((a, b) => a - b);
    await this.#pruneSnapshots();
  }

  /** Snapshot files on disk, ascending (kept in memory: no readdir per roll). */
  async #listSnapshots(): Promise<number[]> {
    return [...this.#snapshotOffsets];
  }

  async #deleteSnapshot(offset: number): Promise<void> {
    await this.#context.fs.unlink(path.join(this.dir, segmentFileName(offset, SNAPSHOT_FILE_SUFFIX)));
    this.#snapshotOffsets = this.#snapshotOffsets.filter((candidate) => candidate !== offset);
  }

  /**
   * As Kafka: one snapshot per segment (written when the segment before it rolled) plus the one
   * at the log end of a clean close; those below the first segment go with their segments.
   */
  async #pruneSnapshots(): Promise<void> {
    for (const offset of [...this.#snapshotOffsets]) {
      if (offset < this.#segments[0].baseOffset) await this.#deleteSnapshot(offset);
    }
  }

  /**
   * On load, as Kafka's removeStraySnapshots: a snapshot that matches no segment's base offset
   * is stray (its segment went, or a later clean close superseded it), except the newest one
   * when it is at or above the last segment's base (the clean-close snapshot at the log end).
   */
  async #removeStraySnapshots(listed: { logs: number[]; snapshots: number[] }): Promise<void> {
    const bases = new Set(listed.logs);
    const newest = listed.snapshots[listed.snapshots.length - 1];
    const lastBase = listed.logs[listed.logs.length - 1] ?? -1;
    const kept: number[] = [];
    for (const offset of listed.snapshots) {
      if (bases.has(offset) || (offset === newest && offset >= lastBase)) kept.push(offset);
      else await this.#context.fs.unlink(path.join(this.dir, segmentFileName(offset, SNAPSHOT_FILE_SUFFIX)));
    }
    listed.snapshots = kept;
  }

  async #deleteSnapshotsAbove(offset: number): Promise<void> {
    for (const snapshot of [...this.#snapshotOffsets]) if (snapshot > offset) await this.#deleteSnapshot(snapshot);
  }

  async #saveEpochCache(): Promise<void> {
    if (!this.#epochCache.dirty) return;
    await writeFileAtomic(this.#context.fs, path.join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE), formatLeaderEpochCheckpoint(this.#epochCache.entries()));
    this.#epochCache.dirty = false;
  }

  // -------------------------------------------------------------------------------------------
  // reads

  #segmentFor(offset: number): number {
    let low = 0;
    let high = this.#segments.length - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.#segments[middle].baseOffset <= offset) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  async read(fetchOffset: number, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    this.#checkOnline();
    try {
      return await this.#read(fetchOffset, maxBytes, options);
    } catch (error) {
      if (error instanceof SegmentGoneError) return this.#read(fetchOffset, maxBytes, options);
      return this.#fail(error);
    }
  }

  async #read(fetchOffset: number, maxBytes: number, options: ReadOptions): Promise<ReadResult> {
    const logEndOffset = this.#logEndOffset;
    if (fetchOffset < this.#logStartOffset || fetchOffset > logEndOffset) {
      throw new LogError(LogErrorCode.OFFSET_OUT_OF_RANGE, `offset ${fetchOffset} is outside [${this.#logStartOffset}, ${logEndOffset}] of ${this.topic}-${this.partition}`);
    }
    const maxOffset = Math.min(options.maxOffset ?? logEndOffset, logEndOffset);
    const result: ReadResult = {
      records: Buffer.alloc(0),
      firstBatchOffset: -1,
      highWatermark: this.#highWatermark,
      lastStableOffset: this.lastStableOffset,
      logStartOffset: this.#logStartOffset,
      logEndOffset,
    };
    if (fetchOffset >= maxOffset || maxBytes <= 0 && options.minOneBatch === false) {
      if (options.includeAbortedTransactions) result.abortedTransactions = [];
      return result;
    }
    const segments = this.#segments.slice();
    let index = this.#segmentFor(fetchOffset);
    for (; index < segments.length && segments[index].baseOffset < maxOffset; index++) {
      const segment = segments[index];
      let read: Awaited<ReturnType<LogSegment['read']>>;
      try {
        read = await segment.read(fetchOffset, maxBytes, maxOffset, options.minOneBatch !== false);
      } catch (error) {
        if (!this.#segments.includes(segment)) throw new SegmentGoneError();
        throw error;
      }
      if (read && read.firstBatchOffset >= 0) {
        result.records = read.records;
        result.firstBatchOffset = read.firstBatchOffset;
        break;
      }
      if (read && read.firstBatchOffset < 0) break; // the next batch does not fit or is beyond maxOffset
    }
    if (options.includeAbortedTransactions) {
      const upperBound = result.firstBatchOffset >= 0 ? this.#lastOffsetOf(result.records) + 1 : fetchOffset;
      result.abortedTransactions = this.#collectAbortedTxns(fetchOffset, upperBound, segments, Math.max(0, index));
    }
    return result;
  }

  #lastOffsetOf(records: Buffer): number {
    let at = 0;
    let last = -1;
    while (at + 61 <= records.length) {
      last = Number(records.readBigInt64BE(at)) + records.readInt32BE(at + 23);
      at += 12 + records.readInt32BE(at + 8);
    }
    return last;
  }

  #collectAbortedTxns(fetchOffset: number, upperBound: number, segments: LogSegment[], fromIndex: number): AbortedTransaction[] {
    const aborted: AbortedTransaction[] = [];
    for (let index = fromIndex; index < segments.length; index++) {
      for (const entry of segments[index].abortedTxns) {
        if (entry.lastOffset >= fetchOffset && entry.firstOffset < upperBound) aborted.push({ producerId: entry.producerId, firstOffset: entry.firstOffset });
      }
    }
    return aborted;
  }

  async offsetForTimestamp(timestampMs: number): Promise<TimestampAndOffset | undefined> {
    this.#checkOnline();
    try {
      for (const segment of this.#segments.slice()) {
        if ((await segment.largestTimestamp()) < timestampMs) continue;
        const found = await segment.findOffsetByTimestamp(timestampMs, this.#logStartOffset);
        if (found) return { ...found, leaderEpoch: found.leaderEpoch >= 0 ? found.leaderEpoch : this.#epochCache.epochForOffset(found.offset) };
      }
      return undefined;
    } catch (error) {
      return this.#fail(error);
    }
  }

  earliestOffset(): TimestampAndOffset {
    return { timestamp: -1, offset: this.#logStartOffset, leaderEpoch: this.#epochCache.epochForOffset(this.#logStartOffset) };
  }

  latestOffset(): TimestampAndOffset {
    return { timestamp: -1, offset: this.#logEndOffset, leaderEpoch: this.#epochCache.latestEpoch };
  }

  async maxTimestampOffset(): Promise<TimestampAndOffset | undefined> {
    this.#checkOnline();
    try {
      let best: { timestamp: number; segment: LogSegment } | undefined;
      for (const segment of this.#segments.slice()) {
        const timestamp = await segment.largestTimestamp();
        if (timestamp >= 0 && (!best || timestamp > best.timestamp)) best = { timestamp, segment };
      }
      if (!best) return undefined;
      // The exact record carrying the max timestamp (KIP-734), found by timestamp lookup.
      const found = await best.segment.findOffsetByTimestamp(best.timestamp, this.#logStartOffset);
      if (!found) return undefined;
      return { timestamp: found.timestamp, offset: found.offset, leaderEpoch: found.leaderEpoch >= 0 ? found.leaderEpoch : this.#epochCache.epochForOffset(found.offset) };
    } catch (error) {
      return this.#fail(error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // truncation, DeleteRecords, retention

  truncateTo(offset: number): Promise<void> {
    return this.#exclusive(async () => {
      if (offset >= this.#logEndOffset) return;
      if (offset < this.#logStartOffset || offset <= this.#segments[0].baseOffset) {
        await this.#truncateFully(offset);
        return;
      }
      const nowMs = this.#context.clockMs();
      while (this.#segments.length > 1 && this.#active.baseOffset >= offset) {
        const removed = this.#segments.pop()!;
        await this.#scheduleDelete([removed], nowMs);
      }
      const active = this.#active;
      active.active = true;
      const removedBase = await active.truncateTo(offset);
      // Whole batches go; if that removes the batch holding the log start, the log restarts
      // empty at the log start rather than exposing offsets below it again.
      this.#logEndOffset = Math.max(this.#logStartOffset, Math.min(offset, removedBase ?? offset));
      active.knownNextOffset = this.#logEndOffset;
      this.#afterTruncation();
      await this.#rebuildProducerState();
      await this.#saveEpochCache();
    });
  }

  #afterTruncation(): void {
    this.#epochCache.truncateFromEnd(this.#logEndOffset);
    this.#highWatermark = Math.min(this.#highWatermark, this.#logEndOffset);
    this.#recoveryPoint = Math.min(this.#recoveryPoint, this.#logEndOffset);
    this.cleanerCheckpoint = Math.min(this.cleanerCheckpoint, this.#logEndOffset);
    this.#logStartOffset = Math.min(this.#logStartOffset, this.#logEndOffset);
  }

  async #rebuildProducerState(): Promise<void> {
    await this.#deleteSnapshotsAbove(this.#logEndOffset);
    await this.#loadProducerSnapshot(await this.#listSnapshots(), this.#logEndOffset);
    // Aborted transactions of the remaining log are kept in their segments' txn indexes.
  }

  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.#exclusive(() => this.#truncateFully(offset));
  }

  async #truncateFully(offset: number): Promise<void> {
    const nowMs = this.#context.clockMs();
    const old = this.#segments.splice(0);
    await this.#scheduleDelete(old, nowMs);
    this.#segments.push(await LogSegment.create(this.#segmentContext(), offset, nowMs));
    this.#logStartOffset = offset;
    this.#logEndOffset = offset;
    this.#highWatermark = offset;
    this.#recoveryPoint = offset;
    this.cleanerCheckpoint = offset;
    this.#producers.clear();
    this.#producers.mapEndOffset = offset;
    for (const snapshot of [...this.#snapshotOffsets]) await this.#deleteSnapshot(snapshot);
    this.#epochCache.clear();
    await this.#saveEpochCache();
  }

  deleteRecordsBefore(offset: number): Promise<number> {
    return this.#exclusive(async () => {
      if (offset > this.#highWatermark) {
        throw new LogError(LogErrorCode.OFFSET_OUT_OF_RANGE, `cannot delete records before ${offset}: high watermark is ${this.#highWatermark}`);
      }
      if (offset > this.#logStartOffset) {
        this.#logStartOffset = offset;
        this.#epochCache.truncateFromStart(offset);
        this.#producers.removeBefore(offset);
        await this.#saveEpochCache();
        await this.#deleteSegmentsWhere(async (_segment, nextBase) => nextBase <= this.#logStartOffset);
      }
      return this.#logStartOffset;
    });
  }

  /**
   * Deletes the oldest segments while `deletable` holds and they lie below the high watermark;
   * the active segment is rolled first when it would go too. Returns how many were deleted.
   */
  async #deleteSegmentsWhere(deletable: (segment: LogSegment, nextBase: number) => Promise<boolean>): Promise<number> {
    const nowMs = this.#context.clockMs();
    let count = 0;
    for (let index = 0; index < this.#segments.length; index++) {
      const segment = this.#segments[index];
      const isLast = index === this.#segments.length - 1;
      const nextBase = isLast ? this.#logEndOffset : this.#segments[index + 1].baseOffset;
      if (nextBase > this.#highWatermark || !(await deletable(segment, nextBase))) break;
      if (isLast && segment.sizeBytes === 0) break;
      count++;
    }
    if (count === 0) return 0;
    if (count === this.#segments.length) await this.#roll(this.#logEndOffset, nowMs);
    const removed = this.#segments.splice(0, count);
    await this.#scheduleDelete(removed, nowMs);
    this.#logStartOffset = Math.max(this.#logStartOffset, this.#segments[0].baseOffset);
    this.#epochCache.truncateFromStart(this.#logStartOffset);
    this.#producers.removeBefore(this.#logStartOffset);
    await this.#saveEpochCache();
    await this.#pruneSnapshots();
    return count;
  }

  async #scheduleDelete(segments: LogSegment[], nowMs: number): Promise<void> {
    for (const segment of segments) {
      const paths = await segment.markDeleted();
      this.#pendingDeletes.push({ dueMs: nowMs + this.#config.fileDeleteDelayMs, paths, segment });
    }
    if (this.#config.fileDeleteDelayMs === 0) await this.#deleteDueFiles(nowMs);
  }

  async #deleteDueFiles(nowMs: number): Promise<void> {
    const due = this.#pendingDeletes.filter((pending) => pending.dueMs <= nowMs);
    this.#pendingDeletes = this.#pendingDeletes.filter((pending) => pending.dueMs > nowMs);
    for (const pending of due) {
      await pending.segment.closeAfterDelete();
      for (const file of pending.paths) await this.#context.fs.unlink(file);
    }
  }

  /** Retention by time, size and log start offset; flush.ms; delayed deletes. */
  runMaintenance(nowMs: number): Promise<{ deletedSegments: number }> {
    return this.#exclusive(async () => {
      let deleted = 0;
      const config = this.#config;
      if (config.cleanupPolicy !== 'compact') {
        if (config.retentionMs >= 0) {
          deleted += await this.#deleteSegmentsWhere(async (segment) => {
            const largest = await segment.largestTimestamp();
            return largest >= 0 && nowMs - largest > config.retentionMs;
          });
        }
        if (config.retentionBytes >= 0) {
          let excess = this.sizeBytes - config.retentionBytes;
          deleted += await this.#deleteSegmentsWhere(async (segment) => {
            if (excess - segment.sizeBytes < 0) return false;
            excess -= segment.sizeBytes;
            return true;
          });
        }
      }
      deleted += await this.#deleteSegmentsWhere(async (_segment, nextBase) => nextBase <= this.#logStartOffset);
      if (this.#unflushedMessages > 0 && nowMs - this.#lastFlushMs >= config.flushMs) await this.#flush();
      await this.#deleteDueFiles(nowMs);
      this.#producers.expire(nowMs, PRODUCER_ID_EXPIRATION_MS);
      return { deletedSegments: deleted };
    });
  }

  // -------------------------------------------------------------------------------------------
  // compaction support (used by the cleaner)

  /** Segments for the cleaner (never the active one). */
  inactiveSegments(): LogSegment[] {
    return this.#segments.slice(0, -1);
  }

  /** Runs `work` under the log's lock (the cleaner's swap step). */
  withLock<T>(work: () => Promise<T>): Promise<T> {
    return this.#exclusive(work);
  }

  get activeBaseOffset(): number {
    return this.#active.baseOffset;
  }

  activeAbortedTxns(): readonly AbortedTxnEntry[] {
    return this.#active.abortedTxns;
  }

  /**
   * Replaces `oldSegments` (contiguous, inactive) by one segment holding `batches` (the
   * cleaner's output), crash-safely: `.cleaned` → `.swap`, old files → `.deleted`, `.swap` →
   * `.log`. Returns false (and discards the output) when the old segments changed meanwhile.
   */
  async installCleanedSegments(oldSegments: LogSegment[], batches: Buffer[], keepAbortedTxn: (entry: AbortedTxnEntry) => boolean = () => true): Promise<boolean> {
    const fs = this.#context.fs;
    const base = oldSegments[0].baseOffset;
    const logName = segmentFileName(base, LOG_FILE_SUFFIX);
    const cleaned = path.join(this.dir, logName + CLEANED_FILE_SUFFIX);
    const swap = path.join(this.dir, logName + SWAP_FILE_SUFFIX);
    try {
      const file = await fs.open(cleaned, 'write');
      try {
        await file.truncate(0);
        await writevFully(file, batches, 0);
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (error) {
      this.#fail(error);
    }
    return this.#exclusive(async () => {
      const first = this.#segments.indexOf(oldSegments[0]);
      const intact = first >= 0 && oldSegments.every((segment, index) => this.#segments[first + index] === segment) && !oldSegments.includes(this.#active);
      if (!intact) {
        await fs.unlink(cleaned);
        return false;
      }
      await fs.rename(cleaned, swap);
      await fs.syncDir(this.dir);
      const nowMs = this.#context.clockMs();
      const aborted = oldSegments.flatMap((segment) => segment.abortedTxns).filter(keepAbortedTxn);
      await this.#scheduleDelete(oldSegments, nowMs);
      await fs.rename(swap, path.join(this.dir, logName));
      await fs.syncDir(this.dir);
      const replacement = await LogSegment.open(this.#segmentContext(), base, nowMs);
      for (const entry of aborted) replacement.addAbortedTxn(entry);
      await replacement.rebuildIndexes();
      await replacement.persistIndexes(true);
      this.#segments.splice(first, oldSegments.length, replacement);
      // The snapshots of the segments merged into the replacement go with them (Kafka).
      for (const segment of oldSegments.slice(1)) {
        if (this.#snapshotOffsets.includes(segment.baseOffset)) await this.#deleteSnapshot(segment.baseOffset);
      }
      return true;
    });
  }

  get segmentContext(): SegmentContext {
    return this.#segmentContext();
  }

  get clockMs(): () => number {
    return this.#context.clockMs;
  }

  get fs(): LogFs {
    return this.#context.fs;
  }

  // -------------------------------------------------------------------------------------------
  // epochs, producers, info

  endOffsetForLeaderEpoch(leaderEpoch: number): EpochEndOffset {
    return this.#epochCache.endOffsetFor(leaderEpoch, this.#logEndOffset);
  }

  epochEntries(): EpochEntry[] {
    return this.#epochCache.entries();
  }

  activeProducers(): ProducerStateEntry[] {
    return this.#producers.entries().map((entry) => this.#producers.describe(entry));
  }

  /**
   * Per active producer, the last offset of its last data batch (none when its last entry is a
   * marker of a newer epoch) and its epoch: the batches compaction must keep (Kafka's
   * lastRecordsOfActiveProducers).
   */
  lastRecordsOfActiveProducers(): Map<bigint, { lastDataOffset: number | undefined; producerEpoch: number }> {
    const last = new Map<bigint, { lastDataOffset: number | undefined; producerEpoch: number }>();
    for (const entry of this.#producers.entries()) {
      const batch = entry.batches[entry.batches.length - 1];
      last.set(entry.producerId, { lastDataOffset: batch?.lastOffset, producerEpoch: entry.producerEpoch });
    }
    return last;
  }

  producerState(producerId: bigint): ProducerStateEntry | undefined {
    const entry = this.#producers.entry(producerId);
    return entry ? this.#producers.describe(entry) : undefined;
  }

  segments(): SegmentInfo[] {
    return this.#segments.map((segment, index) => ({
      baseOffset: segment.baseOffset,
      sizeBytes: segment.sizeBytes,
      maxTimestamp: segment.maxTimestamp,
      nextOffset: index === this.#segments.length - 1 ? this.#logEndOffset : this.#segments[index + 1].baseOffset,
    }));
  }

  isCompacted(): boolean {
    return isCompacted(this.#config);
  }

  // -------------------------------------------------------------------------------------------
  // close and delete

  /** Clean close: flush, trimmed indexes, producer snapshot at LEO, close files. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#offline) {
      this.#closed = true;
      return Promise.all(this.#segments.map((segment) => segment.closeQuietly())).then(() => {});
    }
    return this.#exclusive(async () => {
      await this.#flush();
      await this.#writeProducerSnapshot(this.#logEndOffset);
      await this.#saveEpochCache();
      for (const segment of this.#segments) await segment.close();
      await this.#deleteDueFiles(Number.MAX_SAFE_INTEGER);
      this.#closed = true;
    });
  }

  /** Closes the files (no flush) before the directory is deleted. */
  async closeForDelete(): Promise<void> {
    await this.#lock.catch(() => {});
    this.#closed = true;
    for (const segment of this.#segments) await segment.closeQuietly();
    for (const pending of this.#pendingDeletes) await pending.segment.closeAfterDelete();
    this.#pendingDeletes = [];
  }
}

interface LeaderValidated {
  ok: true;
  headers: RecordBatchHeader[];
  recordCount: number;
  markers: (TxnMarker | undefined)[];
  nowMs: number;
  /** The CRC is still to be checked (during the write). */
  crcDeferred: boolean;
}

/** A read raced with the deletion of its segment; the read is retried once. */
class SegmentGoneError extends Error {}
