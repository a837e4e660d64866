/**
 * The coordinator's durable state in its data dir:
 * - `log.<first index, 20 digits>`: append-only records, each int32 length, int32 CRC32C of the
 *   payload, payload = kind int8 (1 entry, 2 truncate-after), term int64, index int64, txn bytes.
 *   A truncate record says "forget entries after this index" (a new leader overwrote them).
 * - `snapshot.<last index, 20 digits>`: int32 CRC32C, then last index, last term and the
 *   serialized tree; written to a temp file, fsynced and renamed, so it is whole or absent.
 * - `meta`: current term and vote (election state), written atomically.
 * On open, the newest valid snapshot is loaded and the log records after it replayed; a torn or
 * corrupt tail (crash mid-write) ends the replay and is cut off. Log files are preallocated
 * with zeros (fs.ts): zeros after the last record end a file without being a torn tail (a
 * record never starts with a zero length).
 *
 * Appends are group-committed: records queued while a write+fsync is in flight go out together
 * in the next one. With `forceSync` off (ZooKeeper's forceSync=no) the fsync is skipped.
 */
import { crc32c, Reader, Writer } from '@kafkaesque/protocol/jute';
import { DataTree } from '../tree/data-tree.ts';
import { deserializeTree, serializeTree } from '../tree/snapshot.ts';
import type { CoordinatorFileHandle, CoordinatorFs } from './fs.ts';

export interface LogEntry {
  term: number;
  index: number;
  /** The encoded txn (tree/txn.ts). */
  txn: Buffer;
}

export interface PersistentMeta {
  term: number;
  votedFor: number;
}

export interface LoadedState {
  tree: DataTree;
  snapshotIndex: number;
  snapshotTerm: number;
  /** Entries after the snapshot, in index order. */
  entries: LogEntry[];
  meta: PersistentMeta;
}

const RECORD_ENTRY = 1;
const RECORD_TRUNCATE = 2;
const RECORD_HEADER_BYTES = 8;
const RECORD_BYTES_MAX = 2 * 1024 * 1024;
/** Snapshots kept besides the newest, in case the newest is found damaged. */
const SNAPSHOTS_KEPT = 2;

function fileName(prefix: string, index: number): string {
  return `${prefix}.${String(index).padStart(20, '0')}`;
}

function indexOf(name: string): number {
  return Number(name.slice(name.indexOf('.') + 1));
}

export class TxnLog {
  private readonly fs: CoordinatorFs;
  readonly dir: string;
  readonly forceSync: boolean;
  private handle: CoordinatorFileHandle | null = null;
  private currentFile = '';
  private pending: Buffer[] = [];
  private pendingWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private flushing = false;
  private closed = false;
  /** A new log file to start before the next write (set by snapshot(), done by the flush loop). */
  private rollRequest: number | null = null;

  private constructor(fs: CoordinatorFs, dir: string, forceSync: boolean) {
    this.fs = fs;
    this.dir = dir;
    this.forceSync = forceSync;
  }

  static async open(fs: CoordinatorFs, dir: string, forceSync = true): Promise<{ log: TxnLog; state: LoadedState }> {
    await fs.mkdir(dir);
    const log = new TxnLog(fs, dir, forceSync);
    const state = await log.load();
    const lastIndex = state.entries.length > 0 ? state.entries[state.entries.length - 1].index : state.snapshotIndex;
    await log.roll(lastIndex + 1);
    return { log, state };
  }

  private async load(): Promise<LoadedState> {
    const names = await this.fs.readdir(this.dir);
    const snapshots = names.filter((name) => /^snapshot\.\d{20}$/.test(name)).sort().reverse();
    let tree = new DataTree();
    let snapshotIndex = 0;
    let snapshotTerm = 0;
    for (const name of snapshots) {
      const loaded = await this.readSnapshot(`${this.dir}/${name}`);
      if (loaded !== null) {
        ({ tree, snapshotIndex, snapshotTerm } = loaded);
        break;
      }
    }
    const logs = names.filter((name) => /^log\.\d{20}$/.test(name)).sort();
    const entries: LogEntry[] = [];
    for (const name of logs) {
      const intact = await this.replayFile(`${this.dir}/${name}`, snapshotIndex, entries);
      if (!intact) break;
    }
    return { tree, snapshotIndex, snapshotTerm, entries, meta: await this.readMeta() };
  }

