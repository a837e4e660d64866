/**
 * The broker's log manager: owns the log dirs, loads every partition log at start (recovering
 * after a crash), creates and deletes logs, writes the per-dir checkpoint files, runs the
 * background work (retention, compaction, flush.ms, checkpoints) and takes a dir offline on an
 * I/O error.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { CreateLogOptions, LogConfig, LogDirState, LogManager, LogManagerOptions, LogManagerStats, PartitionLog, TopicPartition } from './api.ts';
import {
  formatMetaProperties,
  parseProperties,
  partitionKey,
  readOffsetCheckpoint,
  writeFileAtomic,
  writeOffsetCheckpoint,
} from './checkpoint-files.ts';
import { cleanLog } from './cleaner.ts';
import { resolveLogConfig } from './config.ts';
import { LogDirOfflineError, LogError, LogErrorCode } from './errors.ts';
import { nodeLogFs, type LogFs } from './fs.ts';
import { LruPool } from './lru.ts';
import { PartitionLogImpl, type LogContext } from './partition-log.ts';

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
export const META_PROPERTIES_FILE = 'meta.properties';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
/** Logs loaded in parallel at start (bounded: each recovery holds a read buffer). */
const LOAD_CONCURRENCY_MAX = 8;
const DEFAULT_LOADED_INDEXES_MAX = 1000;
const DEFAULT_OPEN_FILES_MAX = 1000;
/** Kafka's defaults: log.retention.check.interval.ms, log.flush.offset.checkpoint.interval.ms. */
const RETENTION_CHECK_INTERVAL_MS = 300_000;
const CHECKPOINT_INTERVAL_MS = 60_000;
const FLUSH_CHECK_INTERVAL_MS = 1_000;
const CLEANER_INTERVAL_MS = 15_000;

/** `<topic>-<partition>`; topic names may themselves contain '-'. */
const PARTITION_DIR = /^(.+)-(\d+)$/;

interface DirState extends LogDirState {
  logs: Map<string, PartitionLogImpl>;
}

async function mapLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(workers);
}

export class LogManagerImpl implements LogManager {
  readonly #fs: LogFs;
  readonly #dirs: DirState[];
  readonly #options: LogManagerOptions;
  #defaultOverrides: Partial<LogConfig>;
  #defaultConfig: LogConfig;
  readonly #topicOverrides = new Map<string, Partial<LogConfig>>();
  readonly #context: LogContext;
  readonly #timers: NodeJS.Timeout[] = [];
  #maintenance: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #uncleanable = new Map<PartitionLogImpl, Error>();
  readonly #creating = new Map<string, Promise<PartitionLog>>();

