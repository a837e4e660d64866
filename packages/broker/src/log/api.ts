/**
 * Public API of the partitioned, append-only segment log (issue 3).
 *
 * The broker's handlers and the replication / transaction layers code against these types only;
 * the implementation lives beside this file (`log-manager.ts`, `partition-log.ts`, …) and is
 * created through `openLogManager(options)` (exported from `./index.ts`).
 *
 * On-disk layout follows Apache Kafka so its tools (DumpLogSegments) read our data and we read
 * theirs:
 *
 *   <logDir>/meta.properties                      key=value (version, broker.id, cluster.id)
 *   <logDir>/recovery-point-offset-checkpoint     text: "0", count, "topic partition offset" lines
 *   <logDir>/log-start-offset-checkpoint          same format
 *   <logDir>/replication-offset-checkpoint        same format (high watermarks)
 *   <logDir>/cleaner-offset-checkpoint            same format (compaction progress)
 *   <logDir>/.kafka_cleanshutdown                 present only after a clean close
 *   <logDir>/<topic>-<partition>/
 *       00000000000000000000.log                  record batches (magic 2) exactly as on the wire
 *       00000000000000000000.index                8-byte entries: int32 relative offset, int32 position
 *       00000000000000000000.timeindex            12-byte entries: int64 timestamp, int32 relative offset
 *       00000000000000000000.txnindex             aborted transactions (34-byte entries)
 *       00000000000000000123.snapshot             producer state as of offset 123
 *       leader-epoch-checkpoint                   text: "0", count, "epoch startOffset" lines
 *       partition.metadata                        "version: 0\ntopic_id: <base64url uuid>"
 *
 * Offsets are JavaScript numbers (exact up to 2^53, far beyond any real partition); producer ids
 * are bigint as on the wire.
 *
 * Error model (DESIGN.md convention 7):
 * - Expected outcomes of an append (bad sequence, fenced epoch, invalid records, record too large)
 *   come back as values: `AppendResult` with `ok: false` and a Kafka `errorCode`.
 * - Everything else is thrown as `LogError` (see `./errors.ts`) carrying a Kafka `code` and
 *   `retriable`: OFFSET_OUT_OF_RANGE (1) for a read outside [logStartOffset, logEndOffset],
 *   KAFKA_STORAGE_ERROR (56) once an I/O error has taken the log dir offline,
 *   UNKNOWN_TOPIC_OR_PARTITION (3) for a deleted log, INVALID_CONFIG (40) for bad topic config.
 */
import type { LogFs } from './fs.ts';

export type { LogFs, LogFile } from './fs.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

/**
 * Per-topic log configuration; names are Kafka's topic config keys in lowerCamelCase with the unit
 * last. Defaults (`DEFAULT_LOG_CONFIG` in `./config.ts`) are Kafka's. `-1` means "unlimited" where
 * Kafka allows it (retentionMs, retentionBytes). `logConfigFromProperties()` parses Kafka's
 * string-keyed form (`{"segment.bytes": "1048576"}`) and rejects bad values with INVALID_CONFIG.
 */
export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this size. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** segment.jitter.ms: random reduction of segmentMs so partitions do not roll together. */
  segmentJitterMs: number;
  /** index.interval.bytes: one .index / .timeindex entry per this many bytes of batches. */
  indexIntervalBytes: number;
  /** segment.index.bytes: size the index files are preallocated to; a full index rolls. */
  segmentIndexBytes: number;
  /** retention.ms: delete segments whose largest timestamp is older than this (-1: never). */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the log is larger than this (-1: never). */
  retentionBytes: number;
  /** cleanup.policy */
  cleanupPolicy: CleanupPolicy;
  /** delete.retention.ms: how long compaction keeps tombstones (and empty txn markers). */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: records younger than this are never compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty log older than this is compacted regardless of ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio */
  minCleanableDirtyRatio: number;
  /** max.message.bytes: largest record batch accepted (after compression), in bytes. */
  maxMessageBytes: number;
  /** message.timestamp.type */
  messageTimestampType: TimestampType;
  /** message.timestamp.before.max.ms (CreateTime only): reject timestamps older than now − this. */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms (CreateTime only): reject timestamps newer than now + this. */
  messageTimestampAfterMaxMs: number;
  /** flush.messages: fsync after this many records (Kafka's default: effectively never). */
  flushMessages: number;
  /** flush.ms: fsync when the last flush is older than this (default: effectively never). */
  flushMs: number;
  /** file.delete.delay.ms: a deleted segment lingers as *.deleted this long. */
  fileDeleteDelayMs: number;
  /** preallocate: preallocate the .log file to segmentBytes (off by default, as Kafka). */
  preallocate: boolean;
}

