/**
 * A LogFs wrapper that injects failures, for tests and for the cluster fixture's "slow / broken
 * disk" faults: failing or short writes, failing fsyncs, ENOSPC, added latency, and a simulated
 * process crash (every handle dropped, every later call fails) so a test can reopen the same
 * directory with a fresh fs as if the broker had been killed.
 */
import type { LogFile, LogFs, OpenMode } from './fs.ts';
import { nodeLogFs } from './fs.ts';

export type FaultOperation = 'open' | 'read' | 'write' | 'truncate' | 'sync' | 'rename' | 'unlink' | 'mkdir' | 'readdir' | 'readFile' | 'syncDir';

/**
 * - 'EIO' / 'ENOSPC': the call throws that error without doing anything.
 * - 'short': a write stores only half its bytes and reports that; the next write to that file
 *   throws ENOSPC (a disk filling up mid-write).
 */
export type FaultKind = 'EIO' | 'ENOSPC' | 'short';

export interface FaultRule {
  operation: FaultOperation;
  kind: FaultKind;
  /** Only paths containing this substring (e.g. '.log', '.index', 'checkpoint'). */
  pathIncludes?: string;
  /** Let this many matching calls succeed first. */
  afterCalls?: number;
  /** Keep failing after the first hit (default: fail once). */
  persistent?: boolean;
}

function errno(code: string, operation: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: injected fault, ${operation} '${path}'`);
  error.code = code;
  return error;
}

interface ActiveRule extends FaultRule {
  seen: number;
  fired: boolean;
}

export class FaultInjectingFs implements LogFs {
  readonly #inner: LogFs;
  #rules: ActiveRule[] = [];
  #crashed = false;
  readonly #open = new Set<LogFile>();
  /** Added to every call (a slow disk). */
  latencyMs = 0;
  /** Faults that fired so far (for assertions). */
  readonly fired: { operation: FaultOperation; path: string; kind: FaultKind }[] = [];

  constructor(inner: LogFs = nodeLogFs) {
    this.#inner = inner;
  }

  inject(rule: FaultRule): void {
    this.#rules.push({ ...rule, seen: 0, fired: false });
  }

  clear(): void {
    this.#rules = [];
  }

  /** Simulates the process dying: closes every handle, fails every later call. */
  async crash(): Promise<void> {
    this.#crashed = true;
    const handles = [...this.#open];
    this.#open.clear();
    await Promise.all(handles.map((handle) => handle.close().catch(() => {})));
  }

  /** Returns the fault to apply to this call, if any. */
  async check(operation: FaultOperation, path: string): Promise<FaultKind | undefined> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (this.#crashed) throw errno('EIO', operation, path);
    for (const rule of this.#rules) {
      if (rule.operation !== operation) continue;
      if (rule.pathIncludes && !path.includes(rule.pathIncludes)) continue;
      if (rule.fired && !rule.persistent) continue;
      rule.seen++;
      if (rule.seen <= (rule.afterCalls ?? 0)) continue;
      rule.fired = true;
      this.fired.push({ operation, path, kind: rule.kind });
      return rule.kind;
    }
    return undefined;
  }

  async #guard<T>(operation: FaultOperation, path: string, work: () => Promise<T>): Promise<T> {
    const fault = await this.check(operation, path);
    if (fault) throw errno(fault === 'short' ? 'ENOSPC' : fault, operation, path);
    return work();
  }

  async open(path: string, mode: OpenMode): Promise<LogFile> {
    const inner = await this.#guard('open', path, () => this.#inner.open(path, mode));
    const file = new FaultyFile(this, inner, path);
    this.#open.add(file);
    return file;
  }

  forget(file: LogFile): void {
    this.#open.delete(file);
  }

  readdir(path: string): Promise<string[]> {
    return this.#guard('readdir', path, () => this.#inner.readdir(path));
  }
  mkdir(path: string): Promise<void> {
    return this.#guard('mkdir', path, () => this.#inner.mkdir(path));
  }
  rename(from: string, to: string): Promise<void> {
    return this.#guard('rename', from, () => this.#inner.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.#guard('unlink', path, () => this.#inner.unlink(path));
  }
  rmdir(path: string): Promise<void> {
    return this.#guard('unlink', path, () => this.#inner.rmdir(path));
  }
  exists(path: string): Promise<boolean> {
    return this.#guard('readdir', path, () => this.#inner.exists(path));
  }
  isDirectory(path: string): Promise<boolean> {
    return this.#guard('readdir', path, () => this.#inner.isDirectory(path));
  }
  readFile(path: string): Promise<Buffer | undefined> {
    return this.#guard('readFile', path, () => this.#inner.readFile(path));
  }
  syncDir(path: string): Promise<void> {
    return this.#guard('syncDir', path, () => this.#inner.syncDir(path));
  }
}

class FaultyFile implements LogFile {
  readonly #fs: FaultInjectingFs;
  readonly #inner: LogFile;
  readonly #path: string;
  #full = false;

  constructor(fs: FaultInjectingFs, inner: LogFile, path: string) {
    this.#fs = fs;
    this.#inner = inner;
    this.#path = path;
  }

  async #fault(operation: FaultOperation): Promise<FaultKind | undefined> {
    if (this.#full && operation === 'write') throw errno('ENOSPC', operation, this.#path);
    const fault = await this.#fs.check(operation, this.#path);
    if (fault && fault !== 'short') throw errno(fault, operation, this.#path);
    if (fault === 'short' && operation !== 'write') throw errno('ENOSPC', operation, this.#path);
    return fault;
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    await this.#fault('read');
    return this.#inner.read(buffer, offset, length, position);
  }
  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const fault = await this.#fault('write');
    if (fault === 'short') {
      this.#full = true;
      const half = Math.max(0, Math.floor(length / 2));
      return half === 0 ? 0 : this.#inner.write(buffer, offset, half, position);
    }
    return this.#inner.write(buffer, offset, length, position);
  }
  async writev(buffers: Buffer[], position: number): Promise<number> {
    const joined = Buffer.concat(buffers);
    return this.write(joined, 0, joined.length, position);
  }
  async truncate(lengthBytes: number): Promise<void> {
    await this.#fault('truncate');
    return this.#inner.truncate(lengthBytes);
  }
  async sync(): Promise<void> {
    await this.#fault('sync');
    return this.#inner.sync();
  }
  async sizeBytes(): Promise<number> {
    await this.#fault('read');
    return this.#inner.sizeBytes();
  }
  async close(): Promise<void> {
    this.#fs.forget(this);
    return this.#inner.close();
  }
}
