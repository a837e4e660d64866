/**
 * The file operations the coordinator's persistence needs, behind an interface so tests can
 * inject failures (a write or fsync that throws) without touching real disks.
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';

export interface CoordinatorFileHandle {
  write(bytes: Buffer): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface CoordinatorFs {
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  /**
   * Opens for appending, creating the file if needed. With `durableWrites`, every write is
   * durable when it returns (O_DSYNC) and sync() has nothing left to do: one system call per
   * group commit instead of two.
   */
  openAppend(path: string, durableWrites?: boolean): Promise<CoordinatorFileHandle>;
  /** Writes a whole file durably: temp file, fsync, rename, fsync of the directory. */
  writeFileAtomic(path: string, bytes: Buffer): Promise<void>;
  unlink(path: string): Promise<void>;
  truncate(path: string, lengthBytes: number): Promise<void>;
}

export const nodeFs: CoordinatorFs = {
  async mkdir(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  readdir: (path) => fsp.readdir(path),
  readFile: (path) => fsp.readFile(path),
  async openAppend(path, durableWrites = false) {
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (durableWrites ? constants.O_DSYNC : 0);
    const handle = await fsp.open(path, flags, 0o644);
    return {
      async write(bytes) {
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
          written += bytesWritten;
        }
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