  private async readSnapshot(path: string): Promise<{ tree: DataTree; snapshotIndex: number; snapshotTerm: number } | null> {
    try {
      const bytes = await this.fs.readFile(path);
      if (bytes.length < 20 || crc32c(bytes, 4) !== bytes.readUInt32BE(0)) return null;
      const reader = new Reader(bytes, 4);
      const snapshotIndex = reader.int64Number();
      const snapshotTerm = reader.int64Number();
      return { tree: deserializeTree(bytes.subarray(reader.offset)), snapshotIndex, snapshotTerm };
    } catch {
      return null;
    }
  }

  /** Replays one log file into `entries`; false (and the file cut at the bad spot) on a torn tail. */
  private async replayFile(path: string, snapshotIndex: number, entries: LogEntry[]): Promise<boolean> {
    const bytes = await this.fs.readFile(path);
    let at = 0;
    while (at < bytes.length) {
      if (bytes.length - at < RECORD_HEADER_BYTES) break;
      const length = bytes.readInt32BE(at);
      if (length < 17 || length > RECORD_BYTES_MAX || at + RECORD_HEADER_BYTES + length > bytes.length) break;
      const payloadStart = at + RECORD_HEADER_BYTES;
      if (crc32c(bytes, payloadStart, payloadStart + length) !== bytes.readUInt32BE(at + 4)) break;
      const reader = new Reader(bytes, payloadStart, payloadStart + length);
      const kind = reader.int8();
      const term = reader.int64Number();
      const index = reader.int64Number();
      if (kind === RECORD_TRUNCATE) {
        while (entries.length > 0 && entries[entries.length - 1].index > index) entries.pop();
      } else if (index > snapshotIndex) {
        while (entries.length > 0 && entries[entries.length - 1].index >= index) entries.pop();
        entries.push({ term, index, txn: Buffer.from(reader.raw(reader.remaining)) });
      }
      at = payloadStart + length;
    }
    // zeros after the last record are the file's preallocated room (fs.ts), not a torn write
    if (at < bytes.length && !isAllZero(bytes, at)) {
      await this.fs.truncate(path, at);
      return false;
    }
    return true;
  }

  private async readMeta(): Promise<PersistentMeta> {
    try {
      const bytes = await this.fs.readFile(`${this.dir}/meta`);
      const reader = new Reader(bytes);
      return { term: reader.int64Number(), votedFor: reader.int32() };
    } catch {
      return { term: 0, votedFor: -1 };
    }
  }

  async saveMeta(meta: PersistentMeta): Promise<void> {
    const writer = new Writer(16);
    writer.int64Number(meta.term).int32(meta.votedFor);
    await this.fs.writeFileAtomic(`${this.dir}/meta`, Buffer.from(writer.finish()));
  }

  private async roll(firstIndex: number): Promise<void> {
    const path = `${this.dir}/${fileName('log', firstIndex)}`;
    // a snapshot right at the index the current file starts after: keep writing to it (opening
    // it again would empty it)
    if (path === this.currentFile && this.handle !== null) return;
    await this.handle?.close();
    this.currentFile = path;
    this.handle = await this.fs.openAppend(this.currentFile, this.forceSync);
  }

  /** Appends entries; resolves once they are on disk (fsynced when forceSync). */
  append(entries: readonly LogEntry[]): Promise<void> {
    for (const entry of entries) this.pending.push(encodeRecord(RECORD_ENTRY, entry.term, entry.index, entry.txn));
    return this.enqueueFlush();
  }

  /** Durably forgets every entry after `index`. */
  truncateAfter(index: number): Promise<void> {
    this.pending.push(encodeRecord(RECORD_TRUNCATE, 0, index, Buffer.alloc(0)));
    return this.enqueueFlush();
  }

