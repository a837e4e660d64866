/**
 * The file operations the coordinator's persistence needs, behind an interface so tests can
 * inject failures (a write or fsync that throws) without touching real disks.
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';

export interface CoordinatorFileHandle {
  /** Appends at the end of what was written so far (not necessarily the end of the file). */
  write(bytes: Buffer): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface CoordinatorFs {
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  /**
   * Creates (or empties) a log file and opens it for appending. With `durableWrites`, every
   * write is durable when it returns (O_DSYNC) and sync() has nothing left to do: one system
   * call per group commit instead of two. The file may be longer than what was written: the
   * rest is zeros (see LOG_PREALLOCATE_BYTES), which readers take as its end.
   */
  openAppend(path: string, durableWrites?: boolean): Promise<CoordinatorFileHandle>;
  /** Writes a whole file durably: temp file, fsync, rename, fsync of the directory. */
  writeFileAtomic(path: string, bytes: Buffer): Promise<void>;
  unlink(path: string): Promise<void>;
  truncate(path: string, lengthBytes: number): Promise<void>;
}

/**
 * Log files grow by this many zero bytes at a time, written (and made durable) ahead of the
 * records, as ZooKeeper pads its txn log (preAllocSize). Appending to a growing file changes its
 * size with every write, so each durable write also commits the file system's journal (the size
 * is metadata); overwriting zeros already on disk makes a durable write one data write.
 */
export const LOG_PREALLOCATE_BYTES = 1024 * 1024;
/** Zeros written per call while preallocating. */
const ZERO_CHUNK_BYTES = 256 * 1024;
let zeroChunk: Buffer | null = null;

export const nodeFs: CoordinatorFs = {
  async mkdir(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  readdir: (path) => fsp.readdir(path),
  readFile: (path) => fsp.readFile(path),
  async openAppend(path, durableWrites = false) {
    const flags = constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | (durableWrites ? constants.O_DSYNC : 0);
    const handle = await fsp.open(path, flags, 0o644);
    /** Where the next record goes; zeros from here to `allocatedBytes` are on disk already. */
    let positionBytes = 0;
    let allocatedBytes = 0;
    const writeAll = async (bytes: Buffer, at: number): Promise<void> => {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, at + written);
        written += bytesWritten;
      }
    };
    const preallocate = async (neededBytes: number): Promise<void> => {
      const target = Math.ceil(neededBytes / LOG_PREALLOCATE_BYTES) * LOG_PREALLOCATE_BYTES;
      zeroChunk ??= Buffer.alloc(ZERO_CHUNK_BYTES);
      for (let at = allocatedBytes; at < target; at += ZERO_CHUNK_BYTES) {
        await writeAll(zeroChunk.subarray(0, Math.min(ZERO_CHUNK_BYTES, target - at)), at);
      }
      // no sync of its own: O_DSYNC made the zeros durable, or the next datasync() will
      allocatedBytes = target;
    };
    return {
      async write(bytes) {
        if (positionBytes + bytes.length > allocatedBytes) await preallocate(positionBytes + bytes.length);
        await writeAll(bytes, positionBytes);
        positionBytes += bytes.length;
      },
      sync: () => (durableWrites ? Promise.resolve() : handle.datasync()),
      close: () => handle.close(),
    };
  },
  async writeFileAtomic(path, bytes) {
    const temp = `${path}.tmp`;
    const handle = await fsp.open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, path);
    const directory = await fsp.open(path.slice(0, path.lastIndexOf('/')) || '/', 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  },
  unlink: (path) => fsp.unlink(path),
  truncate: (path, lengthBytes) => fsp.truncate(path, lengthBytes),
};
