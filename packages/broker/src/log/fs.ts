/**
 * The small file-system interface the log does all its I/O through, so tests can inject
 * failures (short writes, failed fsyncs, ENOSPC) and the log can prove it never corrupts data
 * written before a fault. `nodeLogFs` is the real implementation over node:fs/promises.
 */
import * as fsp from 'node:fs/promises';
import { constants as fsConstants, writeSync } from 'node:fs';

/**
 * Writes up to this size go to the page cache synchronously, as Kafka's request handlers write
 * (FileChannel.write): a small append costs a few microseconds that way, while a hop through
 * libuv's thread pool costs ~100 µs of round trip on every acks=1/all produce. Larger writes stay
 * asynchronous, so the log can check the next batch's CRC while they are in flight.
 */
export const SYNC_WRITE_BYTES_MAX = 64 * 1024;

export interface LogFile {
  /** Reads up to `length` bytes at `position` into `buffer[offset..]`; returns bytes read. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes `buffer[offset, offset+length)` at `position`; returns bytes written (may be short). */
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes several buffers at `position` with one system call when possible; returns bytes written. */
  writev(buffers: Buffer[], position: number): Promise<number>;
  truncate(lengthBytes: number): Promise<void>;
  /** fsync: data and metadata durable. */
  sync(): Promise<void>;
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/** 'read': existing file read-only; 'write': read/write, created if missing, never truncated. */
export type OpenMode = 'read' | 'write';

export interface LogFs {
  open(path: string, mode: OpenMode): Promise<LogFile>;
  readdir(path: string): Promise<string[]>;
  /** Recursive; no error when it exists. */
  mkdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** No error when missing. */
  unlink(path: string): Promise<void>;
  /** Recursive remove of a directory; no error when missing. */
  rmdir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  isDirectory(path: string): Promise<boolean>;
  /** Whole file, or undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** fsync a directory so renames / creations in it are durable. */
  syncDir(path: string): Promise<void>;
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

class NodeLogFile implements LogFile {
  readonly #handle: fsp.FileHandle;
  constructor(handle: fsp.FileHandle) {
    this.#handle = handle;
  }
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const { bytesRead } = await this.#handle.read(buffer, offset, length, position);
    return bytesRead;
  }
  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (length <= SYNC_WRITE_BYTES_MAX) return writeSync(this.#handle.fd, buffer, offset, length, position);
    const { bytesWritten } = await this.#handle.write(buffer, offset, length, position);
    return bytesWritten;
  }
  async writev(buffers: Buffer[], position: number): Promise<number> {
    const { bytesWritten } = await this.#handle.writev(buffers, position);
    return bytesWritten;
  }
  truncate(lengthBytes: number): Promise<void> {
    return this.#handle.truncate(lengthBytes);
  }
  sync(): Promise<void> {
    return this.#handle.sync();
  }
  async sizeBytes(): Promise<number> {
    return (await this.#handle.stat()).size;
  }
  close(): Promise<void> {
    return this.#handle.close();
  }
}

export const nodeLogFs: LogFs = {
  async open(path, mode) {
    const flags = mode === 'read' ? fsConstants.O_RDONLY : fsConstants.O_RDWR | fsConstants.O_CREAT;
    return new NodeLogFile(await fsp.open(path, flags, 0o644));
  },
  readdir(path) {
    return fsp.readdir(path);
  },
  async mkdir(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  rename(from, to) {
    return fsp.rename(from, to);
  },
  async unlink(path) {
    try {
      await fsp.unlink(path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
  async rmdir(path) {
    await fsp.rm(path, { recursive: true, force: true });
  },
  async exists(path) {
    try {
      await fsp.stat(path);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  },
  async isDirectory(path) {
    try {
      return (await fsp.stat(path)).isDirectory();
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  },
  async readFile(path) {
    try {
      return await fsp.readFile(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async syncDir(path) {
    const handle = await fsp.open(path, fsConstants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