  /** Resolves once everything appended so far is on disk. */
  flushed(): Promise<void> {
    return this.enqueueFlush();
  }

  private enqueueFlush(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('coordinator log is closed'));
    const promise = new Promise<void>((resolve, reject) => this.pendingWaiters.push({ resolve, reject }));
    if (!this.flushing) void this.flushLoop();
    return promise;
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0 || this.rollRequest !== null || this.pendingWaiters.length > 0) {
      if (this.rollRequest !== null) {
        const firstIndex = this.rollRequest;
        this.rollRequest = null;
        try {
          await this.roll(firstIndex);
        } catch (error) {
          for (const waiter of this.pendingWaiters) waiter.reject(error);
          this.pendingWaiters = [];
          this.pending = [];
          continue;
        }
      }
      if (this.pending.length === 0) {
        for (const waiter of this.pendingWaiters.splice(0)) waiter.resolve();
        continue;
      }
      const batch = Buffer.concat(this.pending);
      const waiters = this.pendingWaiters;
      this.pending = [];
      this.pendingWaiters = [];
      try {
        await this.handle!.write(batch);
        if (this.forceSync) await this.handle!.sync();
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.flushing = false;
  }

  /**
   * Writes a snapshot of the tree as of `index`, starts a new log file, and removes the files
   * the snapshot makes redundant (keeping a couple of older snapshots and the logs they need).
   */
  async snapshot(tree: DataTree, index: number, term: number): Promise<void> {
    const body = serializeTree(tree);
    const head = Buffer.alloc(20);
    head.writeBigInt64BE(BigInt(index), 4);
    head.writeBigInt64BE(BigInt(term), 12);
    const bytes = Buffer.concat([head, body]);
    bytes.writeUInt32BE(crc32c(bytes, 4), 0);
    await this.fs.writeFileAtomic(`${this.dir}/${fileName('snapshot', index)}`, bytes);
    this.rollRequest = index + 1;
    await this.enqueueFlush();
    await this.prune();
  }

  private async waitIdle(): Promise<void> {
    while (this.flushing) await new Promise((resolve) => setImmediate(resolve));
  }

  private async prune(): Promise<void> {
    const names = await this.fs.readdir(this.dir);
    const snapshots = names.filter((name) => /^snapshot\.\d{20}$/.test(name)).sort();
    const keep = snapshots.slice(-(SNAPSHOTS_KEPT + 1));
    for (const name of snapshots.slice(0, -keep.length)) await this.fs.unlink(`${this.dir}/${name}`);
    if (keep.length === 0) return;
    const oldestKept = indexOf(keep[0]);
    const logs = names.filter((name) => /^log\.\d{20}$/.test(name)).sort();
    // a log file is needed if it may hold entries after the oldest kept snapshot: the file that
    // was current when that snapshot was taken (the last one starting at or before its index;
    // entries appended before its roll may follow the index) and everything after it
    let firstNeeded = 0;
    for (let i = 0; i < logs.length; i++) if (indexOf(logs[i]) <= oldestKept) firstNeeded = i;
    for (const name of logs.slice(0, firstNeeded)) await this.fs.unlink(`${this.dir}/${name}`);
  }

  async close(): Promise<void> {
    await this.waitIdle();
    this.closed = true;
    await this.handle?.close();
    this.handle = null;
  }
}

function isAllZero(bytes: Buffer, from: number): boolean {
  for (let at = from; at < bytes.length; at++) if (bytes[at] !== 0) return false;
  return true;
}

function encodeRecord(kind: number, term: number, index: number, txn: Buffer): Buffer {
  const length = 17 + txn.length;
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length);
  record.writeInt32BE(length, 0);
  record.writeInt8(kind, 8);
  record.writeBigInt64BE(BigInt(term), 9);
  record.writeBigInt64BE(BigInt(index), 17);
  txn.copy(record, 25);
  record.writeUInt32BE(crc32c(record, 8, record.length), 4);
  return record;
}