  private constructor(options: LogManagerOptions) {
    this.#options = options;
    this.#fs = options.fs ?? nodeLogFs;
    this.#dirs = options.logDirs.map((dir) => ({ path: path.resolve(dir), online: true, logs: new Map() }));
    this.#defaultOverrides = { ...options.defaultConfig };
    this.#defaultConfig = resolveLogConfig(this.#defaultOverrides);
    this.#context = {
      fs: this.#fs,
      clockMs: options.clockMs ?? Date.now,
      indexPool: new LruPool(options.loadedIndexesMax ?? DEFAULT_LOADED_INDEXES_MAX),
      filePool: new LruPool(options.openFilesMax ?? DEFAULT_OPEN_FILES_MAX),
      defaultConfig: () => this.#defaultOverrides,
      onIoError: (logDir, error) => this.#takeOffline(logDir, error),
    };
  }

  static async open(options: LogManagerOptions): Promise<LogManagerImpl> {
    if (options.logDirs.length === 0) throw new LogError(LogErrorCode.INVALID_CONFIG, 'no log dirs given');
    const manager = new LogManagerImpl(options);
    for (const dir of manager.#dirs) {
      try {
        await manager.#loadDir(dir);
      } catch (error) {
        if (error instanceof LogError && error.code !== LogErrorCode.KAFKA_STORAGE_ERROR) throw error;
        manager.#takeOffline(dir.path, error);
      }
    }
    manager.#startTimers();
    return manager;
  }

  get logDirs(): readonly LogDirState[] {
    return this.#dirs.map(({ path: dirPath, online, error }) => ({ path: dirPath, online, error }));
  }

  get defaultConfig(): Readonly<LogConfig> {
    return this.#defaultConfig;
  }

  // -------------------------------------------------------------------------------------------
  // loading

  async #loadDir(dir: DirState): Promise<void> {
    const fs = this.#fs;
    await fs.mkdir(dir.path);
    await this.#checkMetaProperties(dir.path);
    const cleanShutdown = await fs.exists(path.join(dir.path, CLEAN_SHUTDOWN_FILE));
    const recoveryPoints = await readOffsetCheckpoint(fs, path.join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE));
    const logStartOffsets = await readOffsetCheckpoint(fs, path.join(dir.path, LOG_START_OFFSET_CHECKPOINT_FILE));
    const highWatermarks = await readOffsetCheckpoint(fs, path.join(dir.path, REPLICATION_OFFSET_CHECKPOINT_FILE));
    const cleanerOffsets = await readOffsetCheckpoint(fs, path.join(dir.path, CLEANER_OFFSET_CHECKPOINT_FILE));
    const entries = await fs.readdir(dir.path);
    const partitions: TopicPartition[] = [];
    for (const name of entries) {
      if (name.endsWith('-delete')) {
        await fs.rmdir(path.join(dir.path, name));
        continue;
      }
      const match = PARTITION_DIR.exec(name);
      if (!match || name.endsWith('-future') || name.endsWith('-stray')) continue;
      if (!(await fs.isDirectory(path.join(dir.path, name)))) continue;
      partitions.push({ topic: match[1], partition: Number(match[2]) });
    }
    await mapLimited(partitions, LOAD_CONCURRENCY_MAX, async (tp) => {
      const key = partitionKey(tp);
      const log = await PartitionLogImpl.load(this.#context, dir.path, tp.topic, tp.partition, this.#topicOverrides.get(tp.topic) ?? {}, {
        cleanShutdown,
        recoveryPoint: recoveryPoints.get(key),
        logStartOffset: logStartOffsets.get(key),
        highWatermark: highWatermarks.get(key),
      });
      const cleaned = cleanerOffsets.get(key);
      if (cleaned !== undefined) log.cleanerCheckpoint = Math.max(log.logStartOffset, Math.min(cleaned, log.logEndOffset));
      dir.logs.set(key, log);
    });
    // The marker only vouches for the shutdown that wrote it.
    if (cleanShutdown) await fs.unlink(path.join(dir.path, CLEAN_SHUTDOWN_FILE));
    await this.#checkpointDir(dir);
  }

  async #checkMetaProperties(dirPath: string): Promise<void> {
    const file = path.join(dirPath, META_PROPERTIES_FILE);
    const bytes = await this.#fs.readFile(file);
    if (bytes) {
      const properties = parseProperties(bytes.toString('utf8'));
      const brokerId = properties.get('broker.id');
      if (brokerId !== undefined && Number(brokerId) !== this.#options.brokerId) {
        throw new LogError(LogErrorCode.INVALID_CONFIG, `${file} belongs to broker ${brokerId}, not ${this.#options.brokerId}`);
      }
      const clusterId = properties.get('cluster.id');
      if (clusterId && this.#options.clusterId && clusterId !== this.#options.clusterId) {
        throw new LogError(LogErrorCode.INVALID_CONFIG, `${file} belongs to cluster ${clusterId}, not ${this.#options.clusterId}`);
      }
      return;
    }
    const properties: Record<string, string> = { version: '0', 'broker.id': String(this.#options.brokerId) };
    if (this.#options.clusterId) properties['cluster.id'] = this.#options.clusterId;
    await writeFileAtomic(this.#fs, file, formatMetaProperties(properties));
  }

  // -------------------------------------------------------------------------------------------
  // failures

  #takeOffline(logDir: string, error: unknown): void {
    const dir = this.#dirs.find((candidate) => candidate.path === logDir);
    if (!dir || !dir.online) return;
    dir.online = false;
    dir.error = error instanceof Error ? error : new Error(String(error));
    const offline = new LogDirOfflineError(logDir, error);
    for (const log of dir.logs.values()) log.markOffline(offline);
    this.#options.onLogDirFailure?.(logDir, dir.error);
  }

  #onlineDir(dir: DirState): void {
    if (!dir.online) throw new LogDirOfflineError(dir.path, dir.error);
  }

  // -------------------------------------------------------------------------------------------
  // logs

  #find(tp: TopicPartition): { dir: DirState; log: PartitionLogImpl } | undefined {
    const key = partitionKey(tp);
    for (const dir of this.#dirs) {
      const log = dir.logs.get(key);
      if (log) return { dir, log };
    }
    return undefined;
  }

  getLog(tp: TopicPartition): PartitionLog | undefined {
    return this.#find(tp)?.log;
  }

  getOrCreateLog(tp: TopicPartition, options: CreateLogOptions = {}): Promise<PartitionLog> {
    const existing = this.#find(tp);
    if (existing) return Promise.resolve(existing.log);
    // Concurrent creations of one partition share the first (two would race on the same files).
    const key = partitionKey(tp);
    const pending = this.#creating.get(key);
    if (pending) return pending;
    const creation = this.#createLog(tp, options).finally(() => this.#creating.delete(key));
    this.#creating.set(key, creation);
    return creation;
  }

  async #createLog(tp: TopicPartition, options: CreateLogOptions): Promise<PartitionLog> {
    if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.topic.length === 0 || tp.topic.includes('/')) {
      throw new LogError(LogErrorCode.INVALID_REQUEST, `invalid partition ${tp.topic}-${tp.partition}`);
    }
    const dir = options.logDir
      ? this.#dirs.find((candidate) => candidate.path === path.resolve(options.logDir!))
      : this.#dirs.filter((candidate) => candidate.online).sort((a, b) => a.logs.size - b.logs.size)[0];
    if (!dir) throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `no online log dir for ${tp.topic}-${tp.partition}`);
    this.#onlineDir(dir);
    if (options.config) this.#topicOverrides.set(tp.topic, { ...this.#topicOverrides.get(tp.topic), ...options.config });
    try {
      const log = await PartitionLogImpl.load(this.#context, dir.path, tp.topic, tp.partition, this.#topicOverrides.get(tp.topic) ?? {}, { cleanShutdown: false }, options.topicId, options.initialOffset ?? 0);
      dir.logs.set(partitionKey(tp), log);
      return log;
    } catch (error) {
      if (error instanceof LogError) throw error;
      this.#takeOffline(dir.path, error);
      throw new LogDirOfflineError(dir.path, error);
    }
  }

  async deleteLog(tp: TopicPartition): Promise<void> {
    const found = this.#find(tp);
    if (!found) return;
    const { dir, log } = found;
    dir.logs.delete(partitionKey(tp));
    await log.closeForDelete();
    const deletedName = `${path.basename(log.dir)}.${randomUUID().replaceAll('-', '')}-delete`;
    try {
      await this.#fs.rename(log.dir, path.join(dir.path, deletedName));
      const delayMs = log.config.fileDeleteDelayMs;
      const remove = (): Promise<void> => this.#fs.rmdir(path.join(dir.path, deletedName)).catch(() => {});
      if (delayMs <= 0 || this.#options.backgroundTasks === false) await remove();
      else this.#timers.push(setTimeout(() => void remove(), delayMs).unref());
    } catch (error) {
      this.#takeOffline(dir.path, error);
      throw new LogDirOfflineError(dir.path, error);
    }
  }

  partitions(): TopicPartition[] {
    return this.logs().map((log) => ({ topic: log.topic, partition: log.partition }));
  }

  logs(): PartitionLog[] {
    return this.#dirs.flatMap((dir) => [...dir.logs.values()]);
  }

  updateTopicConfig(topic: string, overrides: Partial<LogConfig>): void {
    resolveLogConfig(this.#defaultOverrides, overrides); // validates before anything changes
    this.#topicOverrides.set(topic, { ...overrides });
    for (const dir of this.#dirs) for (const log of dir.logs.values()) if (log.topic === topic) log.updateConfig(overrides);
  }

  /** Changes broker-wide defaults (dynamic broker configs). */
  updateDefaultConfig(overrides: Partial<LogConfig>): void {
    this.#defaultConfig = resolveLogConfig(overrides);
    this.#defaultOverrides = { ...overrides };
    for (const dir of this.#dirs) for (const log of dir.logs.values()) log.refreshConfig();
  }

  stats(): LogManagerStats {
    const logs = this.logs();
    return {
      partitions: logs.length,
      segments: logs.reduce((sum, log) => sum + log.segments().length, 0),
      openFiles: this.#context.filePool.size,
      loadedIndexes: this.#context.indexPool.size,
      totalBytes: logs.reduce((sum, log) => sum + log.sizeBytes, 0),
    };
  }

  /** Partitions the cleaner gave up on, with the error (for the dashboard / logs). */
  uncleanablePartitions(): { topic: string; partition: number; error: Error }[] {
    return [...this.#uncleanable].map(([log, error]) => ({ topic: log.topic, partition: log.partition, error }));
  }

  // -------------------------------------------------------------------------------------------
  // checkpoints and background work

  async checkpoint(): Promise<void> {
    for (const dir of this.#dirs) {
      if (!dir.online) continue;
      try {
        await this.#checkpointDir(dir);
      } catch (error) {
        this.#takeOffline(dir.path, error);
      }
    }
  }

  async #checkpointDir(dir: DirState): Promise<void> {
    const logs = [...dir.logs.values()].filter((log) => !log.isOffline);
    const tp = (log: PartitionLogImpl): TopicPartition => ({ topic: log.topic, partition: log.partition });
    await writeOffsetCheckpoint(this.#fs, path.join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE), logs.map((log) => [tp(log), log.recoveryPoint]));
    await writeOffsetCheckpoint(this.#fs, path.join(dir.path, LOG_START_OFFSET_CHECKPOINT_FILE), logs.filter((log) => log.logStartOffset > 0).map((log) => [tp(log), log.logStartOffset]));
    await writeOffsetCheckpoint(this.#fs, path.join(dir.path, REPLICATION_OFFSET_CHECKPOINT_FILE), logs.map((log) => [tp(log), log.highWatermark]));
    const compacted = logs.filter((log) => log.isCompacted());
    if (compacted.length > 0) {
      await writeOffsetCheckpoint(this.#fs, path.join(dir.path, CLEANER_OFFSET_CHECKPOINT_FILE), compacted.map((log) => [tp(log), log.cleanerCheckpoint]));
    }
  }

  runMaintenance(nowMs?: number): Promise<void> {
    const run = this.#maintenance.then(() => this.#runMaintenance(nowMs ?? this.#context.clockMs(), true, true));
    this.#maintenance = run.catch(() => {});
    return run;
  }

  async #runMaintenance(nowMs: number, retention: boolean, compaction: boolean): Promise<void> {
    for (const dir of this.#dirs) {
      if (!dir.online) continue;
      for (const log of [...dir.logs.values()]) {
        if (log.isOffline || this.#closed) continue;
        try {
          if (retention) await log.runMaintenance(nowMs);
          if (compaction && log.isCompacted() && !this.#uncleanable.has(log)) {
            await cleanLog(log, nowMs).catch((error: unknown) => {
              // Kafka marks a partition uncleanable after a cleaner failure rather than retrying
              // forever; an I/O error has already taken the dir offline through the log.
              if (!log.isOffline) this.#uncleanable.set(log, error instanceof Error ? error : new Error(String(error)));
            });
          }
        } catch (error) {
          if (error instanceof LogError && error.code === LogErrorCode.KAFKA_STORAGE_ERROR) continue;
          if (error instanceof LogError && error.code === LogErrorCode.UNKNOWN_TOPIC_OR_PARTITION) continue;
          throw error;
        }
      }
    }
  }

  #startTimers(): void {
    const tasks = this.#options.backgroundTasks ?? true;
    if (tasks === false) return;
    const intervals = tasks === true ? {} : tasks;
    const every = (intervalMs: number, work: () => Promise<void>): void => {
      const timer = setInterval(() => {
        if (this.#closed) return;
        const run = this.#maintenance.then(work);
        this.#maintenance = run.catch(() => {});
      }, intervalMs);
      timer.unref();
      this.#timers.push(timer);
    };
    every(intervals.retentionCheckIntervalMs ?? RETENTION_CHECK_INTERVAL_MS, () => this.#runMaintenance(this.#context.clockMs(), true, false));
    every(intervals.cleanerIntervalMs ?? CLEANER_INTERVAL_MS, () => this.#runMaintenance(this.#context.clockMs(), false, true));
    every(intervals.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS, () => this.checkpoint());
    every(intervals.flushCheckIntervalMs ?? FLUSH_CHECK_INTERVAL_MS, () => this.#flushDue());
  }

  /** flush.ms: only logs with a finite flush.ms and unflushed data do any work. */
  async #flushDue(): Promise<void> {
    for (const log of this.logs()) {
      if (log.isOffline || log.config.flushMs >= Number.MAX_SAFE_INTEGER) continue;
      await (log as PartitionLogImpl).runMaintenance(this.#context.clockMs()).catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    await this.#maintenance;
    for (const dir of this.#dirs) {
      let failed = !dir.online;
      for (const log of dir.logs.values()) {
        try {
          await log.close();
        } catch {
          failed = true;
        }
      }
      if (failed || !dir.online) continue;
      try {
        await this.#checkpointDir(dir);
        await writeFileAtomic(this.#fs, path.join(dir.path, CLEAN_SHUTDOWN_FILE), '');
      } catch (error) {
        this.#takeOffline(dir.path, error);
      }
    }
  }
}

/** Opens the log dirs, recovering every partition log found there. */
export function openLogManager(options: LogManagerOptions): Promise<LogManager> {
  return LogManagerImpl.open(options);
}