// ---------------------------------------------------------------------------------------------
// Log manager: one per broker, owns every log dir.
// ---------------------------------------------------------------------------------------------

export interface LogManagerOptions {
  /** Absolute paths of the log dirs (Kafka's log.dirs); created when missing. */
  logDirs: string[];
  /** Broker id and cluster id written to / checked against meta.properties. */
  brokerId: number;
  clusterId?: string;
  /** File access; defaults to node:fs/promises. Tests pass a fault-injecting wrapper. */
  fs?: LogFs;
  /** Broker-wide defaults (log.segment.bytes etc.); per-topic overrides come on top. */
  defaultConfig?: Partial<LogConfig>;
  /** Wall clock in ms; tests pass a fake one to drive segment.ms / retention.ms / flush.ms. */
  clockMs?: () => number;
  /**
   * Background tasks (retention, compaction, flush.ms, checkpoints, delayed file deletion).
   * Intervals default to Kafka's (log.retention.check.interval.ms = 300000, checkpoints 60000);
   * `false` disables the timers and leaves `runMaintenance()` to the caller (tests).
   */
  backgroundTasks?: boolean | {
    retentionCheckIntervalMs?: number;
    checkpointIntervalMs?: number;
    flushCheckIntervalMs?: number;
    cleanerIntervalMs?: number;
  };
  /** Called once when a log dir goes offline after an I/O error (replication reacts to it). */
  onLogDirFailure?: (logDir: string, error: Error) => void;
  /**
   * Bound on memory with thousands of partitions: indexes of at most this many inactive
   * segments are held in memory (least recently used are dropped), and at most
   * `openFilesMax` segment file handles stay open.
   */
  loadedIndexesMax?: number;
  openFilesMax?: number;
}

export interface LogDirState {
  path: string;
  online: boolean;
  /** Why the dir went offline (first I/O error), when it did. */
  error?: Error;
}

export interface CreateLogOptions {
  /** Kafka topic id (22-char base64url), written to partition.metadata. */
  topicId?: string;
  /** Per-topic overrides of the broker defaults. */
  config?: Partial<LogConfig>;
  /** Which log dir to place a new log in; default: the online dir with the fewest logs. */
  logDir?: string;
  /** Log start (and end) offset of a brand-new log; 0 by default. */
  initialOffset?: number;
}

export interface LogManager {
  readonly logDirs: readonly LogDirState[];
  /**
   * The log of a partition, or undefined when this broker has none. A log whose dir went offline
   * is still returned: `isOffline` is true and its operations throw KAFKA_STORAGE_ERROR.
   */
  getLog(tp: TopicPartition): PartitionLog | undefined;
  /** Returns the existing log or creates an empty one (directory, first segment, metadata). */
  getOrCreateLog(tp: TopicPartition, options?: CreateLogOptions): Promise<PartitionLog>;
  /**
   * Deletes a partition's log: closes it, renames the dir to `<topic>-<partition>.<uuid>-delete`
   * (as Kafka does) and removes it after fileDeleteDelayMs. No-op when absent.
   */
  deleteLog(tp: TopicPartition): Promise<void>;
  /** Every partition with a log here, in no particular order. */
  partitions(): TopicPartition[];
  /** Every open log. */
  logs(): PartitionLog[];
  /** Applies new per-topic overrides to every partition of the topic (live, like AlterConfigs). */
  updateTopicConfig(topic: string, overrides: Partial<LogConfig>): void;
  /** Broker-wide defaults after `defaultConfig`. */
  readonly defaultConfig: Readonly<LogConfig>;
  /** Replaces the broker-wide defaults (dynamic broker configs); every log re-resolves its config. */
  updateDefaultConfig(overrides: Partial<LogConfig>): void;
  /** Partitions whose compaction failed (Kafka marks them uncleanable), with the error. */
  uncleanablePartitions(): { topic: string; partition: number; error: Error }[];
  /** Writes recovery-point, log-start-offset and replication-offset checkpoints of every dir. */
  checkpoint(): Promise<void>;
  /**
   * One pass of background work at `nowMs` (default: clock): roll by segment.ms, retention by
   * time / size / log start offset, compaction of compact logs, flush.ms, delayed deletion.
   */
  runMaintenance(nowMs?: number): Promise<void>;
  /** Resource use, for the dashboard and memory-bound tests. */
  stats(): LogManagerStats;
  /** Fsyncs every log, writes checkpoints and the clean-shutdown marker, closes every file. */
  close(): Promise<void>;
}

export interface LogManagerStats {
  partitions: number;
  segments: number;
  /** Segment .log files open now (bounded by openFilesMax, plus files in use this instant). */
  openFiles: number;
  /** Inactive segments whose indexes are in memory (bounded by loadedIndexesMax). */
  loadedIndexes: number;
  totalBytes: number;
}

// ---------------------------------------------------------------------------------------------
// Partition log
// ---------------------------------------------------------------------------------------------

export type AppendOrigin =
  /** A client's Produce: control batches rejected, producer sequences validated. */
  | 'client'
  /** The transaction coordinator writing markers (WriteTxnMarkers): control batches allowed. */
  | 'coordinator'
  /** The broker itself (group / transaction coordinator state): no sequence checks. */
  | 'internal';

export interface LeaderAppendOptions {
  /** The leader's current epoch, stamped into every batch and recorded in the epoch cache. */
  leaderEpoch: number;
  origin?: AppendOrigin;
  /** Wall clock for LogAppendTime and timestamp validation; default: the manager's clock. */
  nowMs?: number;
}

export interface AppendSuccess {
  ok: true;
  /**
   * True when the batch repeats one of the producer's last 5 batches (idempotent retry): nothing
   * was written and the offsets are those of the original append.
   */
  duplicate: boolean;
  firstOffset: number;
  lastOffset: number;
  /** The timestamp written when message.timestamp.type=LogAppendTime, else -1. */
  logAppendTimeMs: number;
  logStartOffset: number;
  recordCount: number;
  batchCount: number;
  /** Bytes written (0 for a duplicate). */
  sizeBytes: number;
}

export interface AppendFailure {
  ok: false;
  /**
   * A Kafka error code: CORRUPT_MESSAGE (2), MESSAGE_TOO_LARGE (10), RECORD_LIST_TOO_LARGE (18),
   * INVALID_TIMESTAMP (32), INVALID_REQUEST (42), OUT_OF_ORDER_SEQUENCE_NUMBER (45),
   * INVALID_PRODUCER_EPOCH (47), INVALID_TXN_STATE (48), UNKNOWN_PRODUCER_ID (59),
   * INVALID_RECORD (87), UNSUPPORTED_FOR_MESSAGE_FORMAT (43).
   */
  errorCode: number;
  errorMessage: string;
  /** Index (within the request's records) of the batch that failed, when one did. */
  batchIndex?: number;
  logStartOffset: number;
}

export type AppendResult = AppendSuccess | AppendFailure;

export interface ReadOptions {
  /**
   * Exclusive upper bound of offsets returned: the high watermark for consumers, the last stable
   * offset for READ_COMMITTED, logEndOffset (the default) for followers. A batch is returned
   * only when it starts below maxOffset (Kafka returns whole batches).
   */
  maxOffset?: number;
  /**
   * Return the first batch even when it is larger than maxBytes (Kafka's behaviour for the first
   * partition of a fetch, so a consumer always progresses). Default true.
   */
  minOneBatch?: boolean;
  /** Also return the aborted transactions overlapping the result (for READ_COMMITTED). */
  includeAbortedTransactions?: boolean;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: number;
}

export interface ReadResult {
  /** Whole batches, concatenated, exactly as stored (possibly empty). */
  records: Buffer;
  /** Base offset of the first batch returned (fetchOffset may fall inside it), or -1. */
  firstBatchOffset: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  logEndOffset: number;
  abortedTransactions?: AbortedTransaction[];
}

export interface TimestampAndOffset {
  timestamp: number;
  offset: number;
  /** Leader epoch of the batch holding `offset`, or -1 if unknown. */
  leaderEpoch: number;
}

export interface EpochEndOffset {
  /** The largest epoch ≤ the requested one known here; -1 when none (UNDEFINED_EPOCH). */
  leaderEpoch: number;
  /** First offset of the next larger epoch, or logEndOffset for the latest; -1 if undefined. */
  endOffset: number;
}

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** One producer id's state, as DescribeProducers reports it. */
export interface ProducerStateEntry {
  producerId: bigint;
  producerEpoch: number;
  /** Last sequence of the last batch appended, -1 if none. */
  lastSequence: number;
  lastTimestamp: number;
  /** Coordinator epoch of the last transaction marker written for this producer, -1 if none. */
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction, -1 when none is open. */
  currentTxnStartOffset: number;
}

export interface SegmentInfo {
  baseOffset: number;
  sizeBytes: number;
  /** Largest timestamp in the segment (-1 when empty). */
  maxTimestamp: number;
  /** Offsets [baseOffset, nextOffset) live in this segment. */
  nextOffset: number;
}

export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** The partition directory. */
  readonly dir: string;
  readonly logDir: string;
  readonly topicId: string | undefined;
  readonly config: Readonly<LogConfig>;
  /** True once an I/O error took this log's dir offline (operations then throw KAFKA_STORAGE_ERROR). */
  readonly isOffline: boolean;
  /** Replace the per-topic overrides (the manager's defaults still apply underneath). */
  updateConfig(overrides: Partial<LogConfig>): void;

  /** First offset still readable (advanced by retention and DeleteRecords). */
  readonly logStartOffset: number;
  /** Next offset to be assigned. */
  readonly logEndOffset: number;
  /** Offsets below this are fsynced (advanced by flushes). */
  readonly recoveryPoint: number;
  /** Maintained by replication; starts at the checkpointed value, clamped to the log. */
  readonly highWatermark: number;
  /**
   * Updates the high watermark (clamped to [logStartOffset, logEndOffset]); returns the value
   * kept. A single-replica partition sets it to logEndOffset after each append.
   */
  setHighWatermark(offset: number): number;
  /**
   * min(first offset of the earliest open transaction, highWatermark): the bound of
   * READ_COMMITTED fetches. Computed from producer state; moves when markers are appended.
   */
  readonly lastStableOffset: number;
  /** First offset of the earliest open transaction, or undefined when none is open. */
  readonly firstUnstableOffset: number | undefined;

  /**
   * Appends the batches of a Produce request (magic 2, possibly several): validates them,
   * assigns offsets by rewriting base offsets in place (the buffer is modified), stamps the
   * leader epoch and, for LogAppendTime, the timestamps (recomputing the CRC), checks producer
   * state, writes all batches with one write, and rolls first when needed.
   */
  appendAsLeader(records: Buffer, options: LeaderAppendOptions): Promise<AppendResult>;
  /**
   * Appends batches fetched from the leader, keeping their offsets, epochs and timestamps. The
   * first batch must start at logEndOffset or later (gaps allowed after compaction), offsets must
   * increase. Failures are returned like leader appends (CORRUPT_MESSAGE etc.).
   */
  appendAsFollower(records: Buffer): Promise<AppendResult>;

  /**
   * Reads whole batches starting with the one containing `fetchOffset`, up to `maxBytes`.
   * Throws LogError OFFSET_OUT_OF_RANGE when fetchOffset < logStartOffset or > logEndOffset.
   */
  read(fetchOffset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult>;

  /**
   * ListOffsets by timestamp (Kafka's semantics): the first record, at or after the log start,
   * whose timestamp ≥ `timestampMs` — found through the time index, then the batch is decoded
   * for the exact record — or undefined when none is.
   */
  offsetForTimestamp(timestampMs: number): Promise<TimestampAndOffset | undefined>;
  /** ListOffsets EARLIEST (-2): logStartOffset. */
  earliestOffset(): TimestampAndOffset;
  /** ListOffsets LATEST (-1): logEndOffset (callers bound by HW / LSO themselves). */
  latestOffset(): TimestampAndOffset;
  /** ListOffsets MAX_TIMESTAMP (-3): the offset of the record with the largest timestamp. */
  maxTimestampOffset(): Promise<TimestampAndOffset | undefined>;

  /**
   * Removes every offset ≥ `offset` (follower truncation after a leader change). Also truncates
   * the epoch cache and producer state. No-op when offset ≥ logEndOffset.
   */
  truncateTo(offset: number): Promise<void>;
  /** Deletes every segment and restarts the log empty at `offset` (follower out of range). */
  truncateFullyAndStartAt(offset: number): Promise<void>;
  /**
   * DeleteRecords: advances logStartOffset to `offset` (≤ highWatermark, else throws
   * OFFSET_OUT_OF_RANGE) and deletes the segments wholly below it. Returns the new start.
   */
  deleteRecordsBefore(offset: number): Promise<number>;

  /** OffsetForLeaderEpoch (KIP-101/279) from the leader-epoch cache. */
  endOffsetForLeaderEpoch(leaderEpoch: number): EpochEndOffset;
  /** Latest epoch in the cache, or -1. */
  readonly latestEpoch: number;
  /** Epoch cache entries, oldest first (leader-epoch-checkpoint's content). */
  epochEntries(): EpochEntry[];

  /** Producer state (idempotence / transactions) of every active producer id. */
  activeProducers(): ProducerStateEntry[];
  /** The state of one producer id, if known. */
  producerState(producerId: bigint): ProducerStateEntry | undefined;

  /** Segments, oldest first (for the dashboard / DescribeLogDirs). */
  segments(): SegmentInfo[];
  /** Total bytes of all segments (DescribeLogDirs). */
  readonly sizeBytes: number;

  /** Fsyncs up to logEndOffset and advances the recovery point. */
  flush(): Promise<void>;
  /** Forces a roll of the active segment (tests, segment.ms). */
  roll(): Promise<void>;
}
